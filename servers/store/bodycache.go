package store

import (
	"container/list"
	"sync"
)

// bodyCache keeps recently read message bodies. A body never changes once
// stored, so a message read again (a POP3 client in keep mode, an IMAP client
// fetching a message in parts, the web page) is served from memory instead
// of SQLite, without the copy out of the database. It is bounded by size;
// deleted messages are dropped after their commit, and a read that raced
// with a deletion is not cached (gen).
type bodyCache struct {
	mu    sync.Mutex
	max   int // octets
	size  int
	gen   uint64 // bumped by every invalidation
	order *list.List
	byID  map[int64]*list.Element
}

type cachedBody struct {
	id   int64
	body []byte
}

// Bounds of the cache: the whole, and one body (bigger ones are not kept).
const (
	bodyCacheBytes   = 32 << 20
	bodyCacheMaxBody = 1 << 20
)

func newBodyCache(max int) *bodyCache {
	return &bodyCache{max: max, order: list.New(), byID: make(map[int64]*list.Element)}
}

// get returns the cached body of message id and the generation to pass to
// put when it was not cached.
func (c *bodyCache) get(id int64) ([]byte, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cachedBody).body, c.gen
	}
	return nil, c.gen
}

// put keeps body unless an invalidation happened since get returned gen.
func (c *bodyCache) put(id int64, body []byte, gen uint64) {
	if len(body) > bodyCacheMaxBody || len(body) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = c.order.PushFront(&cachedBody{id: id, body: body})
	c.size += len(body)
	for c.size > c.max {
		c.removeLocked(c.order.Back())
	}
}

// drop forgets the given messages (deleted, so their ids may be used again).
func (c *bodyCache) drop(ids []int64) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		if el, ok := c.byID[id]; ok {
			c.removeLocked(el)
		}
	}
}

func (c *bodyCache) removeLocked(el *list.Element) {
	b := c.order.Remove(el).(*cachedBody)
	delete(c.byID, b.id)
	c.size -= len(b.body)
}
