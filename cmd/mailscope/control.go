package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/tracer"
)

// controlOptions address the control API of a running instance.
type controlOptions struct {
	url   string
	token string
}

func addControlFlags(cmd *cobra.Command, o *controlOptions) {
	cmd.PersistentFlags().StringVar(&o.url, "url", "http://127.0.0.1:8025", "address of the running mailscope (its web timeline)")
	cmd.PersistentFlags().StringVar(&o.token, "token", os.Getenv("MAILSCOPE_TOKEN"), "control token, needed when mailscope listens beyond loopback (default $MAILSCOPE_TOKEN)")
}

// call sends a request to the control API and decodes the JSON answer.
func (o *controlOptions) call(method, path string, query url.Values, out any) error {
	u := strings.TrimRight(o.url, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return err
	}
	if o.token != "" {
		req.Header.Set("Authorization", "Bearer "+o.token)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach mailscope at %s (is `mailscope up` running?): %w", o.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// postLesson sends one lesson update to the instance's page.
func (o *controlOptions) postLesson(e *tracer.Event) error {
	body, err := json.Marshal(map[string]any{"text": e.Text, "server": e.Server, "session": e.Session, "proto": e.Proto, "attrs": e.Attrs})
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", strings.TrimRight(o.url, "/")+"/api/lesson", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.token != "" {
		req.Header.Set("Authorization", "Bearer "+o.token)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting a lesson update: %s", resp.Status)
	}
	return nil
}

func newQueueCmd() *cobra.Command {
	o := &controlOptions{}
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List the outgoing queues of a running mailscope, with next-attempt times",
		Long: `queue shows what the servers of a running mailscope hold in their outgoing
queues: mail accepted with 250 but not yet delivered to the receiving server
(asynchronous sending). Each line is one recipient: its status (queued, held
by FUTURERELEASE, deferred after a failed attempt), the attempts so far, when
the next attempt comes, and the last error.

  mailscope queue                  # list
  mailscope queue flush            # try everything now
  mailscope queue flush b.example  # try mail for b.example now (like ETRN)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var v struct {
				Now     time.Time                `json:"now"`
				Entries []servers.QueueEntry     `json:"entries"`
				Faults  map[string]servers.Fault `json:"faults"`
			}
			if err := o.call("GET", "/api/queue", nil, &v); err != nil {
				return err
			}
			printQueue(cmd.OutOrStdout(), v.Now, v.Entries, v.Faults)
			return nil
		},
	}
	addControlFlags(cmd, o)
	cmd.AddCommand(&cobra.Command{
		Use:   "flush [DOMAIN]",
		Short: "Start delivery of queued mail now (for one domain, or all)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			domain := ""
			if len(args) == 1 {
				domain = args[0]
				q.Set("domain", domain)
			}
			var v struct {
				Woken int `json:"woken"`
			}
			if err := o.call("POST", "/api/queue/flush", q, &v); err != nil {
				return err
			}
			what := "every domain"
			if domain != "" {
				what = domain
			}
			fmt.Fprintf(cmd.OutOrStdout(), "flush %s: %d recipient(s) are due now; watch the trace for the attempts\n", what, v.Woken)
			return nil
		},
	})
	return cmd
}

func printQueue(w io.Writer, now time.Time, entries []servers.QueueEntry, faults map[string]servers.Fault) {
	for name, f := range faults {
		if f != servers.FaultNone {
			fmt.Fprintf(w, "fault: server %s is %s\n", name, f)
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(w, "the queues are empty: every accepted message has been delivered")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\tid\tfrom\tto\tstatus\tattempts\tnext attempt\tlast error")
	for _, e := range entries {
		next := "-"
		if !e.NextAttempt.IsZero() {
			d := e.NextAttempt.Sub(now).Round(time.Second)
			if d <= 0 {
				next = e.NextAttempt.Local().Format("15:04:05") + " (due)"
			} else {
				next = e.NextAttempt.Local().Format("15:04:05") + " (in " + d.String() + ")"
			}
		}
		from := e.Sender
		if from == "" {
			from = "<>"
		}
		last := e.LastError
		if len(last) > 60 {
			last = last[:57] + "..."
		}
		// Addresses and the last error are wire text (a remote server's
		// reply): escaped, they cannot drive the terminal or break the
		// columns with a tab.
		p := tracer.Printable
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p(e.Server), p(e.MsgID), p(from), p(e.Rcpt), p(e.Status), e.Attempts, next, p(last))
	}
	tw.Flush()
}

func newFaultCmd() *cobra.Command {
	o := &controlOptions{}
	cmd := &cobra.Command{
		Use:   "fault SERVER down|up|greylist|slow|quota|reject|clear",
		Short: "Make a server of a running mailscope misbehave, to watch retries and bounces",
		Long: `fault switches a server's misbehaviour at run time, so the relay's queue,
retries and bounces can be seen:

  down      its SMTP port refuses connections (A keeps the mail and retries)
  up        the server listens again (same as clear)
  greylist  a first attempt gets 451 4.7.1, the retry is accepted
  slow      every reply waits a couple of seconds
  quota     recipients get 452 4.2.2 mailbox full (temporary: retried)
  reject    recipients get 550 5.1.1 (permanent: a bounce goes back)
  clear     back to normal

  mailscope fault B down
  mailscope fault B up`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := servers.ParseFault(args[1])
			if err != nil {
				return err
			}
			q := url.Values{"server": {args[0]}, "fault": {string(f)}}
			if err := o.call("POST", "/api/faults", q, nil); err != nil {
				return err
			}
			if f == servers.FaultNone {
				fmt.Fprintf(cmd.OutOrStdout(), "server %s behaves normally again\n", strings.ToUpper(args[0]))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "server %s is now %s\n", strings.ToUpper(args[0]), f)
			}
			return nil
		},
	}
	addControlFlags(cmd, o)
	return cmd
}
