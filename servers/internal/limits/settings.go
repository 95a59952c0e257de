package limits

import "time"

// Settings bound the sessions of one protocol server. A zero field means
// its default (WithDefaults); the SMTP, POP3 and IMAP servers embed it, and
// mailscope's configuration (servers.Limits) is the same type.
type Settings struct {
	// IdleTimeout is the silence allowed while waiting for a command
	// (default 10 minutes: students type slowly).
	IdleTimeout time.Duration
	// LineTimeout bounds a line once its first octet arrived (default 5
	// minutes, RFC 5321 section 4.5.3.2.7's server timeout): a slowloris
	// trickling octets cannot hold a session on one line. It is generous
	// because character-mode telnet clients send every keystroke as typed.
	LineTimeout time.Duration
	// SessionTimeout bounds a session's whole life, however busy (default
	// 1 hour).
	SessionTimeout time.Duration
	// WriteTimeout bounds each write's progress (default 1 minute): a
	// client that reads nothing is dropped after it.
	WriteTimeout time.Duration
	// BusyIdleTimeout replaces IdleTimeout while the server is busy, with
	// 80% of MaxConns or more in use (default 10 seconds, as Postfix's
	// stress mode); see Counter.Busy.
	BusyIdleTimeout time.Duration
	// MaxConns bounds concurrent sessions (default 1000). MaxConnsPerIP
	// bounds them per client address (default 100, negative: no limit).
	// Loopback addresses get MaxConnsLoopback instead (default: MaxConns,
	// so only the total applies): on a classroom machine every student's
	// client, script and test suite is 127.0.0.1.
	MaxConns, MaxConnsPerIP, MaxConnsLoopback int
}

// The defaults of Settings, described at its fields; mailscope's default
// world (servers/world) takes its SMTP idle timeout from here.
const (
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultLineTimeout     = 5 * time.Minute
	DefaultSessionTimeout  = time.Hour
	DefaultWriteTimeout    = time.Minute
	DefaultBusyIdleTimeout = 10 * time.Second
	DefaultMaxConns        = 1000
	DefaultMaxConnsPerIP   = 100
)

// WithDefaults returns s with each unset field at its default.
func (s Settings) WithDefaults() Settings {
	return s.Or(Settings{
		IdleTimeout:     DefaultIdleTimeout,
		LineTimeout:     DefaultLineTimeout,
		SessionTimeout:  DefaultSessionTimeout,
		WriteTimeout:    DefaultWriteTimeout,
		BusyIdleTimeout: DefaultBusyIdleTimeout,
		MaxConns:        DefaultMaxConns,
		MaxConnsPerIP:   DefaultMaxConnsPerIP,
		// Filled below from MaxConns.
	}).orLoopback()
}

func (s Settings) orLoopback() Settings {
	if s.MaxConnsLoopback <= 0 {
		s.MaxConnsLoopback = s.MaxConns
	}
	return s
}

// Or returns s with each unset field (a duration of zero or less, a count
// of zero) taken from o.
func (s Settings) Or(o Settings) Settings {
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	num := func(v *int, n int) {
		if *v == 0 {
			*v = n
		}
	}
	dur(&s.IdleTimeout, o.IdleTimeout)
	dur(&s.LineTimeout, o.LineTimeout)
	dur(&s.SessionTimeout, o.SessionTimeout)
	dur(&s.WriteTimeout, o.WriteTimeout)
	dur(&s.BusyIdleTimeout, o.BusyIdleTimeout)
	num(&s.MaxConns, o.MaxConns)
	num(&s.MaxConnsPerIP, o.MaxConnsPerIP)
	num(&s.MaxConnsLoopback, o.MaxConnsLoopback)
	return s
}

// Override sets each limit that o sets; the others stay as they are.
func (s *Settings) Override(o Settings) { *s = o.Or(*s) }

// Limit sets the counter's limits from s (with its defaults applied).
func (c *Counter) Limit(s Settings) {
	c.mu.Lock()
	c.Max, c.PerIP, c.Loopback = s.MaxConns, s.MaxConnsPerIP, s.MaxConnsLoopback
	c.mu.Unlock()
}
