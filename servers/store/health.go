package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DamagedError says the database file cannot be trusted: it is truncated,
// is not a database, or fails SQLite's integrity check. mailscope refuses to
// start on it rather than answer 250 for mail it may not be able to read
// back. What to do is the operator's choice, so the error names the file.
type DamagedError struct {
	Path   string
	Reason string // what was found, in SQLite's words where it has them
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store: %s is damaged (%s): move it away to start with an empty store, or restore it from a copy", e.Path, e.Reason)
}

// ReasonTruncated is the Reason of a database file cut to 0 bytes.
const ReasonTruncated = "the file is empty (0 bytes): it was truncated"

// ErrDamaged is returned by writes after the store met a damaged page while
// running: no later message is acknowledged into a file that cannot give
// messages back.
var ErrDamaged = errors.New("store: the database file is damaged; no more mail is accepted until it is repaired")

// checkFile refuses a database file that exists but is empty while no WAL
// holds its content (a truncated file: opening it would silently create a
// new, empty store and every mailbox would be gone). A database whose pages
// are all still in the WAL (a crash before the first checkpoint) is fine.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a new store
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return &DamagedError{Path: path, Reason: "not a regular file"}
	}
	if fi.Size() > 0 {
		return nil
	}
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil
	}
	return &DamagedError{Path: path, Reason: ReasonTruncated}
}

// quickCheck runs SQLite's PRAGMA quick_check, which reads every page and
// checks the b-trees (not the indexes' contents, which integrity_check
// would also compare; quick_check is O(N) and takes milliseconds for a
// classroom's mail).
func quickCheck(db *sql.DB, path string) error {
	rows, err := db.Query(`PRAGMA quick_check`)
	if err != nil {
		if isDamage(err) {
			return &DamagedError{Path: path, Reason: err.Error()}
		}
		return fmt.Errorf("store: checking %s: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return &DamagedError{Path: path, Reason: err.Error()}
		}
		if s != "ok" && len(problems) < 3 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return &DamagedError{Path: path, Reason: err.Error()}
	}
	if len(problems) > 0 {
		return &DamagedError{Path: path, Reason: fmt.Sprint(problems)}
	}
	return nil
}

// sqliteCode is the primary result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// isDamage reports whether err says the file itself is bad.
func isDamage(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// fatalToBatch reports whether err, met while a batch's transaction runs,
// may have ended that transaction. SQLite may roll back the whole
// transaction on SQLITE_FULL, IOERR, BUSY or NOMEM (and on damage), after
// which each further statement would run, and commit, on its own: a later
// job's message would be on disk while the batch's commit fails and its
// sender is told 451 (a duplicate when the client retries). Such an error
// fails the whole batch instead. Errors of one job's own making (a
// constraint, a value out of range, a job's returned error) stay that
// job's.
func fatalToBatch(err error) bool {
	switch sqliteCode(err) {
	case 0, sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE, sqlite3.SQLITE_TOOBIG:
		return false
	}
	return true
}

// noteDamage passes err on, first marking the store damaged if err says a
// page could not be read: once a message cannot be read back, no new one is
// acknowledged (Write fails with ErrDamaged, an SMTP server answers 451).
func (s *Store) noteDamage(err error) error {
	if err != nil && isDamage(err) {
		s.damaged.Store(true)
	}
	return err
}
