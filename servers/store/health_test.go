package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A database file cut to 0 bytes is refused, not silently replaced by a
// new, empty store.
func TestRefusesTruncatedFile(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	if err := s.EnsureUser(ctx, "A", "alice"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, "mailscope.db")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	var de *DamagedError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "0 bytes") {
		t.Fatalf("Open of a truncated store: %v, want a DamagedError saying it is empty", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("the error should name the file and say what to do: %v", err)
	}
}

// A store damaged in the middle is refused at start (PRAGMA quick_check)
// instead of starting, answering 250 and failing reads later.
func TestRefusesCorruptFile(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	s.EnsureUser(ctx, "A", "alice")
	fill(t, s)
	s.Close()
	path := filepath.Join(dir, "mailscope.db")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if fi.Size() < 64<<10 {
		t.Fatalf("database only %d bytes: the test needs pages to damage", fi.Size())
	}
	// Overwrite a few pages in the middle (b-tree pages of the messages).
	junk := bytes.Repeat([]byte{0xA5, 0x00, 0xFF, 0x13}, 4096)
	if _, err := f.WriteAt(junk, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Open(dir)
	var de *DamagedError
	if !errors.As(err, &de) {
		t.Fatalf("Open of a damaged store: %v, want a DamagedError", err)
	}
}

// When the disk fills up mid-batch, the reply must match what is on disk:
// every Write that returned nil is stored, and none that returned an error
// is (a 451 followed by the client's retry must not make a duplicate).
// max_page_count makes SQLite answer SQLITE_FULL as a full disk would.
func TestDiskFullRepliesMatchDisk(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	s.EnsureUser(ctx, "A", "alice")
	var pages int
	if err := s.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+40)); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 400) // ~6 KiB: two pages each
	const n = 120
	errs := make([]error, n)
	var wg sync.WaitGroup
	for round := range 3 { // several rounds: the writer batches concurrent jobs
		for i := range n / 3 {
			k := round*(n/3) + i
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = s.Deliver(ctx, &Delivery{Server: "A", TraceID: fmt.Sprint("T", k), Local: []string{"alice"},
					Remote: []string{"bob@b.example"}, Body: body, Received: time.Now()})
			}()
		}
		wg.Wait()
	}
	mb, err := s.Mailbox(ctx, "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages(ctx, mb.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, m := range msgs {
		stored[m.TraceID]++
	}
	ok, failed := 0, 0
	for k, err := range errs {
		id := fmt.Sprint("T", k)
		switch {
		case err == nil && stored[id] != 1:
			t.Errorf("%s: acknowledged but stored %d times", id, stored[id])
		case err != nil && stored[id] != 0:
			t.Errorf("%s: refused (%v) but stored %d times: the client's retry would make a duplicate", id, err, stored[id])
		}
		if err == nil {
			ok++
		} else {
			failed++
		}
	}
	if failed == 0 || ok == 0 {
		t.Fatalf("the test should fill the disk part way: %d stored, %d refused", ok, failed)
	}
	t.Logf("%d stored, %d refused with the disk full", ok, failed)
}

// A page damaged while mailscope runs: the read that meets it fails, and
// from then on no message is acknowledged into the file (ErrDamaged, so an
// SMTP server answers 451 instead of 250).
func TestDamageMetWhileRunningStopsWrites(t *testing.T) {
	s, dir := openTemp(t)
	ctx := context.Background()
	s.EnsureUser(ctx, "A", "alice")
	body := fill(t, s)
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mb, err := s.Mailbox(ctx, "A", "alice", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mailscope.db")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := bytes.Repeat([]byte{0xA5, 0x00, 0xFF, 0x13}, 3*4096/4)
	for off := int64(4 * 4096); off+int64(len(junk)) < fi.Size(); off += 6 * 4096 {
		f.WriteAt(junk, off)
	}
	f.Close()
	var readErr error
	if msgs, err := s.Messages(ctx, mb.ID); err != nil {
		readErr = err
	} else {
		for _, m := range msgs {
			if _, err := s.Body(ctx, m.ID); err != nil {
				readErr = err
				break
			}
		}
	}
	if readErr == nil {
		t.Fatal("no read met the damaged pages")
	}
	if !s.Damaged() {
		t.Fatalf("a read failed with %v, but the store is not marked damaged", readErr)
	}
	_, err = s.Deliver(ctx, &Delivery{Server: "A", TraceID: "after", Local: []string{"alice"}, Body: body, Received: time.Now()})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Deliver after damage: %v, want ErrDamaged", err)
	}
}

// fill delivers 50 messages of about 8 KiB to alice, so that the database
// has pages worth damaging, and returns the body it used.
func fill(t *testing.T, s *Store) []byte {
	t.Helper()
	body := bytes.Repeat([]byte("Subject: x\r\n\r\nfill the pages with mail\r\n"), 200)
	for i := range 50 {
		if _, err := s.Deliver(context.Background(), &Delivery{Server: "A", TraceID: fmt.Sprint("T", i), Local: []string{"alice"},
			Body: body, Received: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return body
}
