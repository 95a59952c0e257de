// Package servers runs a mailscope world: for every server of the world an
// SMTP, a POP3 and an IMAP listener over one shared store, every socket
// traced on one bus.
package servers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailscope/mailscope/servers/internal/limits"
	"github.com/mailscope/mailscope/servers/internal/penalty"
	"github.com/mailscope/mailscope/servers/relay"
	"github.com/mailscope/mailscope/servers/store"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Config says how to run a world.
type Config struct {
	World   *world.World
	DataDir string
	Bus     *tracer.Bus // nil: a new bus
	Logger  *slog.Logger
	// Listen overrides how listeners are opened (tests use it to bind
	// 127.0.0.1:0); nil uses the world's port layout.
	Listen func(server *world.Server, proto world.Protocol) (net.Listener, error)
	// Limits bounds the sessions of every SMTP, POP3 and IMAP server.
	Limits Limits
	// Class, when set, adds a class's accounts to every server (see
	// Class and world.ClassPolicy).
	Class *Class
}

// Limits bounds each protocol server's sessions; a zero field keeps that
// server's default (limits.Settings gives them; SMTP's IdleTimeout is the
// world's setting). Over a connection limit a client is told why instead
// of greeted: 421 4.7.0, -ERR [SYS/TEMP], * BYE [UNAVAILABLE]. A time limit
// ends the session with 421 4.4.2, -ERR or * BYE saying which.
type Limits = limits.Settings

// service is one protocol server that can serve a listener and shut down.
type service interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

// Listener is one live address.
type Listener struct {
	Server string
	Proto  world.Protocol
	Addr   string
}

// Instance is a running world.
type Instance struct {
	World   *world.World
	Store   *store.Store
	Bus     *tracer.Bus
	Logger  *slog.Logger
	DataDir string
	TLS     *tls.Config
	// Penalty slows password guessing across all servers and protocols of
	// the world (failed logins by client address and by user).
	Penalty *penalty.Box
	// PortBase is the base actually used; FellBack says standard ports were
	// refused and why.
	PortBase int
	FellBack error

	listeners []Listener
	services  []service
	closers   []func(context.Context) error
	wg        sync.WaitGroup
	closeOnce sync.Once

	faults  faults
	relay   *relay.Relay
	smtpLns map[string]*liveListener // what the down fault closes and opens
	// smtpData is the memory the SMTP servers' sessions may hold together
	// for the messages they are receiving (smtp.Server.DataBudget).
	smtpData *limits.Budget
	// accounts counts the class accounts' sessions and messages.
	accounts accountLimits

	// Students are the class's open accounts, in the order of the sheet
	// (Config.Class); none without a class.
	Students []world.Student
	// LabNetworks are the private networks of this machine that a class
	// trusts to relay without AUTH (labNetworks), added to the world's
	// trusted networks.
	LabNetworks []netip.Prefix
}

