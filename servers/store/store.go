// Package store keeps mailscope's mailboxes, messages, flags and the outgoing
// queue in an embedded SQLite database (modernc.org/sqlite, pure Go) in the
// data directory.
//
// Durability: every change goes through one writer goroutine that groups the
// changes of many sessions into one transaction (group commit) in WAL mode
// with synchronous=FULL, so a call that returned nil is on disk: an SMTP
// server may answer 250 as soon as Deliver returns (RFC 5321 section 6.1,
// "the receiver-SMTP MUST NOT lose the message"). Reads run concurrently on a
// separate pool of read-only connections.
//
// Mailboxes follow IMAP's model (RFC 9051 section 2.3.1.1): each has a
// UIDVALIDITY and a UIDNEXT; UIDs are assigned in ascending order and never
// reused; flags and keywords are kept as given, case preserved.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Errors returned by the store.
var (
	ErrClosed          = errors.New("store: closed")
	ErrNoMailbox       = errors.New("store: no such mailbox")
	ErrMailboxExists   = errors.New("store: mailbox already exists")
	ErrNoMessage       = errors.New("store: no such message")
	ErrInboxOperation  = errors.New("store: INBOX cannot be deleted")
	ErrMailboxHasChild = errors.New("store: mailbox has children")
)

// The special-use folders every user gets (RFC 6154).
var SpecialFolders = []struct{ Name, Use string }{
	{"Sent", `\Sent`},
	{"Drafts", `\Drafts`},
	{"Trash", `\Trash`},
}

// Store is the database. Its methods are safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // one connection, used only by the writer goroutine
	r    *sql.DB // read-only pool
	ck   *sql.DB // one connection for the checkpointer

	damaged atomic.Bool  // a write met a damaged page: refuse further writes
	dirty   atomic.Bool  // commits since the last checkpoint
	written atomic.Int64 // message octets committed since the last checkpoint
	kick    chan struct{}
	ckDone  chan struct{}

	jobs    chan *job
	stop    chan struct{}
	stopped chan struct{}

	mu        sync.Mutex
	closed    bool
	watchers  map[int]func(Change)
	watcherID int

	// MaxBatch is how many write jobs share one transaction at most.
	MaxBatch int

	// GatherWait is how long the writer may hold a batch open for jobs
	// announced with Expect (messages still being received) so that they
	// share its commit, and so its fsync. It waits only while some are
	// announced, and never longer than this.
	GatherWait time.Duration
	expected   atomic.Int64

	// hot are statements prepared once on the writer's connection: the
	// statements every delivery runs, which SQLite would otherwise parse
	// again for each message.
	hot map[string]*sql.Stmt

	bodies *bodyCache
}

// hotStatements are prepared at Open (later would deadlock: the writer's
// single connection is then busy with transactions).
var hotStatements = []string{
	sqlSavepoint, sqlRelease, sqlRollbackTo,
	sqlMailboxID, sqlNextUID, sqlInsertMessage,
	sqlInsertQueue, sqlInsertQueueRcpt,
}

// ChangeKind says what changed in a mailbox.
type ChangeKind int

// Change kinds.
const (
	ChangeAppend  ChangeKind = iota // a message was added (delivery, APPEND, COPY, MOVE)
	ChangeFlags                     // flags of a message changed
	ChangeExpunge                   // a message was removed
	ChangeMailbox                   // a mailbox was created, renamed or deleted
	ChangeQueue                     // the outgoing queue changed
)

