package webui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-message"

	"github.com/mailscope/mailscope/servers/store"
)

// Bounds of the preview, the downloads and the search.
const (
	maxPreviewOctets = 2 << 20 // octets of HTML the preview serves
	maxSearchQuery   = 200     // octets of a query
	maxSearchResults = 50      // messages a search answers with
	maxSearchScanned = 5000    // messages a search reads (the newest of each mailbox)
	maxSearchText    = 1 << 20 // decoded text octets of one message searched
)

// previewCSP is the policy of the HTML preview (W3C CSP Level 3): a
// sandbox (no script, no form, no plugin, an opaque origin that reads no
// cookie), nothing loaded from anywhere (so no remote image can tell the
// sender the mail was opened), inline style allowed so the mail looks as
// its author meant, and only this page may frame it.
const previewCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

var errNoPart = errors.New("no such part")

// loadMessage reads message {id} of the request for a handler: its
// mailbox, its row and its bytes; it answers the error itself and returns
// ok false. The request is traced as the webmail's HTTP on the mailbox's
// server; the trace is returned for the handler to finish.
func (s *Server) loadMessage(w http.ResponseWriter, r *http.Request, ctx context.Context) (*store.Mailbox, []byte, *httpTrace, bool) {
	if s.inst.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return nil, nil, nil, false
	}
	mbID, uid, ok := parseMessageKey(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusBadRequest, "message id: want MAILBOX-UID as listed by /api/mailboxes, e.g. 3-1")
		return nil, nil, nil, false
	}
	mb, err := s.inst.Store.MailboxByID(ctx, mbID)
	if errors.Is(err, store.ErrNoMailbox) || err == nil && !viewerFrom(r).mayReadUser(mb.User) {
		// Another student's mailbox is answered as one that does not exist.
		writeError(w, http.StatusNotFound, "no mailbox "+strconv.FormatInt(mbID, 10))
		return nil, nil, nil, false
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return nil, nil, nil, false
	}
	m, err := s.inst.Store.MessageByUID(ctx, mbID, uid)
	var msgID string
	if m != nil {
		msgID = m.TraceID
	}
	tr := s.traceHTTP(r, mb.Server, mb.User, msgID)
	if errors.Is(err, store.ErrNoMessage) {
		tr.done(writeError(w, http.StatusNotFound, fmt.Sprintf("no message with UID %d in %s's %s", uid, mb.User, mb.Name)), http.StatusNotFound, "")
		return nil, nil, nil, false
	} else if err != nil {
		tr.done(writeError(w, http.StatusInternalServerError, err.Error()), http.StatusInternalServerError, "")
		return nil, nil, nil, false
	}
	body, err := s.inst.Store.Body(ctx, m.ID)
	if err != nil {
		tr.done(writeError(w, http.StatusInternalServerError, err.Error()), http.StatusInternalServerError, "")
		return nil, nil, nil, false
	}
	return mb, body, tr, true
}

// handleHTML serves a message's HTML part (?part=PATH, else the one the
// message view names) for the page's <iframe sandbox>: with a policy that
// runs no script and loads nothing remote (previewCSP). The page lists
// what was blocked from the message view's remote list.
func (s *Server) handleHTML(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	_, raw, tr, ok := s.loadMessage(w, r, ctx)
	if !ok {
		return
	}
	path := r.URL.Query().Get("part")
	if !r.URL.Query().Has("part") {
		path = ParseMessage(raw).HTMLPart
	}
	ent, err := findPart(raw, path)
	if err == nil {
		if ct, _, _ := ent.Header.ContentType(); ct != "text/html" {
			err = errNoPart
		}
	}
	if err != nil {
		tr.done(writeError(w, http.StatusNotFound, "no text/html part "+strconv.Quote(path)+" in this message"), http.StatusNotFound, "")
		return
	}
	b, _ := io.ReadAll(io.LimitReader(ent.Body, maxPreviewOctets))
	b = disarmLinks(stripMetaEquiv(b))
	h := w.Header()
	h.Set("Content-Security-Policy", previewCSP)
	// Nor may a link's host be looked up ahead of a click: a DNS query
	// for a per-recipient name tells as much as the pixel.
	h.Set("X-DNS-Prefetch-Control", "off")
	// go-message decoded the part's charset to UTF-8.
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	tr.done(len(b), http.StatusOK, "text/html")
}

// docStartRE is what may come before an HTML document's first element
// without changing how it is parsed: a byte order mark, white space,
// comments and the doctype (an element before the doctype would put the
// document in quirks mode).
var docStartRE = regexp.MustCompile(`(?is)^\x{FEFF}?(?:\s|<!--.*?-->)*(?:<!doctype[^>]*>)?`)