// Start opens the store, binds every listener and starts serving.
func Start(cfg Config) (*Instance, error) {
	if cfg.World == nil {
		cfg.World = world.Default()
	}
	if cfg.Bus == nil {
		cfg.Bus = tracer.NewBus(tracer.WithMask(cfg.World.MaskCredentials))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	inst := &Instance{World: cfg.World, Store: st, Bus: cfg.Bus, Logger: cfg.Logger, DataDir: cfg.DataDir, Penalty: &penalty.Box{}}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	if cfg.Class != nil {
		if err := inst.openClass(context.Background(), cfg.Class); err != nil {
			return nil, err
		}
		cfg.Limits = classConnLimits(cfg.Limits, len(inst.Students), cfg.World.Class.SessionsPerUser)
		// A lab behind NAT is the whole class on one address: each
		// student's typo is free there, and each account's own count
		// still slows a guesser from its first failure on.
		inst.Penalty.AddressFree = len(inst.Students)
		if ifs, err := net.InterfaceAddrs(); err == nil {
			inst.LabNetworks = labNetworks(ifs, cfg.World.SMTP.TrustedNetworks)
			cfg.World.SMTP.TrustedNetworks = append(cfg.World.SMTP.TrustedNetworks, inst.LabNetworks...)
		}
	}
	var domains []string
	for _, s := range cfg.World.Servers {
		domains = append(domains, s.Domain)
		for _, u := range s.Users {
			if err := st.EnsureUser(context.Background(), s.Name, u.Name); err != nil {
				return nil, err
			}
		}
	}
	cert, err := LoadOrCreateCert(cfg.DataDir, domains)
	if err != nil {
		return nil, err
	}
	inst.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	inst.relay = relay.New(relay.Config{Store: st, World: cfg.World, Bus: cfg.Bus, Logger: cfg.Logger,
		Addr:  func(server string) string { return inst.Addr(server, world.SMTP) },
		Roots: certPool(cert)})

	lns, err := inst.bind(cfg)
	if err != nil {
		return nil, err
	}
	for _, b := range lns {
		svc, err := inst.newService(b.server, b.proto)
		if err != nil {
			for _, x := range lns {
				x.l.Close()
			}
			inst.closeServices()
			return nil, err
		}
		if svc == nil {
			b.l.Close()
			continue
		}
		if l, ok := svc.(interface{ Override(limits.Settings) }); ok {
			l.Override(cfg.Limits)
		}
		inst.services = append(inst.services, svc)
		inst.listeners = append(inst.listeners, Listener{Server: b.server.Name, Proto: b.proto, Addr: b.l.Addr().String()})
		l := cfg.Bus.Listen(b.l, b.server.Name, string(b.proto))
		if b.proto == world.SMTP {
			if inst.smtpLns == nil {
				inst.smtpLns = map[string]*liveListener{}
			}
			inst.smtpLns[b.server.Name] = &liveListener{svc: svc, addr: b.l.Addr().String(), l: b.l}
		}
		inst.wg.Add(1)
		go func(svc service, l net.Listener, name string) {
			defer inst.wg.Done()
			if err := svc.Serve(l); err != nil && !isClosedErr(err) {
				inst.Logger.Error("listener stopped", "listener", name, "err", err)
			}
		}(svc, l, b.server.Name+"/"+string(b.proto))
	}
	go inst.relay.Run()
	inst.OnClose(inst.relay.Shutdown)
	ok = true
	cfg.Bus.Publish(&tracer.Event{Kind: tracer.KindNote, Msg: tracer.M("world.started", "listeners", inst.describe())})
	return inst, nil
}

func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "closed")
}

func (inst *Instance) describe() string {
	var parts []string
	for _, l := range inst.listeners {
		parts = append(parts, l.Server+" "+string(l.Proto)+" "+l.Addr)
	}
	return strings.Join(parts, ", ")
}

// Listeners lists the live addresses, server by server.
func (inst *Instance) Listeners() []Listener {
	out := append([]Listener(nil), inst.listeners...)
	order := map[world.Protocol]int{world.SMTP: 0, world.POP3: 1, world.IMAP: 2}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Server != out[j].Server {
			return inst.World.Server(out[i].Server).Index < inst.World.Server(out[j].Server).Index
		}
		return order[out[i].Proto] < order[out[j].Proto]
	})
	return out
}

// Addr returns the live address of a server's listener, or "".
func (inst *Instance) Addr(server string, proto world.Protocol) string {
	for _, l := range inst.listeners {
		if strings.EqualFold(l.Server, server) && l.Proto == proto {
			return l.Addr
		}
	}
	return ""
}

type bound struct {
	server *world.Server
	proto  world.Protocol
	l      net.Listener
}

var protocols = []world.Protocol{world.SMTP, world.POP3, world.IMAP}

// bind opens every listener. Without a chosen port base it tries the
// standard ports first and falls back to FallbackPortBase when the process
// may not bind them (or they are taken), remembering why.
func (inst *Instance) bind(cfg Config) ([]bound, error) {
	w := cfg.World
	try := func(base int) ([]bound, error) {
		var out []bound
		for _, s := range w.Servers {
			for _, p := range protocols {
				var l net.Listener
				var err error
				if cfg.Listen != nil {
					l, err = cfg.Listen(s, p)
				} else {
					l, err = listenConfig.Listen(context.Background(), "tcp", w.Addr(s, p, base))
				}
				if err != nil {
					for _, b := range out {
						b.l.Close()
					}
					return nil, fmt.Errorf("server %s %s on %s: %w", s.Name, p, w.Addr(s, p, base), err)
				}
				out = append(out, bound{s, p, l})
			}
		}
		return out, nil
	}
	if cfg.Listen != nil || w.PortBaseSet {
		inst.PortBase = w.PortBase
		return try(w.PortBase)
	}
	lns, err := try(0)
	if err == nil {
		inst.PortBase = 0
		return lns, nil
	}
	if !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EPERM) {
		return nil, err
	}
	inst.FellBack = err
	inst.PortBase = world.FallbackPortBase
	return try(world.FallbackPortBase)
}