// Change describes one committed change; watchers receive it after commit.
type Change struct {
	Kind      ChangeKind
	Server    string
	User      string
	MailboxID int64
	UID       uint32
	Flags     []string
}

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, "mailscope.db")
	if err := checkFile(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	// The writer's own checkpoint (inside a commit, while sessions wait)
	// comes only every 4,000 WAL pages: checkpointer does nearly all of it.
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=wal_autocheckpoint(4000)")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := quickCheck(w, path); err != nil {
		w.Close()
		return nil, err
	}
	if _, err := w.Exec(schema); err != nil {
		w.Close()
		if isDamage(err) {
			return nil, &DamagedError{Path: path, Reason: err.Error()}
		}
		return nil, fmt.Errorf("store: create schema in %s: %w", path, err)
	}
	// The store holds the mail and a class's passwords: its owner's only,
	// also in a directory made by hand with the umask's 0755.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(f, 0o600)
	}
	if err := migrate(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: upgrading %s: %w", path, err)
	}
	if err := migrateDSN(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: adding the DSN columns to %s: %w", path, err)
	}
	if err := createHistory(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: create the queue history in %s: %w", path, err)
	}
	// Readers map the database file (SQLite's memory-mapped I/O), so a
	// message body spread over overflow pages is read without a pread(2)
	// per 4 KiB page.
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	ck, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	hot := make(map[string]*sql.Stmt, len(hotStatements))
	for _, q := range hotStatements {
		st, err := w.Prepare(q)
		if err != nil {
			w.Close()
			r.Close()
			ck.Close()
			return nil, fmt.Errorf("store: preparing %q: %w", q, err)
		}
		hot[q] = st
	}
	s := &Store{
		hot:  hot,
		path: path, w: w, r: r, ck: ck,
		ckDone:     make(chan struct{}),
		kick:       make(chan struct{}, 1),
		jobs:       make(chan *job, 1024),
		stop:       make(chan struct{}),
		stopped:    make(chan struct{}),
		watchers:   make(map[int]func(Change)),
		bodies:     newBodyCache(bodyCacheBytes),
		MaxBatch:   256,
		GatherWait: 2 * time.Millisecond,
	}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

// checkpointEvery is how often the checkpointer copies committed pages from
// the WAL into the database file when there were commits; after
// checkpointAfter octets of messages it does not wait for the tick.
const (
	checkpointEvery = 200 * time.Millisecond
	checkpointAfter = 2 << 20
)

// checkpointer copies what was committed to the WAL into the database file
// (a PASSIVE checkpoint: it never blocks the writer or readers) a few times a
// second while there are writes. SQLite's own checkpoint, which a commit runs
// every 1,000 WAL pages while sessions wait for their 250, then finds nearly
// everything copied already and costs little; it still runs, because only a
// checkpoint that catches up with the writer lets the WAL start over from
// its beginning instead of growing.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		if s.dirty.Swap(false) {
			s.written.Store(0)
			// A busy or interrupted checkpoint is simply tried again.
			if _, err := s.ck.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				s.dirty.Store(true)
			}
		}
	}
}

// Damaged reports whether a write met a damaged database page; from then on
// every write fails with ErrDamaged.
func (s *Store) Damaged() bool { return s.damaged.Load() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close waits for queued writes to commit and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.stopped
	<-s.ckDone
	for _, st := range s.hot {
		st.Close()
	}
	err1 := s.r.Close()
	s.ck.Close()
	// The last connection to close checkpoints what is left and removes
	// the WAL.
	err2 := s.w.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// Watch calls fn with every change after it is committed, from the writer
// goroutine: fn must return quickly and must not write to the store. The
// returned function stops the calls.
func (s *Store) Watch(fn func(Change)) (cancel func()) {
	s.mu.Lock()
	s.watcherID++
	id := s.watcherID
	s.watchers[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watchers, id)
		s.mu.Unlock()
	}
}

// Tx is a write transaction handed to a write job. Changes recorded with
// Changed reach watchers once the transaction is committed.
type Tx struct {
	*sql.Tx
	store   *Store
	ctx     context.Context
	changes []Change
	deleted []int64  // messages removed: dropped from the body cache after the commit
	after   []func() // run by the writer once the commit is on disk
}

// AfterCommit runs fn once this job's changes are committed, on the writer,
// before it starts on any other write: what fn says about the commit is said
// before any later write (a queue run claiming the message) can act on it.
// fn must be quick and must not write to the store. It is not run when the
// job fails or its batch rolls back.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Exec runs a statement, from the prepared ones when it is one of them.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	if st, ok := tx.store.hot[query]; ok {
		return tx.Tx.Stmt(st).Exec(args...)
	}
	return tx.Tx.Exec(query, args...)
}

// QueryRow runs a query for one row, prepared when it is a hot one.
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	if st, ok := tx.store.hot[query]; ok {
		return tx.Tx.Stmt(st).QueryRow(args...)
	}
	return tx.Tx.QueryRow(query, args...)
}

