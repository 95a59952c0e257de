package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/tracer"
)

// controlOptions address the control API of a running instance.
type controlOptions struct {
	url   string
	token string
	web   string // --web: the address given to up --web
	data  string // --data: the data directory where the instance says where it is
	lang  string // --lang: the language of what the command says
}

// defaultURL is the web timeline of a mailscope started without --web.
const defaultURL = "http://127.0.0.1:8025"

func addControlFlags(cmd *cobra.Command, o *controlOptions) {
	cmd.PersistentFlags().StringVar(&o.url, "url", defaultURL, "")
	cmd.PersistentFlags().StringVar(&o.token, "token", os.Getenv("MAILSCOPE_TOKEN"), "")
	cmd.PersistentFlags().StringVar(&o.web, "web", "", "")
	cmd.PersistentFlags().StringVar(&o.data, "data", defaultDataDir(), "")
	cmd.PersistentFlags().StringVar(&o.lang, "lang", "", "")
}

// locate decides which mailscope cmd talks to: --url, else --web, else
// the one running on the data directory (with the token it recorded
// there, unless --token or MAILSCOPE_TOKEN gives one), else the default
// address.
func (o *controlOptions) locate(cmd *cobra.Command) error {
	if err := checkLang(o.lang); err != nil {
		return err
	}
	data, err := resolveData(cmd, o.data, pickLang(o.lang))
	if err != nil {
		return err
	}
	o.data = data
	url, err := locateInstance(cmd, o.url, o.web, o.data, &o.token, pickLang(o.lang))
	o.url = url
	return err
}

// locateInstance is locate for any command with --url, --web and --data
// flags; token is set from the data directory's record when it is empty
// and the record is of the instance chosen.
func locateInstance(cmd *cobra.Command, url, web, data string, token *string, lang string) (string, error) {
	changed := func(name string) bool {
		f := cmd.Flag(name)
		return f != nil && f.Changed
	}
	if changed("url") && changed("web") {
		return url, sayErr(lang, "cli.err.url_web", nil)
	}
	info := findRunning(data)
	switch {
	case changed("url"):
		url = strings.TrimRight(url, "/")
	case web != "":
		url = webFlagURL(web)
	case info != nil:
		url = info.Web
	default:
		url = defaultURL
	}
	if *token == "" && info != nil && info.Web == url {
		*token = info.Token
	}
	return url, nil
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
		return sayErr(pickLang(o.lang), "cli.err.unreachable", err, "url", o.url)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, apiErrorText(body))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// apiErrorText is what a refusal of the page's API says: its JSON
// {"error": ...}, else the body, escaped for the terminal (it is the other
// side's text).
func apiErrorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return tracer.PrintableText(e.Error)
	}
	return tracer.PrintableText(strings.TrimSpace(string(body)))
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
		Use:  "queue",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var v struct {
				Now     time.Time                `json:"now"`
				Entries []servers.QueueEntry     `json:"entries"`
				Faults  map[string]servers.Fault `json:"faults"`
			}
			if err := o.locate(cmd); err != nil {
				return err
			}
			if err := o.call("GET", "/api/queue", nil, &v); err != nil {
				return err
			}
			printQueue(cmd.OutOrStdout(), pickLang(o.lang), v.Now, v.Entries, v.Faults)
			return nil
		},
	}
	addControlFlags(cmd, o)
	cmd.AddCommand(&cobra.Command{
		Use:  "flush [DOMAIN]",
		Args: cobra.MaximumNArgs(1),
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
			if err := o.locate(cmd); err != nil {
				return err
			}
			if err := o.call("POST", "/api/queue/flush", q, &v); err != nil {
				return err
			}
			lang := pickLang(o.lang)
			what := say(lang, "cli.queue.every")
			if domain != "" {
				what = domain
			}
			fmt.Fprintln(cmd.OutOrStdout(), say(lang, "cli.queue.flushed", "what", what, "n", strconv.Itoa(v.Woken)))
			return nil
		},
	})
	cmd.AddCommand(newQueueActionCmd(o, "retry", "cli.queue.retried"), newQueueActionCmd(o, "bounce", "cli.queue.bounced"))
	return cmd
}