// QueueEntry is one recipient of one message in a server's outgoing queue.
type QueueEntry = relay.Entry

// Queue lists every server's outgoing queue, oldest first.
func (inst *Instance) Queue(ctx context.Context) ([]QueueEntry, error) {
	return inst.relay.Queue(ctx)
}

// Flush starts delivery now of queued mail for domain ("" for every domain)
// and returns how many recipients it woke. Held (FUTURERELEASE) mail stays
// held.
func (inst *Instance) Flush(ctx context.Context, domain string) (int, error) {
	return inst.relay.Flush(ctx, domain)
}

// QueueRecord is a recipient of a server's queue with its history, its
// coming attempts and its give-up time.
type QueueRecord = relay.Record

// QueueRecords lists every server's pending recipients (oldest first) and
// the maxDone newest finished ones (newest first), with their histories.
func (inst *Instance) QueueRecords(ctx context.Context, maxDone int) (pending, done []QueueRecord, err error) {
	return inst.relay.Records(ctx, maxDone)
}

// RetryNow makes the next attempt of the recipients ref names (a
// recipient's id, or a message's trace id) due now; see relay.RetryNow.
func (inst *Instance) RetryNow(ctx context.Context, ref string) (int, error) {
	return inst.relay.RetryNow(ctx, ref)
}

// BounceNow bounces the recipients ref names now, with the bounce the
// queue sends when it gives up; see relay.BounceNow.
func (inst *Instance) BounceNow(ctx context.Context, ref string) (int, error) {
	return inst.relay.BounceNow(ctx, ref)
}

// queueChanged wakes the queue worker after new mail was queued or a fault
// changed (an Instance that was not started has none).
func (inst *Instance) queueChanged() {
	if inst.relay != nil {
		inst.relay.Poke()
	}
}

// OnClose registers a function run at shutdown, after the listeners stop.
func (inst *Instance) OnClose(fn func(context.Context) error) {
	inst.closers = append(inst.closers, fn)
}

// Shutdown stops the listeners, lets sessions finish until ctx ends, then
// closes the store.
func (inst *Instance) Shutdown(ctx context.Context) error {
	var err error
	inst.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for _, s := range inst.services {
			wg.Add(1)
			go func(s service) {
				defer wg.Done()
				s.Shutdown(ctx)
			}(s)
		}
		wg.Wait()
		inst.wg.Wait()
		for i := len(inst.closers) - 1; i >= 0; i-- {
			if e := inst.closers[i](ctx); e != nil && err == nil {
				err = e
			}
		}
		if e := inst.Store.Close(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// Close stops everything at once.
func (inst *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	return inst.Shutdown(ctx)
}

func (inst *Instance) closeServices() {
	for _, s := range inst.services {
		s.Close()
	}
}

// newService builds the server for one listener; nil means the protocol is
// not served.
func (inst *Instance) newService(s *world.Server, p world.Protocol) (service, error) {
	switch p {
	case world.SMTP:
		return inst.newSMTP(s), nil
	case world.POP3:
		return inst.newPOP3(s)
	case world.IMAP:
		return inst.newIMAP(s)
	}
	return nil, nil
}

// shutdownTimeout is how long Close-on-signal waits for sessions.
const shutdownTimeout = 5 * time.Second

// listenConfig turns off TCP keep-alive probes on accepted connections: every
// session already ends after its idle timeout, which finds a vanished client
// sooner than the probes' 15 s + 9 x 15 s, and each accept then costs one
// setsockopt instead of five (a measurable share of a one-message
// connection; issue 12).
var listenConfig = net.ListenConfig{KeepAlive: -1}
