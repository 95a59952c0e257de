package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStoreFilesPrivate: the store's files are the owner's only, also in
// a directory made by hand with mode 0755.
func TestStoreFilesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "class")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"mailscope.db", "mailscope.db-wal", "mailscope.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}
