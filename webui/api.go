package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// apiTimeout bounds one API request's store work.
const apiTimeout = 10 * time.Second

// writeJSON writes v as JSON and returns the number of body octets written.
func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":"cannot encode the answer"}`)
		status = http.StatusInternalServerError
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	n, _ := w.Write(b)
	return n
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) int {
	return writeJSON(w, status, apiError{msg})
}

// worldInfo is the answer of GET /api/world.
type worldInfo struct {
	Epoch   string          `json:"epoch"`
	Seq     uint64          `json:"seq"`
	Lang    string          `json:"lang"`
	Servers []serverInfo    `json:"servers"`
	Faults  []servers.Fault `json:"faults"`
	// Control says whether this client may use control actions as it asks
	// now (from loopback, or with the token).
	Control bool `json:"control"`
	// TokenSet says whether a token would let it.
	TokenSet bool `json:"token_set"`
	// Public says the web timeline listens beyond loopback: reading the
	// trace and the mail needs the token too.
	Public bool `json:"public"`
	// Read says whether this client may read the trace and the mail.
	Read bool `json:"read"`
	// Student is the signed-in student this client is ("" for none): it
	// sees only its own sessions and mail, and Users list only it.
	Student string `json:"student,omitempty"`
	// Class says students sign in to this page (POST /api/signin).
	Class bool `json:"class,omitempty"`
}

type serverInfo struct {
	Name      string            `json:"name"`
	Domain    string            `json:"domain"`
	Users     []string          `json:"users"`
	Listeners map[string]string `json:"listeners"`
	Fault     servers.Fault     `json:"fault"`
}

// handleWorld describes the world: servers in order (the ladder's lanes),
// their domains, users and live listeners, and the current faults.
func (s *Server) handleWorld(w http.ResponseWriter, r *http.Request) {
	v, read := s.viewerOf(r)
	info := worldInfo{Epoch: s.epoch, Lang: s.serverLang(), Faults: servers.Faults, TokenSet: s.opts.Token != "",
		Control: s.mayControl(r), Public: s.public.Load(), Read: read, Servers: []serverInfo{},
		Student: v.user, Class: s.classActive()}
	if s.inst.Bus != nil {
		info.Seq = s.inst.Bus.Seq()
	}
	if s.inst.World != nil {
		for _, sv := range s.inst.World.Servers {
			si := serverInfo{Name: sv.Name, Domain: sv.Domain, Users: []string{}, Listeners: map[string]string{}}
			for _, u := range sv.Users {
				if v.mayReadUser(u.Name) {
					si.Users = append(si.Users, u.Name)
				}
			}
			for _, p := range []world.Protocol{world.SMTP, world.POP3, world.IMAP} {
				if a := s.inst.Addr(sv.Name, p); a != "" {
					si.Listeners[string(p)] = a
				}
			}
			if s.inst.Store != nil {
				si.Fault = s.inst.FaultOf(sv.Name)
			}
			info.Servers = append(info.Servers, si)
		}
	}
	writeJSON(w, http.StatusOK, info)
}

// catalogView is the answer of GET /api/catalog: every catalog text in one
// language, with the RFC section of the keys that have one. ServerLang is
// the language of the texts that events carry (mailscope up --lang): the
// page starts in it, and compares an event's text with the catalog of that
// language before it renders the event again in another.
type catalogView struct {
	Lang       string            `json:"lang"`
	ServerLang string            `json:"server_lang"`
	Texts      map[string]string `json:"texts"`
	RFC        map[string]string `json:"rfc"`
}

// serverLang is the instance's language: that of its trace's explanations.
func (s *Server) serverLang() string {
	if s.inst.Bus != nil && s.inst.Bus.Explainer != nil {
		return s.inst.Bus.Explainer.Lang()
	}
	return "en"
}

