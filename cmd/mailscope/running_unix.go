//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// tryLock reports whether another process holds the lock of f. With take
// it keeps the exclusive lock when it got it; without, it only looks (a
// shared lock taken and dropped at once). The kernel drops a lock when its
// process dies, which is what tells a live instance from a stale file.
func tryLock(f *os.File, take bool) (held bool, err error) {
	how := syscall.LOCK_EX
	if !take {
		how = syscall.LOCK_SH
	}
	err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !take {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}
	return false, nil
}

// private reports whether fi is owned by this process's user and closed to
// everyone else (no group or other permission bits).
func private(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o077 == 0
}
