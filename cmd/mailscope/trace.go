package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// traceOptions are the flags of mailscope trace.
type traceOptions struct {
	url      string
	color    string
	explain  bool
	showData bool
	replay   int
	token    string
}

func newTraceCmd() *cobra.Command {
	o := &traceOptions{}
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Show the colored, explained trace of a running mailscope (for a second screen or another laptop)",
		Long: `trace connects to the web timeline of a running mailscope (started with
mailscope up) and prints every event the way up prints it: colored, each line
explained. It first shows the most recent events, then follows live. When the
connection drops it reconnects and continues where it stopped.

  mailscope trace                                  # the instance on this machine
  mailscope trace --url http://192.168.1.10:8025   # the instructor's instance`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			startPprof(cmd.ErrOrStderr())
			return runTrace(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "http://127.0.0.1:8025", "address of the running mailscope's web timeline")
	f.StringVar(&o.color, "color", "auto", "color the trace: auto, always or never (NO_COLOR is respected)")
	f.BoolVar(&o.explain, "explain", true, "print a one-line explanation under each protocol line")
	f.BoolVar(&o.showData, "show-data", false, "print message bodies in full instead of a one-line summary")
	f.IntVar(&o.replay, "replay", 100, "how many recent events to show first (-1: all that are kept)")
	f.StringVar(&o.token, "token", os.Getenv("MAILSCOPE_TOKEN"), "web token, needed when mailscope listens beyond loopback (default $MAILSCOPE_TOKEN)")
	return cmd
}

// wsURL turns the web address into the websocket address.
func wsURL(base string) (*url.URL, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", base, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("--url %q: use http://HOST:PORT", base)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("--url %q: no host", base)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/ws"
	u.RawQuery = ""
	return u, nil
}

func runTrace(ctx context.Context, out, errOut io.Writer, o *traceOptions) error {
	color, err := useColor(o.color, out)
	if err != nil {
		return err
	}
	u, err := wsURL(o.url)
	if err != nil {
		return err
	}
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: color, Explain: o.explain, Data: o.showData})
	var (
		last      uint64
		epoch     string
		connected bool
		backoff   = 500 * time.Millisecond
	)
	for {
		q := url.Values{}
		if connected {
			q.Set("after", strconv.FormatUint(last, 10))
			q.Set("epoch", epoch)
		} else if o.replay >= 0 {
			q.Set("last", strconv.Itoa(o.replay))
		}
		u.RawQuery = q.Encode()
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
		conn, resp, err := d.DialContext(ctx, u.String(), bearer(o.token))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !connected {
				return traceDialError(o.url, resp, err)
			}
			fmt.Fprintf(errOut, "mailscope trace: %v; retrying in %s\n", err, backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		if !connected {
			fmt.Fprintf(errOut, "mailscope trace: following %s (Ctrl-C stops)\n", o.url)
		}
		connected, backoff = true, 500*time.Millisecond
		err = follow(ctx, conn, console, &last, &epoch, errOut)
		if ctx.Err() != nil {
			return nil
		}
		fmt.Fprintf(errOut, "mailscope trace: connection lost (%v); reconnecting\n", err)
	}
}

// bearer is the handshake header that carries the web token, if any.
func bearer(token string) http.Header {
	if token == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + token}}
}

func traceDialError(base string, resp *http.Response, err error) error {
	if resp != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			// The other side's words, printed on this terminal: escaped.
			return fmt.Errorf("%s refused the trace: %s", base, tracer.Printable(e.Error))
		}
		return fmt.Errorf("%s refused the trace: %s", base, resp.Status)
	}
	return fmt.Errorf("cannot reach mailscope at %s: %v (is `mailscope up` running there? --url names another address)", base, err)
}

// traceReadWait is how long a silent connection is trusted: the server
// pings more often than that.
const traceReadWait = 90 * time.Second

// follow prints the events of one connection until it ends.
func follow(ctx context.Context, conn *websocket.Conn, console *tracer.Console, last *uint64, epoch *string, errOut io.Writer) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	conn.SetReadLimit(4 << 20)
	conn.SetReadDeadline(time.Now().Add(traceReadWait))
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(traceReadWait))
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})

	// A reader goroutine feeds a channel so that the printer can flush the
	// console whenever it has caught up, not after every line. Each
	// websocket message is a JSON array of events, in order; it travels
	// whole, and its bytes are read into one reused buffer.
	frames := make(chan []*tracer.Event, 256)
	errc := make(chan error, 1)
	go func() {
		defer close(frames)
		var (
			buf bytes.Buffer
			dec tracer.EventDecoder
		)
		for {
			_, r, err := conn.NextReader()
			if err == nil {
				buf.Reset()
				_, err = buf.ReadFrom(r)
			}
			if err != nil {
				errc <- err
				return
			}
			conn.SetReadDeadline(time.Now().Add(traceReadWait))
			evs, err := dec.Decode(buf.Bytes())
			if err != nil {
				fmt.Fprintf(errOut, "mailscope trace: a message of the server could not be read: %v\n", err)
				continue
			}
			frames <- evs
		}
	}()
	for evs := range frames {
		for _, e := range evs {
			if e.Kind == webui.KindHello {
				ep := e.Attrs["epoch"]
				if *epoch != "" && ep != *epoch {
					fmt.Fprintln(errOut, "mailscope trace: mailscope was restarted; following the new run")
					*last = 0
				}
				*epoch = ep
				continue
			}
			// A skipped marker borrows the seq of the event after it: it is
			// neither a duplicate nor a position to resume from.
			if e.Kind != tracer.KindSkipped {
				if e.Seq <= *last {
					continue
				}
				*last = e.Seq
			}
			console.Print(e)
		}
		if len(frames) == 0 {
			console.Flush()
		}
	}
	console.Flush()
	err := <-errc
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// startWeb starts the web timeline of inst on addr (the world's web
// address) and returns it with its live address. A listener beyond loopback
// gets a token and a warning (startWebServer).
func startWeb(inst *servers.Instance, addr string, logger *slog.Logger, out io.Writer) (*webui.Server, string, error) {
	ws, err := startWebServer(inst, addr, nil, logger)
	if err != nil {
		return nil, "", err
	}
	if ws.public {
		fmt.Fprintln(out, ws.publicNote(pickLang("")))
	}
	return ws.srv, ws.addr, nil
}

// webURL is the address to open in a browser.
func webURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
