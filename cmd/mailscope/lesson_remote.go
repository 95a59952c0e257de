package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailscope/mailscope/lessons"
	"github.com/mailscope/mailscope/tracer"
	"github.com/mailscope/mailscope/webui"
)

// A lesson in a class (issue 17): `mailscope lesson NAME --server URL
// --user s07` starts no servers. It signs in to the class's web page as
// the student (POST /api/signin; the cookie it gets is what the page's
// would be), starts the lesson there (POST /api/lessons/NAME/start: the
// class's server runs the lesson's engine on the student's own events),
// and follows the student's own view of the trace over the websocket:
// their sessions, explained, and the lesson's words, which the server
// sends as lesson events naming the student. The student types in
// another terminal, telnet to the class's servers.

// remoteClient talks to the class's web page as one signed-in student.
type remoteClient struct {
	base   string
	user   string
	cookie string // the student's sign-in cookie, name=value
	hc     *http.Client
}

// post sends a JSON body and decodes the JSON answer into out; a refusal
// is the page's own words (escaped when printed).
func (c *remoteClient) post(ctx context.Context, path string, body, out any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, out)
}

func (c *remoteClient) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return err
	}
	_, err = c.do(req, out)
	return err
}

func (c *remoteClient) do(req *http.Request, out any) (*http.Response, error) {
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp, err
	}
	if resp.StatusCode != http.StatusOK {
		if text := apiErrorText(raw); text != "" {
			return resp, errors.New(text)
		}
		return resp, errors.New(resp.Status)
	}
	if out != nil {
		return resp, json.Unmarshal(raw, out)
	}
	return resp, nil
}

// readPassword returns the student's password: MAILSCOPE_PASSWORD, or
// asked on the terminal without echo, or the first line of a piped stdin.
func readPassword(cmd *cobra.Command, lang, user string) (string, error) {
	if p := os.Getenv("MAILSCOPE_PASSWORD"); p != "" {
		return p, nil
	}
	fmt.Fprint(cmd.ErrOrStderr(), say(lang, "cli.lesson.remote.pass", "user", user))
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// runRemoteLesson follows lesson id on the class's server at o.server.
func runRemoteLesson(ctx context.Context, cmd *cobra.Command, o *lessonOptions, id, lang string) error {
	if o.user == "" {
		return sayErr(lang, "cli.err.remote.user", nil)
	}
	base := strings.TrimRight(o.server, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return sayErr(lang, "cli.err.unreachable", errors.New("not an http:// address"), "url", o.server)
	}
	pass, err := readPassword(cmd, lang, o.user)
	if err != nil {
		return err
	}
	c := &remoteClient{base: base, user: o.user, hc: &http.Client{Timeout: 20 * time.Second}}
	var who struct {
		User string `json:"user"`
	}
	resp, err := c.post(ctx, "/api/signin", map[string]string{"user": o.user, "password": pass}, &who)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			// The page says it in its own language; say it in ours.
			err = errors.New(say(lang, "web.signin.failed"))
		}
		return sayErr(lang, "cli.err.remote.signin", err, "url", base, "user", o.user)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "mailscope_student" {
			c.cookie = ck.Name + "=" + ck.Value
		}
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c.post(ctx, "/api/signout", struct{}{}, nil)
	}()
	var info worldInfo
	if err := c.get(ctx, "/api/world", &info); err != nil {
		return sayErr(lang, "cli.err.unreachable", err, "url", base)
	}
	// Follow from now, before the start: the lesson's first words come
	// at once.
	f := &webui.Follower{URL: base, After: info.Seq, Epoch: info.Epoch, Retries: 5, Header: http.Header{"Cookie": {c.cookie}}}
	if err := f.Connect(ctx); err != nil {
		return err
	}
	if _, err := c.post(ctx, "/api/lessons/"+url.PathEscape(id)+"/start", map[string]any{"lang": lang, "restart": o.restart}, nil); err != nil {
		return sayErr(lang, "cli.err.remote.start", err, "lesson", id, "url", base)
	}
	color, err := useColor(o.color, lang, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintln(out, tracer.PrintableText(say(lang, "cli.lesson.remote.in", "url", base, "user", who.User)))
	return followRemote(ctx, out, f, id, who.User, lessonView{lang: lang, color: color, trace: o.trace, data: o.showData, explain: o.explain}, info.Lang)
}

// followRemote prints the student's trace and their lesson's updates
// until the lesson is finished, stopped, or ctx ends.
func followRemote(ctx context.Context, out io.Writer, f *webui.Follower, id, user string, v lessonView, instLang string) error {
	console := tracer.NewConsole(out, tracer.ConsoleOptions{Color: v.color, Explain: v.explain, Data: v.data, Lang: v.lang})
	pr := &lessonPrinter{out: out, color: v.color, lang: v.lang, id: id}
	relocal := localizer(instLang, v.lang)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var end error
	done := false
	err := f.Run(ctx, func(evs []*tracer.Event) {
		for _, e := range evs {
			if done {
				return
			}
			if e.Kind != tracer.KindLesson {
				if v.trace || e.Kind == tracer.KindLine && e.Dir == tracer.S2C && e.Hop == "" {
					console.Print(relocal(e))
				}
				continue
			}
			if !strings.EqualFold(e.Attrs[tracer.AttrUser], user) {
				continue
			}
			u, ok := lessonUpdate(e)
			if !ok {
				continue
			}
			if e.Attrs["lesson"] != id {
				// Another lesson began for this student (their page?).
				console.Flush()
				end, done = errors.New(say(v.lang, "cli.lesson.remote.gone")), true
				cancel()
				return
			}
			console.Flush()
			pr.update(u)
			if u.Status == lessons.StatusFinished {
				done = true
				cancel()
				return
			}
		}
		console.Flush()
	})
	console.Flush()
	if end != nil {
		return end
	}
	return err
}

// lessonUpdate reads a lesson event back into the update it says.
func lessonUpdate(e *tracer.Event) (lessons.Update, bool) {
	a := e.Attrs
	step, err1 := strconv.Atoi(a["step"])
	steps, err2 := strconv.Atoi(a["steps"])
	if err1 != nil || err2 != nil || a["lesson"] == "" {
		return lessons.Update{}, false
	}
	return lessons.Update{Status: lessons.Status(a["status"]), Step: step, Steps: steps, Title: a["title"], Text: e.Text, HintID: a["hint"]}, true
}
