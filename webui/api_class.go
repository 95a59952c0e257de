package webui

import (
	"net"
	"net/http"

	"github.com/mailscope/mailscope/servers/world"
)

// classSheet is the answer of GET /api/class: the class sheet for the
// instructor's page to print (mailscope up --class writes the same to
// class.txt). It holds every student's password, so only a request that
// may control the world gets it (the control token, or loopback while the
// page is not public): a student's own sign-in never does.
type classSheet struct {
	Web      string          `json:"web"` // the page's address as this request reached it
	Servers  []classServer   `json:"servers"`
	Students []classStudent  `json:"students"`
	Limits   classLimitsInfo `json:"limits"`
}

// classServer is one server's addresses as a student types them.
type classServer struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
	SMTP   string `json:"smtp"`
	POP3   string `json:"pop3"`
	IMAP   string `json:"imap"`
}

// classStudent is one line of the sheet.
type classStudent struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Roster   string `json:"roster,omitempty"`
}

// classLimitsInfo are the per-student limits (world.ClassPolicy).
type classLimitsInfo struct {
	MessagesPerMinute int   `json:"messages_per_minute"`
	MailboxSize       int64 `json:"mailbox_size"`
	SessionsPerUser   int   `json:"sessions_per_user"`
}

// handleClass answers GET /api/class; 404 when the world has no class.
func (s *Server) handleClass(w http.ResponseWriter, r *http.Request) {
	if s.inst == nil || len(s.inst.Students) == 0 {
		writeError(w, http.StatusNotFound, s.say("web.err.class.none"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	out := classSheet{Web: "http://" + s.sheetWebHost(r) + "/", Servers: []classServer{}, Students: []classStudent{}}
	for _, sv := range s.inst.World.Servers {
		out.Servers = append(out.Servers, classServer{Name: sv.Name, Domain: sv.Domain,
			SMTP: s.inst.PublicAddr(sv.Name, world.SMTP), POP3: s.inst.PublicAddr(sv.Name, world.POP3), IMAP: s.inst.PublicAddr(sv.Name, world.IMAP)})
	}
	for _, st := range s.inst.Students {
		out.Students = append(out.Students, classStudent{Name: st.Name, Password: st.Password, Roster: st.Roster})
	}
	p := s.inst.World.Class
	out.Limits = classLimitsInfo{MessagesPerMinute: p.MessagesPerMinute, MailboxSize: p.MailboxSize, SessionsPerUser: p.SessionsPerUser}
	writeJSON(w, http.StatusOK, out)
}

// sheetWebHost is the web page's address as the sheet gives it: the one
// this request came by, unless that is loopback while the page listens
// beyond it (the instructor opened the banner's first address): then the
// machine's address the students type, as the sheet's telnet lines have
// it.
func (s *Server) sheetWebHost(r *http.Request) string {
	if !s.public.Load() || !IsLoopback(net.JoinHostPort(hostOnly(r.Host), "1")) || len(s.inst.World.Servers) == 0 {
		return r.Host
	}
	pa := s.inst.PublicAddr(s.inst.World.Servers[0].Name, world.SMTP)
	host, _, err := net.SplitHostPort(pa)
	if err != nil || IsLoopback(pa) {
		return r.Host
	}
	return net.JoinHostPort(host, portOf(r.Host, "80"))
}