// The hot statements.
const (
	sqlSavepoint       = `SAVEPOINT job`
	sqlRelease         = `RELEASE job`
	sqlRollbackTo      = `ROLLBACK TO job`
	sqlMailboxID       = `SELECT id FROM mailboxes WHERE server = ? AND user = ? AND name = ?`
	sqlNextUID         = `UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = ? RETURNING uidnext - 1, server, user`
	sqlInsertMessage   = `INSERT INTO messages(mailbox_id, uid, size, internal_date, flags, trace_id, body) VALUES(?, ?, ?, ?, ?, ?, ?)`
	sqlInsertQueue     = `INSERT INTO queue(server, trace_id, sender, created, hold_until, body) VALUES(?, ?, ?, ?, ?, ?)`
	sqlInsertQueueRcpt = `INSERT INTO queue_rcpts(queue_id, rcpt, domain, next_attempt, updated, notify) VALUES(?, ?, ?, ?, ?, ?)`
)

// Context is the job's context.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Changed records a change for the watchers.
func (tx *Tx) Changed(c Change) { tx.changes = append(tx.changes, c) }

type job struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	done chan struct{}
}

// Expect announces a write that will follow soon: an SMTP session has
// said 354 and is receiving a message. While writes are announced, the writer
// waits up to GatherWait for them before committing, so that several
// sessions' messages share one commit (group commit). done withdraws the
// announcement; call it before the Write (or when the message is abandoned).
// It may be called more than once.
func (s *Store) Expect() (done func()) {
	s.expected.Add(1)
	var once sync.Once
	return func() { once.Do(func() { s.expected.Add(-1) }) }
}

// Write runs fn in a write transaction shared with other callers' jobs and
// returns once the transaction is durably committed. If fn fails, its changes
// alone are rolled back (a savepoint per job) and its error is returned.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if s.damaged.Load() {
		return ErrDamaged
	}
	select {
	case s.jobs <- j:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once handed over, the job will be committed or failed: wait for the
	// outcome even if ctx ends, so a caller never reports a failure for a
	// change that is in fact on disk.
	<-j.done
	return j.err
}

func (s *Store) writer() {
	defer close(s.stopped)
	batch := make([]*job, 0, s.MaxBatch)
	for {
		var first *job
		select {
		case first = <-s.jobs:
		case <-s.stop:
			// Drain what was handed over before Close.
			for {
				select {
				case j := <-s.jobs:
					s.commit([]*job{j})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.MaxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.gather(&batch)
		s.commit(batch)
	}
}

// gather waits, up to GatherWait, for announced writes (Expect) to join the
// batch. With no announced write it returns at once: a lone student's
// message is committed without delay.
func (s *Store) gather(batch *[]*job) {
	if s.GatherWait <= 0 || s.expected.Load() <= 0 {
		return
	}
	t := time.NewTimer(s.GatherWait)
	defer t.Stop()
	for len(*batch) < s.MaxBatch && s.expected.Load() > 0 {
		select {
		case j := <-s.jobs:
			*batch = append(*batch, j)
		case <-t.C:
			return
		}
	}
}

// commit runs a batch of jobs in one transaction.
func (s *Store) commit(batch []*job) {
	finish := func(err error) {
		for _, j := range batch {
			if err != nil && j.err == nil {
				j.err = err
			}
			close(j.done)
		}
	}
	ctx := context.Background()
	sqltx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("store: begin: %w", err))
		return
	}
	var changes []Change
	var deleted []int64
	var after []func()
	// A savepoint per job lets one job fail alone; a batch of one needs
	// none (its failure rolls the whole transaction back).
	alone := len(batch) == 1
	exec := func(q string) error {
		_, err := sqltx.Stmt(s.hot[q]).Exec()
		return err
	}
	// abort rolls the whole batch back: every job not already failed on
	// its own is told err, and none of their changes is on disk.
	abort := func(err error) {
		sqltx.Rollback()
		if isDamage(err) {
			s.damaged.Store(true)
		}
		for _, j := range batch {
			if j.err == nil || errors.Is(j.err, err) {
				j.err = fmt.Errorf("store: nothing of this batch was stored: %w", err)
			}
		}
		finish(nil)
	}
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		if !alone {
			if err := exec(sqlSavepoint); err != nil {
				abort(err)
				return
			}
		}
		tx := &Tx{Tx: sqltx, store: s, ctx: j.ctx}
		j.err = runJob(j.fn, tx)
		if j.err != nil {
			if fatalToBatch(j.err) {
				abort(j.err)
				return
			}
			if alone {
				sqltx.Rollback()
				finish(nil)
				return
			}
			if err := exec(sqlRollbackTo); err != nil {
				abort(err)
				return
			}
			if err := exec(sqlRelease); err != nil {
				abort(err)
				return
			}
			continue
		}
		if !alone {
			if err := exec(sqlRelease); err != nil {
				abort(err)
				return
			}
		}
		changes = append(changes, tx.changes...)
		deleted = append(deleted, tx.deleted...)
		after = append(after, tx.after...)
	}
	if err := sqltx.Commit(); err != nil {
		abort(fmt.Errorf("store: commit: %w", err))
		return
	}
	s.dirty.Store(true)
	if s.written.Load() >= checkpointAfter {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	s.bodies.drop(deleted)
	s.mu.Lock()
	ws := make([]func(Change), 0, len(s.watchers))
	for _, fn := range s.watchers {
		ws = append(ws, fn)
	}
	s.mu.Unlock()
	for _, c := range changes {
		for _, fn := range ws {
			fn(c)
		}
	}
	for _, fn := range after {
		fn()
	}
	finish(nil)
}

// runJob runs fn, turning a panic into an error so that one bad job cannot
// take the writer (and every session waiting on it) down.
func runJob(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: write job panicked: %v", r)
		}
	}()
	return fn(tx)
}

