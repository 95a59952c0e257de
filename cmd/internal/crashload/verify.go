package crashload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mailbox is one user's maildrop, read over POP3.
type Mailbox struct {
	Server string // A or B
	Addr   string // POP3 address
	User   string
	Pass   string
	Email  string // user@domain, to match queue recipients
}

// VerifyConfig says where the world is.
type VerifyConfig struct {
	// Web is the address of the web timeline (the control API), for
	// example http://127.0.0.1:8025.
	Web string
	// Mailboxes to read; empty: every user of every server, found with
	// GET /api/world, password = user name (the default world).
	Mailboxes []Mailbox
	// Logs are the load logs (Run's Config.Log) of every load run whose
	// messages are in this world.
	Logs []string
	// DrainTimeout bounds the wait for the queues to empty (default 2m).
	DrainTimeout time.Duration
}

// Report is what Verify found.
type Report struct {
	Sent, Acked int // messages sent and acknowledged with 250
	// At the restart, before the queues drained: acknowledged messages
	// whose every recipient was in a mailbox or in the queue.
	Queued, Present int
	// After the queues drained:
	Found        int      // distinct tokens found
	Unknown      int      // of those, sent but never acknowledged
	Missing      []string // acknowledged, some recipient lacks it (at the restart or at the end)
	Duplicates   []string // a recipient holds it twice or more
	Misdelivered []string // in a mailbox it was not sent to
	Partial      []string // unknown, but in some of its recipients' mailboxes and not all
	Foreign      []string // tokens that were never sent
	Refused      []string // refused with a 4xx/5xx reply, yet stored
	Other        int      // messages without a token (bounces, others' mail)
	Remaining    int      // queue entries left when the drain gave up
	Drain        time.Duration
}

// OK says whether nothing acknowledged was lost and nothing came twice.
func (r *Report) OK() bool {
	return len(r.Missing) == 0 && len(r.Duplicates) == 0 && len(r.Misdelivered) == 0 &&
		len(r.Partial) == 0 && len(r.Foreign) == 0 && len(r.Refused) == 0 && r.Remaining == 0
}

func (r *Report) String() string {
	s := fmt.Sprintf("acknowledged=%d found=%d (unacknowledged %d of %d) missing=%d duplicates=%d queued-at-restart=%d drained-in=%s",
		r.Acked, r.Found, r.Unknown, r.Sent-r.Acked, len(r.Missing), len(r.Duplicates), r.Queued, r.Drain.Round(10*time.Millisecond))
	for _, x := range []struct {
		name string
		list []string
	}{{"missing", r.Missing}, {"duplicates", r.Duplicates}, {"misdelivered", r.Misdelivered}, {"partial", r.Partial}, {"foreign", r.Foreign}, {"refused-but-stored", r.Refused}} {
		if len(x.list) > 0 {
			s += fmt.Sprintf("\n  %s: %s", x.name, head(x.list, 20))
		}
	}
	if r.Remaining > 0 {
		s += fmt.Sprintf("\n  %d queue entries did not drain", r.Remaining)
	}
	if r.Other > 0 {
		s += fmt.Sprintf("\n  %d other messages (no token; bounces?)", r.Other)
	}
	return s
}

func head(l []string, n int) string {
	if len(l) > n {
		return strings.Join(l[:n], " ") + fmt.Sprintf(" ... (%d)", len(l))
	}
	return strings.Join(l, " ")
}

// sentMsg is one message of the logs.
type sentMsg struct {
	rcpts   string // "a", "b", "ab"
	acked   bool
	refused bool // a reply refused it: it must not be stored
	traceID string
}

