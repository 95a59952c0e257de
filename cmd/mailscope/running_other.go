//go:build !unix

package main

import "os"

// tryLock cannot lock on this system: a file in the data directory is
// taken as a live instance only by those who read it, and never blocks a
// new start.
func tryLock(f *os.File, take bool) (held bool, err error) {
	return !take, nil
}

// private cannot tell the owner here; the temporary directory is under
// the user's own profile on these systems.
func private(fi os.FileInfo) bool { return true }