// spacedAttrRE is attrRE with the white space before the attribute, which
// goes with an attribute taken out.
var spacedAttrRE = regexp.MustCompile(`(?is)\s*([a-z][a-z0-9_:-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)`)

// previewBase leads every preview: a link that still had an address would
// open a new window, which the sandbox (no allow-popups) refuses.
const previewBase = `<base target="_blank">`

// disarmLinks makes the links of an HTML preview lead nowhere. A click on
// a link would navigate the sandboxed frame to the mail's address: the
// page's own policy refuses that, and the frame showed the browser's error
// page in place of the mail (and, were it allowed, a phishing page would
// open inside the lesson). So every <a> and <area> with an address gets
// href="#" as its first attribute (of two equal attributes HTML keeps the
// first) and the address as its title, which a hover shows: where the link
// really leads is the lesson. Its own href, xlink:href, target, ping and
// title go. Every <base> of the mail goes too, and previewBase leads the
// document, for what this reading of the markup might miss.
func disarmLinks(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + 64)
	start := docStartRE.FindIndex(b)[1]
	out.Write(b[:start])
	out.WriteString(previewBase)
	last := start
	for _, m := range tagRE.FindAllSubmatchIndex(b[start:], -1) {
		for i := range m {
			m[i] += start
		}
		name := strings.ToLower(string(b[m[2]:m[3]]))
		if name != "a" && name != "area" && name != "base" {
			continue
		}
		out.Write(b[last:m[0]])
		last = m[1]
		if name == "base" {
			continue
		}
		attrs := b[m[4]:m[5]]
		addr := ""
		for _, kv := range attrRE.FindAllSubmatch(attrs, -1) {
			if n := strings.ToLower(string(kv[1])); n == "href" || n == "xlink:href" {
				addr = string(kv[2])
				break
			}
		}
		if addr == "" {
			// An anchor without an address (<a name>) leads nowhere already.
			out.Write(b[m[0]:m[1]])
			continue
		}
		rest := spacedAttrRE.ReplaceAllFunc(attrs, func(a []byte) []byte {
			switch strings.ToLower(string(spacedAttrRE.FindSubmatch(a)[1])) {
			case "href", "xlink:href", "target", "ping", "title":
				return nil
			}
			return a
		})
		if addr[0] != '"' && addr[0] != '\'' {
			addr = `"` + addr + `"` // an unquoted value holds no quote
		}
		out.WriteString("<" + string(b[m[2]:m[3]]) + ` href="#" title=` + addr)
		out.Write(rest)
		out.WriteByte('>')
	}
	out.Write(b[last:])
	return out.Bytes()
}

// handlePart serves one part of a message as a download: always as an
// attachment of type application/octet-stream (the type the message
// claims could make a browser render it on this page's origin), with a
// safe file name, and at most maxPartOctets decoded octets.
func (s *Server) handlePart(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	_, raw, tr, ok := s.loadMessage(w, r, ctx)
	if !ok {
		return
	}
	path := r.PathValue("path")
	ent, err := findPart(raw, path)
	if err != nil || path == "" {
		tr.done(writeError(w, http.StatusNotFound, "no part "+strconv.Quote(path)+" in this message"), http.StatusNotFound, "")
		return
	}
	b, err := io.ReadAll(io.LimitReader(ent.Body, maxPartOctets+1))
	if len(b) > maxPartOctets {
		tr.done(writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("part %s is larger than %d octets", path, maxPartOctets)), http.StatusRequestEntityTooLarge, "")
		return
	}
	if err != nil && len(b) == 0 {
		tr.done(writeError(w, http.StatusUnprocessableEntity, "decoding part "+path+": "+err.Error()), http.StatusUnprocessableEntity, "")
		return
	}
	name := ""
	if _, dp, err := ent.Header.ContentDisposition(); err == nil {
		name = dp["filename"]
	}
	if name == "" {
		_, cp, _ := ent.Header.ContentType()
		name = cp["name"]
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	// RFC 6266: attachment, with the name quoted (or RFC 8187 encoded
	// when it is not ASCII) by FormatMediaType.
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(name, path)}))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	tr.done(len(b), http.StatusOK, "application/octet-stream")
}

// findPart returns the entity at an IMAP section path ("" the message,
// "2.1" the first part of the second), as walk numbers them: the message
// inside a message/rfc822 part keeps its part's path, so a path that goes
// on below such a part goes into its message.
func findPart(raw []byte, path string) (*message.Entity, error) {
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		return nil, err
	}
	if path == "" {
		return ent, nil
	}
	segs := strings.Split(path, ".")
	if len(segs) > maxPartDepth {
		return nil, errNoPart
	}
	for _, seg := range segs {
		n, err := strconv.Atoi(seg)
		if err != nil || n < 1 || n > maxParts {
			return nil, errNoPart
		}
		if ct, _, _ := ent.Header.ContentType(); ct == "message/rfc822" {
			inner, _ := message.Read(io.LimitReader(ent.Body, maxPartOctets))
			if inner == nil {
				return nil, errNoPart
			}
			ent = inner
		}
		mr := ent.MultipartReader()
		if mr == nil {
			return nil, errNoPart
		}
		for i := 1; ; i++ {
			child, _ := mr.NextPart()
			if child == nil {
				return nil, errNoPart
			}
			if i == n {
				ent = child
				break
			}
		}
	}
	return ent, nil
}