// migrate adds columns that later versions introduced to an older database.
func migrate(db *sql.DB) error {
	has := func(table, column string) (bool, error) {
		rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			return false, err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return false, err
			}
			if name == column {
				return true, nil
			}
		}
		return false, rows.Err()
	}
	ok, err := has("queue_rcpts", "notify")
	if err != nil || ok {
		return err
	}
	_, err = db.Exec(`ALTER TABLE queue_rcpts ADD COLUMN notify TEXT NOT NULL DEFAULT ''`)
	return err
}

// now is the store's clock, in UTC seconds.
func now() int64 { return time.Now().Unix() }

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mailboxes (
	id          INTEGER PRIMARY KEY,
	server      TEXT NOT NULL,
	user        TEXT NOT NULL,
	name        TEXT NOT NULL,
	uidvalidity INTEGER NOT NULL,
	uidnext     INTEGER NOT NULL DEFAULT 1,
	special     TEXT NOT NULL DEFAULT '',
	subscribed  INTEGER NOT NULL DEFAULT 1,
	UNIQUE (server, user, name)
);
CREATE TABLE IF NOT EXISTS messages (
	id            INTEGER PRIMARY KEY,
	mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
	uid           INTEGER NOT NULL,
	size          INTEGER NOT NULL,
	internal_date INTEGER NOT NULL,
	flags         TEXT NOT NULL DEFAULT '',
	trace_id      TEXT NOT NULL DEFAULT '',
	body          BLOB NOT NULL,
	UNIQUE (mailbox_id, uid)
);
CREATE TABLE IF NOT EXISTS queue (
	id         INTEGER PRIMARY KEY,
	server     TEXT NOT NULL,
	trace_id   TEXT NOT NULL,
	sender     TEXT NOT NULL,
	created    INTEGER NOT NULL,
	hold_until INTEGER NOT NULL DEFAULT 0,
	body       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_rcpts (
	id           INTEGER PRIMARY KEY,
	queue_id     INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
	rcpt         TEXT NOT NULL,
	domain       TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'queued',
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0, -- Unix milliseconds
	last_error   TEXT NOT NULL DEFAULT '',
	updated      INTEGER NOT NULL DEFAULT 0,
	notify       TEXT NOT NULL DEFAULT '' -- RFC 3461 NOTIFY=, e.g. NEVER
);
CREATE INDEX IF NOT EXISTS queue_rcpts_due ON queue_rcpts(status, next_attempt);
CREATE INDEX IF NOT EXISTS queue_rcpts_queue ON queue_rcpts(queue_id);
`
