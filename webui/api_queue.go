package webui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/relay"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/tracer"
)

// maxDoneShown bounds the finished (delivered and bounced) recipients the
// queue view lists.
const maxDoneShown = 100

// queueView is the answer of GET /api/queue.
type queueView struct {
	Now time.Time `json:"now"` // the server's clock, for countdowns
	// Entries are the recipients waiting, oldest first, each with its
	// attempts so far, its coming attempts and its give-up time.
	Entries []servers.QueueRecord `json:"entries"`
	// Done are the newest finished recipients (delivered or bounced),
	// newest first: they stay, marked, with when.
	Done   []servers.QueueRecord    `json:"done"`
	Faults map[string]servers.Fault `json:"faults"`
	About  []faultInfo              `json:"about"`
	// Retry is the world's retry schedule (the waits between attempts)
	// and GiveUp the time after queueing when the queue bounces ("0s":
	// never).
	Retry  []string `json:"retry"`
	GiveUp string   `json:"give_up"`
	// The same in milliseconds, for the page to write in its reader's
	// words ("1m", "1 分钟") rather than Go's ("1m0s").
	RetryMS  []int64 `json:"retry_ms"`
	GiveUpMS int64   `json:"give_up_ms"`
}

// handleQueue lists every server's outgoing queue with its history.
func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	if s.inst.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	pending, done, err := s.inst.QueueRecords(ctx, maxDoneShown)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the queue: "+err.Error())
		return
	}
	if who := viewerFrom(r); !who.all {
		pending, done = s.ownQueue(who.user, pending), s.ownQueue(who.user, done)
	}
	v := queueView{Now: time.Now(), Entries: pending, Done: done, Faults: s.faultMap(), About: s.faultAbout(), Retry: []string{}, RetryMS: []int64{}}
	if s.inst.World != nil {
		for _, d := range s.inst.World.Queue.Retry {
			v.Retry = append(v.Retry, d.String())
			v.RetryMS = append(v.RetryMS, d.Milliseconds())
		}
		v.GiveUp = s.inst.World.Queue.GiveUp.String()
		v.GiveUpMS = s.inst.World.Queue.GiveUp.Milliseconds()
	}
	writeJSON(w, http.StatusOK, v)
}

// queueAction is the answer of the retry and bounce actions.
type queueAction struct {
	ID string `json:"id"`
	N  int    `json:"n"` // how many recipients it acted on
}

// handleRetryNow makes the next attempt of the recipients {id} names (a
// recipient's id as /api/queue lists it, or a message's trace id) due now.
func (s *Server) handleRetryNow(w http.ResponseWriter, r *http.Request) {
	s.queueAction(w, r, s.inst.RetryNow)
}

// handleBounceNow bounces the recipients {id} names now: the sender gets
// the bounce the queue sends when it gives up.
func (s *Server) handleBounceNow(w http.ResponseWriter, r *http.Request) {
	s.queueAction(w, r, s.inst.BounceNow)
}

func (s *Server) queueAction(w http.ResponseWriter, r *http.Request, act func(context.Context, string) (int, error)) {
	if s.inst.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore.Error())
		return
	}
	id := r.PathValue("id")
	if id == "" || len(id) > 200 {
		writeError(w, http.StatusBadRequest, "id: a recipient's id from /api/queue, or a message's trace id")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	n, err := act(ctx, id)
	switch {
	case errors.Is(err, store.ErrNoMessage):
		writeError(w, http.StatusNotFound, "no recipient or message "+strconv.Quote(id)+" in a queue")
	case relay.IsNotQueued(err):
		// RFC 9110 section 15.5.10: the queue's state forbids it now.
		writeError(w, http.StatusConflict, s.say("cli.queue.notqueue", "id", strconv.Quote(id)))
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, queueAction{ID: id, N: n})
	}
}

// faultInfo is one position of a server's fault switch: its word as the
// CLI says it ("up" for no fault), and the catalog keys of its label and
// of what it does, with that text in the instance's language.
type faultInfo struct {
	Fault servers.Fault `json:"fault"` // "" for up
	Word  string        `json:"word"`  // up, down, greylist, ...
	Label string        `json:"label"` // catalog key of the button's label
	Key   string        `json:"key"`   // catalog key of what it does
	Does  string        `json:"does"`  // what it does, in the instance's language
}

// faultAbout lists the switch's positions, "up" first.
func (s *Server) faultAbout() []faultInfo {
	x := tracer.NewExplainer(s.serverLang())
	out := []faultInfo{}
	for _, f := range append([]servers.Fault{servers.FaultNone}, servers.Faults...) {
		word := string(f)
		if f == servers.FaultNone {
			word = "up"
		}
		k := "web.fault.does." + word
		out = append(out, faultInfo{Fault: f, Word: word, Label: "web.fault." + word, Key: k, Does: x.Format(tracer.M(k))})
	}
	return out
}