// readLogs reads the load logs.
func readLogs(paths []string) (map[string]*sentMsg, error) {
	msgs := map[string]*sentMsg{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 3 && f[0] == "sent":
				if _, dup := msgs[f[1]]; dup {
					return nil, fmt.Errorf("%s: token %s sent twice (reused prefix?)", p, f[1])
				}
				msgs[f[1]] = &sentMsg{rcpts: f[2]}
			case len(f) == 4 && f[0] == "ack":
				m := msgs[f[1]]
				if m == nil {
					return nil, fmt.Errorf("%s: ack of %s before it was sent", p, f[1])
				}
				m.acked, m.traceID = true, f[3]
			case len(f) == 3 && f[0] == "fail":
				if m := msgs[f[1]]; m != nil {
					m.refused = true
				}
			case len(f) == 0:
			default:
				// A torn last line is impossible with one write per line,
				// but say so rather than guess.
				return nil, fmt.Errorf("%s: bad line %q", p, sc.Text())
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// rcptKey names one copy of a message: the token and the mailbox it is for.
func rcptKeys(token, rcpts string) []string {
	var out []string
	if strings.Contains(rcpts, "a") {
		out = append(out, token+" "+LocalRcpt)
	}
	if strings.Contains(rcpts, "b") {
		out = append(out, token+" "+RemoteRcpt)
	}
	return out
}

// Verify reads the world after a restart: first A's queue and every
// mailbox (each acknowledged message must be in one or the other), then it
// flushes the queue until it is empty and reads the mailboxes again: each
// acknowledged message must now be in each of its recipients' mailboxes
// exactly once, and no message anywhere twice.
//
// The first look reads the queue before the mailboxes: a message that
// leaves the queue in between is already in the mailbox (the receiving
// server commits before the sending one marks it sent), so nothing in
// transit looks lost. Duplicates are judged only on the drained world: a
// message both in the queue and in bob's mailbox is a duplicate only if
// it gets delivered again.
func Verify(ctx context.Context, cfg VerifyConfig) (*Report, error) {
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 2 * time.Minute
	}
	msgs, err := readLogs(cfg.Logs)
	if err != nil {
		return nil, err
	}
	api := &apiClient{base: strings.TrimRight(cfg.Web, "/"), http: &http.Client{Timeout: 10 * time.Second}}
	boxes := cfg.Mailboxes
	if len(boxes) == 0 {
		if boxes, err = api.mailboxes(ctx); err != nil {
			return nil, err
		}
	}
	rep := &Report{}
	byTrace := map[string]string{}
	for tok, m := range msgs {
		rep.Sent++
		if m.acked {
			rep.Acked++
			byTrace[m.traceID] = tok
		}
	}

	// The first look: queue, then mailboxes.
	queue, err := api.queue(ctx)
	if err != nil {
		return nil, err
	}
	where := map[string]int{}
	for _, e := range queue {
		if tok, ok := byTrace[e.MsgID]; ok {
			where[tok+" "+strings.ToLower(e.Rcpt)]++
			rep.Queued++
		}
	}
	first, _, err := readMailboxes(ctx, boxes)
	if err != nil {
		return nil, err
	}
	missing := map[string]bool{}
	for tok, m := range msgs {
		if !m.acked {
			continue
		}
		ok := true
		for _, k := range rcptKeys(tok, m.rcpts) {
			if where[k]+first[k] == 0 {
				ok = false
			}
		}
		if ok {
			rep.Present++
		} else {
			missing[tok] = true
		}
	}

	// Drain: flush until nothing is left, then the second look.
	start := time.Now()
	for {
		q, err := api.queue(ctx)
		if err != nil {
			return nil, err
		}
		rep.Remaining = len(q)
		if len(q) == 0 || time.Since(start) > cfg.DrainTimeout {
			break
		}
		if err := api.flush(ctx); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	rep.Drain = time.Since(start)
	final, other, err := readMailboxes(ctx, boxes)
	if err != nil {
		return nil, err
	}
	rep.Other = other
	found := map[string]bool{}
	letter := map[string]string{LocalRcpt: "a", RemoteRcpt: "b"}
	for k, n := range final {
		tok, rcpt, _ := strings.Cut(k, " ")
		found[tok] = true
		m := msgs[tok]
		switch {
		case m == nil:
			rep.Foreign = append(rep.Foreign, tok)
		case letter[rcpt] == "" || !strings.Contains(m.rcpts, letter[rcpt]):
			rep.Misdelivered = append(rep.Misdelivered, tok+"->"+rcpt)
		case n > 1:
			rep.Duplicates = append(rep.Duplicates, fmt.Sprintf("%s->%s(x%d)", tok, rcpt, n))
		}
	}
	rep.Found = len(found)
	for tok := range found {
		m := msgs[tok]
		if m == nil {
			continue
		}
		have := 0
		keys := rcptKeys(tok, m.rcpts)
		for _, k := range keys {
			if final[k] > 0 {
				have++
			}
		}
		if m.refused {
			rep.Refused = append(rep.Refused, tok)
		}
		if !m.acked {
			rep.Unknown++
			if have > 0 && have < len(keys) && rep.Remaining == 0 {
				rep.Partial = append(rep.Partial, tok)
			}
		}
	}
	for tok, m := range msgs {
		if !m.acked {
			continue
		}
		for _, k := range rcptKeys(tok, m.rcpts) {
			if final[k] == 0 && rep.Remaining == 0 {
				missing[tok] = true
			}
		}
	}
	for tok := range missing {
		rep.Missing = append(rep.Missing, tok)
	}
	for _, l := range [][]string{rep.Missing, rep.Duplicates, rep.Misdelivered, rep.Partial, rep.Foreign, rep.Refused} {
		sort.Strings(l)
	}
	return rep, nil
}

// readMailboxes counts the copies of each token per recipient ("token
// user@domain") over every mailbox, and the messages without a token.
func readMailboxes(ctx context.Context, boxes []Mailbox) (map[string]int, int, error) {
	counts := map[string]int{}
	other := 0
	for _, b := range boxes {
		subjects, err := popSubjects(ctx, b)
		if err != nil {
			return nil, 0, fmt.Errorf("reading %s's mailbox at %s: %w", b.User, b.Server, err)
		}
		for _, s := range subjects {
			tok, ok := strings.CutPrefix(s, SubjectPrefix)
			if !ok {
				other++
				continue
			}
			counts[tok+" "+b.Email]++
		}
	}
	return counts, other, nil
}

// popSubjects logs in over POP3 (RFC 1939 section 7, USER/PASS) and reads
// every message's Subject with TOP n 0 (headers only), many commands per
// write. It leaves the maildrop as it was: no DELE.
func popSubjects(ctx context.Context, b Mailbox) ([]string, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", b.Addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	r := textproto.NewReader(bufio.NewReaderSize(conn, 64<<10))
	w := bufio.NewWriter(conn)
	status := func() (string, error) {
		l, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(l, "+OK") {
			return "", errors.New(l)
		}
		return l, nil
	}
	cmd := func(s string) (string, error) {
		w.WriteString(s + "\r\n")
		if err := w.Flush(); err != nil {
			return "", err
		}
		return status()
	}
	if _, err := status(); err != nil {
		return nil, err
	}
	if _, err := cmd("USER " + b.User); err != nil {
		return nil, err
	}
	if _, err := cmd("PASS " + b.Pass); err != nil {
		return nil, fmt.Errorf("PASS: %w", err)
	}
	st, err := cmd("STAT")
	if err != nil {
		return nil, err
	}
	f := strings.Fields(st)
	if len(f) < 2 {
		return nil, fmt.Errorf("STAT: %q", st)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return nil, fmt.Errorf("STAT: %q", st)
	}
	var out []string
	const batch = 100
	for lo := 1; lo <= n; lo += batch {
		hi := min(lo+batch-1, n)
		for i := lo; i <= hi; i++ {
			fmt.Fprintf(w, "TOP %d 0\r\n", i)
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
		for i := lo; i <= hi; i++ {
			if _, err := status(); err != nil {
				return nil, fmt.Errorf("TOP %d 0: %w", i, err)
			}
			subject := ""
			for {
				l, err := r.ReadLine()
				if err != nil {
					return nil, err
				}
				if l == "." {
					break
				}
				if s, ok := strings.CutPrefix(l, "Subject: "); ok && subject == "" {
					subject = s
				}
			}
			out = append(out, subject)
		}
	}
	cmd("QUIT")
	return out, nil
}

// QueueEntry is the part of GET /api/queue's entries the check reads.
type QueueEntry struct {
	MsgID  string `json:"msgid"`
	Rcpt   string `json:"rcpt"`
	Status string `json:"status"`
}

type apiClient struct {
	base string
	http *http.Client
}

func (a *apiClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

func (a *apiClient) queue(ctx context.Context) ([]QueueEntry, error) {
	var v struct {
		Entries []QueueEntry `json:"entries"`
	}
	err := a.do(ctx, "GET", "/api/queue", &v)
	return v.Entries, err
}

func (a *apiClient) flush(ctx context.Context) error {
	return a.do(ctx, "POST", "/api/queue/flush?"+url.Values{"domain": {""}}.Encode(), nil)
}

// mailboxes lists every user of every server with its POP3 address.
func (a *apiClient) mailboxes(ctx context.Context) ([]Mailbox, error) {
	var v struct {
		Servers []struct {
			Name      string            `json:"name"`
			Domain    string            `json:"domain"`
			Users     []string          `json:"users"`
			Listeners map[string]string `json:"listeners"`
		} `json:"servers"`
	}
	if err := a.do(ctx, "GET", "/api/world", &v); err != nil {
		return nil, err
	}
	var out []Mailbox
	for _, s := range v.Servers {
		addr := s.Listeners["pop3"]
		if addr == "" {
			return nil, fmt.Errorf("server %s has no POP3 listener", s.Name)
		}
		for _, u := range s.Users {
			out = append(out, Mailbox{Server: s.Name, Addr: addr, User: u, Pass: u, Email: u + "@" + s.Domain})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("GET /api/world lists no users")
	}
	return out, nil
}