// searchResult is one message a search found, and where.
type searchResult struct {
	messageInfo
	Mailbox string   `json:"mailbox"`
	Where   []string `json:"where"` // subject, from, to, body
}

// searchView is the answer of GET /api/search.
type searchView struct {
	Server  string         `json:"server"`
	User    string         `json:"user"`
	Query   string         `json:"q"`
	Results []searchResult `json:"results"`
	// Truncated says more messages matched than Results holds, or the
	// search stopped after maxSearchScanned messages.
	Truncated bool `json:"truncated,omitempty"`
}

// handleSearch finds a user's messages whose subject, From, To or decoded
// text contains q (case-insensitive), newest first, at most
// maxSearchResults. Like the mailbox listing, it is the webmail reading
// the user's mail, traced as HTTP on that server.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	sv, u, ok := s.serverUser(w, r)
	if !ok {
		return
	}
	needle := strings.TrimSpace(r.URL.Query().Get("q"))
	if needle == "" || len(needle) > maxSearchQuery {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("q: the text to look for, 1 to %d octets", maxSearchQuery))
		return
	}
	tr := s.traceHTTP(r, sv.Name, u.Name, "")
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	boxes, err := s.inst.Store.Mailboxes(ctx, sv.Name, u.Name)
	if err != nil {
		tr.done(writeError(w, http.StatusInternalServerError, "reading mailboxes: "+err.Error()), http.StatusInternalServerError, "")
		return
	}
	out := searchView{Server: sv.Name, User: u.Name, Query: needle, Results: []searchResult{}}
	low := strings.ToLower(needle)
	scanned := 0
	for _, b := range boxes {
		msgs, err := s.inst.Store.Messages(ctx, b.ID)
		if err != nil {
			tr.done(writeError(w, http.StatusInternalServerError, "reading messages: "+err.Error()), http.StatusInternalServerError, "")
			return
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			if scanned >= maxSearchScanned {
				out.Truncated = true
				break
			}
			scanned++
			m := msgs[i]
			body, err := s.inst.Store.Body(ctx, m.ID)
			if err != nil {
				continue
			}
			info := messageInfo{ID: messageKey(b.ID, m.UID), UID: m.UID, Size: m.Size, Date: m.InternalDate,
				Flags: nonNil(m.Flags), MsgID: m.TraceID}
			info.From, info.To, info.Subject = summary(body)
			where := matches(low, info, body)
			if len(where) == 0 {
				continue
			}
			if len(out.Results) >= maxSearchResults {
				out.Truncated = true
				continue
			}
			out.Results = append(out.Results, searchResult{messageInfo: info, Mailbox: b.Name, Where: where})
		}
	}
	tr.done(writeJSON(w, http.StatusOK, out), http.StatusOK, "application/json")
}

// matches says where low (lower case) occurs in a message: its subject,
// From, To, decoded text parts, or the file name of a part (an
// attachment's, RFC 2183 section 2.3, or the older Content-Type name).
func matches(low string, info messageInfo, raw []byte) []string {
	var where []string
	for _, f := range []struct{ name, v string }{{"subject", info.Subject}, {"from", info.From}, {"to", info.To}} {
		if strings.Contains(strings.ToLower(f.v), low) {
			where = append(where, f.name)
		}
	}
	text, names := messageText(raw)
	if strings.Contains(strings.ToLower(text), low) {
		where = append(where, "body")
	}
	for _, name := range names {
		if strings.Contains(strings.ToLower(name), low) {
			where = append(where, "attachment")
			break
		}
	}
	return where
}

// messageText is the decoded text of a message's text parts, bounded, and
// the file names of its parts.
func messageText(raw []byte) (string, []string) {
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		return "", nil
	}
	n := 0
	var b strings.Builder
	var names []string
	var collect func(p *Part)
	collect = func(p *Part) {
		if p == nil {
			return
		}
		if p.Filename != "" {
			names = append(names, p.Filename)
		}
		if p.Text != nil && b.Len() < maxSearchText {
			b.WriteString(*p.Text)
			b.WriteByte('\n')
		}
		for _, c := range p.Parts {
			collect(c)
		}
	}
	collect(walk(ent, err, "", 0, &n))
	return b.String(), names
}
