package limits

import "sync/atomic"

// Budget bounds the bytes that many sessions hold in memory together: the
// SMTP servers of a world take from one Budget as the message each session
// is receiving grows, and give back when the message is stored or dropped.
// Without it, a hundred clients each sending an unfinished 10 MB DATA held
// 2.5 GB. A nil *Budget is unlimited. It is safe for concurrent use.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Take reserves n bytes and reports whether they were there; when they were
// not, nothing is reserved.
func (b *Budget) Take(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// TakeUpTo reserves as many bytes as there are, up to most, and returns
// how many; when fewer than least are there it reserves nothing and
// returns 0.
func (b *Budget) TakeUpTo(least, most int64) int64 {
	if b == nil {
		return most
	}
	for {
		u := b.used.Load()
		n := min(most, b.max-u)
		if n < least || n <= 0 {
			return 0
		}
		if b.used.CompareAndSwap(u, u+n) {
			return n
		}
	}
}

// Give returns n bytes taken before.
func (b *Budget) Give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}

// Used is how many bytes are taken now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Max is the budget's size; 0 for a nil (unlimited) budget.
func (b *Budget) Max() int64 {
	if b == nil {
		return 0
	}
	return b.max
}