// newQueueActionCmd is `mailscope queue retry ID` or `mailscope queue
// bounce ID`: ID is a message's id as the queue lists it (every recipient
// of it), or one recipient's row id; done is the catalog key of the line
// said after.
func newQueueActionCmd(o *controlOptions, action, done string) *cobra.Command {
	return &cobra.Command{
		Use:  action + " ID",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v struct {
				N int `json:"n"`
			}
			if err := o.locate(cmd); err != nil {
				return err
			}
			if err := o.call("POST", "/api/queue/"+url.PathEscape(args[0])+"/"+action, nil, &v); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), say(pickLang(o.lang), done, "id", tracer.Printable(args[0]), "n", strconv.Itoa(v.N)))
			return nil
		},
	}
}

// printQueue prints the queue entries in lang, in columns that count a
// Chinese heading's characters as two terminal columns each.
func printQueue(w io.Writer, lang string, now time.Time, entries []servers.QueueEntry, faults map[string]servers.Fault) {
	for name, f := range faults {
		if f != servers.FaultNone {
			fmt.Fprintln(w, say(lang, "cli.queue.fault", "server", name, "fault", catalogWord(lang, string(f), "web.fault.")))
		}
	}
	if len(entries) == 0 {
		fmt.Fprintln(w, say(lang, "cli.queue.empty"))
		return
	}
	rows := [][]string{{say(lang, "cli.banner.col.server"), say(lang, "cli.queue.col.id"), say(lang, "cli.queue.col.from"), say(lang, "cli.queue.col.to"),
		say(lang, "cli.queue.col.state"), say(lang, "cli.queue.col.tries"), say(lang, "cli.queue.col.next"), say(lang, "cli.queue.col.error")}}
	for _, e := range entries {
		next := "-"
		// A held queue (the hold fault) makes no scheduled attempt.
		if !e.NextAttempt.IsZero() && e.Status != "hold" {
			at := e.NextAttempt.Local().Format("15:04:05")
			if d := e.NextAttempt.Sub(now).Round(time.Second); d <= 0 {
				next = say(lang, "cli.queue.due", "time", at)
			} else {
				next = say(lang, "cli.queue.in", "time", at, "wait", d.String())
			}
		}
		from := e.Sender
		if from == "" {
			from = "<>"
		}
		last := e.LastError
		if e.LastWhy != nil {
			// The relay's own words, said in lang (a server's reply
			// stays as it came: it is wire text).
			last = tracer.NewExplainer(lang).Format(e.LastWhy)
		}
		if r := []rune(last); len(r) > 60 {
			last = string(r[:57]) + "..." // by characters: a Chinese reason is not cut inside one
		}
		// Addresses and the last error are wire text (a remote server's
		// reply): escaped, they cannot drive the terminal or break the
		// columns with a tab.
		p := tracer.Printable
		rows = append(rows, []string{p(e.Server), p(e.MsgID), p(from), p(e.Rcpt), p(statusText(lang, e.Status)), strconv.Itoa(e.Attempts), next, p(last)})
	}
	writeTable(w, rows)
}

// faultText says in lang what fault f now does on server: the words of
// the fault event the server itself traces (fault.down: "server B down:
// its SMTP port refuses connections; ..."), so the command and the trace
// say the same.
func faultText(lang, server string, f servers.Fault) string {
	if f == servers.FaultNone {
		return say(lang, "fault.cleared", "server", server)
	}
	if k := "fault." + string(f); tracer.HasKey(k, lang) {
		return say(lang, k, "server", server)
	}
	return say(lang, "cli.fault.set", "server", server, "fault", string(f))
}

// statusText is a queue entry's status in lang, in the words of the web
// page's queue (web.qs.*), or cli.queue.status.* for those it lacks.
func statusText(lang, status string) string {
	return catalogWord(lang, status, "cli.queue.status.", "web.qs.")
}

// catalogWord is word in lang from the first catalog key prefix+word
// that exists, else word itself.
func catalogWord(lang, word string, prefixes ...string) string {
	for _, p := range prefixes {
		if tracer.HasKey(p+word, lang) {
			return say(lang, p+word)
		}
	}
	return word
}

func newFaultCmd() *cobra.Command {
	o := &controlOptions{}
	cmd := &cobra.Command{
		Use:  "fault SERVER down|up|greylist|slow|quota|reject|hold|clear",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := servers.ParseFault(args[1])
			if err != nil {
				return err
			}
			if err := o.locate(cmd); err != nil {
				return err
			}
			q := url.Values{"server": {args[0]}, "fault": {string(f)}}
			if err := o.call("POST", "/api/faults", q, nil); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), faultText(pickLang(o.lang), strings.ToUpper(args[0]), f))
			return nil
		},
	}
	addControlFlags(cmd, o)
	return cmd
}