// handleCatalog serves the catalog in ?lang= (en or zh; without it, the
// instance's language). The answer never changes while mailscope runs, so
// it is encoded once per language.
func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = s.serverLang()
	}
	i := 0
	switch lang {
	case "en":
	case "zh":
		i = 1
	default:
		writeError(w, http.StatusBadRequest, "lang: use en or zh")
		return
	}
	c := &s.catalog[i]
	c.once.Do(func() {
		v := catalogView{Lang: lang, ServerLang: s.serverLang()}
		v.Texts, v.RFC = tracer.CatalogTexts(lang)
		c.body, _ = json.Marshal(v)
	})
	// The catalog changes only with the program, so with the run: the
	// browser keeps it and asks whether it is still current (RFC 9111
	// section 5.2.2.4, RFC 9110 section 13.1.2).
	etag := `"` + s.epoch + "-" + lang + `"`
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(c.body)
}

// handleSessions lists the sessions of the kept history.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	if s.inst.Bus == nil {
		writeJSON(w, http.StatusOK, []SessionInfo{})
		return
	}
	v := viewerFrom(r)
	list := Sessions(s.visibleEvents(v, s.inst.Bus.History(0)))
	if s.classActive() && len(list) > 0 {
		// Whose each session is: the instructor's class overview, and a
		// student's own name on theirs.
		o := s.ownerIndex()
		o.wait(list[len(list)-1].LastSeq)
		for i := range list {
			list[i].Owner = o.owner(list[i].ID)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

// handleTranscript serves one session's events as text, Markdown or JSONL.
func (s *Server) handleTranscript(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "text"
	}
	ext, ctype := "", ""
	switch format {
	case "text", "txt":
		format, ext, ctype = "text", "txt", "text/plain; charset=utf-8"
	case "md", "markdown":
		format, ext, ctype = "md", "md", "text/markdown; charset=utf-8"
	case "jsonl":
		ext, ctype = "jsonl", "application/jsonl; charset=utf-8"
	default:
		writeError(w, http.StatusBadRequest, "format: use text, md or jsonl")
		return
	}
	var evs []*tracer.Event
	if s.inst.Bus != nil {
		for _, e := range s.inst.Bus.History(0) {
			if e.Session == id {
				evs = append(evs, e)
			}
		}
	}
	// Another student's session is answered as one the history lacks.
	evs = s.visibleEvents(viewerFrom(r), evs)
	if len(evs) == 0 {
		writeError(w, http.StatusNotFound, "no session "+strconv.Quote(id)+" in the kept history")
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": safeFileName(id) + "." + ext}))
	switch format {
	case "text":
		WriteText(w, evs)
	case "md":
		var x *tracer.Explainer
		if s.inst.Bus != nil {
			x = s.inst.Bus.Explainer
		}
		WriteMarkdown(w, evs, x)
	case "jsonl":
		tracer.WriteJSONL(w, evs)
	}
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// mailboxList is the answer of GET /api/mailboxes.
type mailboxList struct {
	Server    string        `json:"server"`
	User      string        `json:"user"`
	Mailboxes []mailboxInfo `json:"mailboxes"`
}

type mailboxInfo struct {
	ID          int64         `json:"id"`
	Name        string        `json:"name"`
	Special     string        `json:"special,omitempty"`
	UIDValidity uint32        `json:"uidvalidity"`
	UIDNext     uint32        `json:"uidnext"`
	Messages    []messageInfo `json:"messages"`
}

// messageInfo is one line of a mailbox listing.
type messageInfo struct {
	ID      string    `json:"id"` // "MAILBOX-UID", the key of /api/messages/{id}
	UID     uint32    `json:"uid"`
	Size    int64     `json:"size"`
	Date    time.Time `json:"date"` // internal date: when the server stored it
	Flags   []string  `json:"flags"`
	MsgID   string    `json:"msgid,omitempty"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
}

// serverUser finds the server and user a webmail request names
// (?server=B&user=bob), or answers the request with why not.
func (s *Server) serverUser(w http.ResponseWriter, r *http.Request) (*world.Server, *world.User, bool) {
	if s.inst.Store == nil || s.inst.World == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return nil, nil, false
	}
	q := r.URL.Query()
	sv := s.inst.World.Server(q.Get("server"))
	if sv == nil {
		writeError(w, http.StatusBadRequest, "server: name one of the world's servers ("+strings.Join(serverNames(s.inst.World), ", ")+")")
		return nil, nil, false
	}
	// A student reads only their own mail: another user is as unknown
	// as one that does not exist (classroom mode, owner.go).
	name := q.Get("user")
	if v := viewerFrom(r); name == "" && !v.all {
		name = v.user // a signed-in student's own, unless they name it
	}
	u := sv.User(name)
	if u == nil || !viewerFrom(r).mayReadUser(u.Name) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("user: server %s has no user %q", sv.Name, name))
		return nil, nil, false
	}
	return sv, u, true
}

// maxListed caps a mailbox listing (newest kept).
const maxListed = 500

// handleMailboxes lists a user's mailboxes with their messages. It is the
// webmail reading a mailbox, so it is traced as HTTP on that server.
func (s *Server) handleMailboxes(w http.ResponseWriter, r *http.Request) {
	sv, u, ok := s.serverUser(w, r)
	if !ok {
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
	out := mailboxList{Server: sv.Name, User: u.Name, Mailboxes: []mailboxInfo{}}
	for _, b := range boxes {
		mi := mailboxInfo{ID: b.ID, Name: b.Name, Special: b.Special, UIDValidity: b.UIDValidity, UIDNext: b.UIDNext, Messages: []messageInfo{}}
		msgs, err := s.inst.Store.Messages(ctx, b.ID)
		if err != nil {
			tr.done(writeError(w, http.StatusInternalServerError, "reading messages: "+err.Error()), http.StatusInternalServerError, "")
			return
		}
		if len(msgs) > maxListed {
			msgs = msgs[len(msgs)-maxListed:]
		}
		for _, m := range msgs {
			info := messageInfo{ID: messageKey(b.ID, m.UID), UID: m.UID, Size: m.Size, Date: m.InternalDate,
				Flags: nonNil(m.Flags), MsgID: m.TraceID}
			if body, err := s.inst.Store.Body(ctx, m.ID); err == nil {
				info.From, info.To, info.Subject = summary(body)
			}
			mi.Messages = append(mi.Messages, info)
		}
		out.Mailboxes = append(out.Mailboxes, mi)
	}
	tr.done(writeJSON(w, http.StatusOK, out), http.StatusOK, "application/json")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func serverNames(w *world.World) []string {
	var n []string
	for _, s := range w.Servers {
		n = append(n, s.Name)
	}
	return n
}

// messageKey names a message for the API: its mailbox's id and its UID.
func messageKey(mailbox int64, uid uint32) string {
	return strconv.FormatInt(mailbox, 10) + "-" + strconv.FormatUint(uint64(uid), 10)
}

func parseMessageKey(k string) (int64, uint32, bool) {
	a, b, ok := strings.Cut(k, "-")
	if !ok {
		return 0, 0, false
	}
	mb, err1 := strconv.ParseInt(a, 10, 64)
	uid, err2 := strconv.ParseUint(b, 10, 32)
	return mb, uint32(uid), err1 == nil && err2 == nil && mb > 0 && uid > 0
}

// handleMessage shows one message: headers, MIME tree with decoded text
// parts, and the raw source. Traced as HTTP on the mailbox's server.
func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	if s.inst.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return
	}
	mbID, uid, ok := parseMessageKey(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusBadRequest, "message id: want MAILBOX-UID as listed by /api/mailboxes, e.g. 3-1")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	mb, err := s.inst.Store.MailboxByID(ctx, mbID)
	if errors.Is(err, store.ErrNoMailbox) || err == nil && !viewerFrom(r).mayReadUser(mb.User) {
		// Another student's mailbox is answered as one that does not exist.
		writeError(w, http.StatusNotFound, "no mailbox "+strconv.FormatInt(mbID, 10))
		return
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	m, err := s.inst.Store.MessageByUID(ctx, mbID, uid)
	var msgID string
	if m != nil {
		msgID = m.TraceID
	}
	tr := s.traceHTTP(r, mb.Server, mb.User, msgID)
	if errors.Is(err, store.ErrNoMessage) {
		tr.done(writeError(w, http.StatusNotFound, fmt.Sprintf("no message with UID %d in %s's %s", uid, mb.User, mb.Name)), http.StatusNotFound, "")
		return
	} else if err != nil {
		tr.done(writeError(w, http.StatusInternalServerError, err.Error()), http.StatusInternalServerError, "")
		return
	}
	body, err := s.inst.Store.Body(ctx, m.ID)
	if err != nil {
		tr.done(writeError(w, http.StatusInternalServerError, err.Error()), http.StatusInternalServerError, "")
		return
	}
	v := ParseMessage(body)
	v.ID = messageKey(mbID, uid)
	v.Server, v.User, v.Mailbox, v.UID = mb.Server, mb.User, mb.Name, uid
	v.Flags, v.Date, v.MsgID = nonNil(m.Flags), m.InternalDate, m.TraceID
	tr.done(writeJSON(w, http.StatusOK, v), http.StatusOK, "application/json")
}

// handleFlush starts delivery now of queued mail (?domain= for one domain).
func (s *Server) handleFlush(w http.ResponseWriter, r *http.Request) {
	if s.inst.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return
	}
	domain := formValue(r, "domain")
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	n, err := s.inst.Flush(ctx, domain)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": domain, "woken": n})
}

func (s *Server) faultMap() map[string]servers.Fault {
	out := map[string]servers.Fault{}
	if s.inst.World == nil {
		return out
	}
	for _, sv := range s.inst.World.Servers {
		out[sv.Name] = s.inst.FaultOf(sv.Name)
	}
	return out
}

// faultsView is the answer of GET and POST /api/faults.
type faultsView struct {
	Faults  []servers.Fault          `json:"faults"`  // what a server can be switched to
	Servers map[string]servers.Fault `json:"servers"` // each server's current fault ("" none)
	About   []faultInfo              `json:"about"`   // each position of the switch, "up" first, and what it does
}

func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, faultsView{Faults: servers.Faults, Servers: s.faultMap(), About: s.faultAbout()})
}

// handleSetFault switches a server's fault: server=B&fault=down (query,
// form or a JSON body {"server":"B","fault":"down"}); fault "", "none",
// "up" or "clear" switches it off.
func (s *Server) handleSetFault(w http.ResponseWriter, r *http.Request) {
	if s.inst.World == nil {
		writeError(w, http.StatusServiceUnavailable, "no world")
		return
	}
	server, fault := formValue(r, "server"), formValue(r, "fault")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct{ Server, Fault string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "JSON body: "+err.Error())
			return
		}
		server, fault = body.Server, body.Fault
	}
	sv := s.inst.World.Server(server)
	if sv == nil {
		writeError(w, http.StatusBadRequest, "server: name one of the world's servers ("+strings.Join(serverNames(s.inst.World), ", ")+")")
		return
	}
	f, err := servers.ParseFault(strings.TrimSpace(fault))
	if err != nil {
		writeError(w, http.StatusBadRequest, "fault: "+err.Error())
		return
	}
	if err := s.inst.SetFault(sv.Name, f); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, faultsView{Faults: servers.Faults, Servers: s.faultMap(), About: s.faultAbout()})
}

// formValue reads a parameter from the query or an url-encoded form body.
func formValue(r *http.Request, key string) string {
	if v := r.URL.Query().Get(key); v != "" {
		return v
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, 4096)
		return r.PostFormValue(key)
	}
	return ""
}
