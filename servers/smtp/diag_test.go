package smtp_test

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailscope/mailscope/servers"
	"github.com/mailscope/mailscope/servers/world"
	"github.com/mailscope/mailscope/tracer"
)

// Scripted students: each transcript makes one mistake of issue 14 on a
// real socket of the default world, and the trace must carry the
// diagnostic (its name in Attrs[diag]) with what happened and what to do,
// in English and in Chinese.

// langWorld starts the default world with a bus in lang.
func langWorld(t *testing.T, lang string, edit func(*world.World)) *servers.Instance {
	t.Helper()
	w := world.Default()
	if edit != nil {
		edit(w)
	}
	inst, err := servers.Start(servers.Config{
		World:   w,
		DataDir: t.TempDir(),
		Bus:     tracer.NewBus(tracer.WithLang(lang), tracer.WithMask(true)),
		Listen: func(*world.Server, world.Protocol) (net.Listener, error) {
			return net.Listen("tcp", "127.0.0.1:0")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

// diagnostics plays script on server's SMTP port and returns the
// diagnostics of that session, once it closed.
func diagnostics(t *testing.T, inst *servers.Instance, server, script string) []*tracer.Event {
	t.Helper()
	sub := inst.Bus.Subscribe(1 << 12)
	defer sub.Close()
	runTranscript(t, inst.Addr(server, world.SMTP), script)
	var out []*tracer.Event
	sess := ""
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindOpen && sess == "" && e.Server == server && e.Proto == "smtp" && e.Actor == "" {
				sess = e.Session
			}
			if e.Session != sess || sess == "" {
				continue
			}
			if e.Kind == tracer.KindDiagnostic {
				out = append(out, e)
			}
			if e.Kind == tracer.KindClose {
				return out
			}
		case <-timeout:
			t.Fatalf("no close event for the session; diagnostics so far: %d", len(out))
		}
	}
}

// The transcript pieces the cases share.
const (
	helo     = "S: 220 *\nC: HELO laptop\nS: 250 *\n"
	envelope = helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<alice@a.example>\nS: 250 *\n"
	quit     = "C: QUIT\nS: 221 *\nCLOSED\n"
)

type diagCase struct {
	name, server string
	untrusted    bool // loopback is no trusted network in this world
	script       string
	diag         string
	// substrings of the event's text and of its explanation, per language
	text, hint map[string]string
}

var diagCases = []diagCase{
	{
		name: "no blank line", server: "A", diag: "no-blank-line",
		script: envelope + "C: DATA\nS: 354 *\nC: Subject: x\nC: hello\nC: .\nS: 250 2.0.0 OK*\n" + quit,
		text: map[string]string{
			"en": `your body became a header line: line 2 of the message, "hello", came right after the header lines`,
			"zh": "你的消息体变成了头部行：邮件的第 2 行“hello”紧跟在头部行后面",
		},
		hint: map[string]string{
			"en": "A blank line separates the header lines from the body (RFC 5322 section 2.1)",
			"zh": "头部行和消息体之间要用一个空行隔开（RFC 5322 第 2.1 节）",
		},
	},
	{
		name: "message ended early", server: "A", diag: "message-ended",
		script: envelope + "C: DATA\nS: 354 *\nC: Subject: x\nC:\nC: first\nC: .\nS: 250 2.0.0 OK*\n" +
			"C: SECOND\nS: 500 5.5.2 Syntax error: command \"SECOND\" not recognized*\nC: part\nS: 500 *\n" + quit,
		text: map[string]string{
			"en": `"SECOND" was read as a command: the message A-`,
			"zh": "“SECOND”被当成了命令：邮件 A-",
		},
		hint: map[string]string{
			"en": "a line holding only a dot ends the message at once, and every line after it is a command",
			"zh": "只有一个点的一行会立刻结束邮件，之后的每一行都是命令",
		},
	},
	{
		name: "backspace", server: "A", diag: "backspace",
		script: helo + "R: MAIL FROM:<alicx\x08e@a.example>\\r\\n\nS: 553 5.1.7 *\n" + quit,
		text: map[string]string{
			"en": `your terminal sent the Backspace key as a character: the server received "MAIL FROM:<alicx\x08e@a.example>" (\x08 is the key`,
			"zh": `你的终端把退格键当成字符发送了：服务器收到的是“MAIL FROM:<alicx\x08e@a.example>”（\x08 就是这个键`,
		},
		hint: map[string]string{
			"en": "Type the line again without correcting it",
			"zh": "请不做修改地把这一行重新输入一遍",
		},
	},
	{
		name: "delete key", server: "A", diag: "backspace",
		script: "S: 220 *\nR: HELO lapx\x7ftop\\r\\n\nS: 250 *\n" + quit,
		text:   map[string]string{"en": `"HELO lapx\x7ftop" (\x7f is the key`, "zh": `“HELO lapx\x7ftop”（\x7f 就是这个键`},
		hint:   map[string]string{"en": "telnet in line mode", "zh": "telnet 的行模式"},
	},
	{
		name: "arrow key", server: "A", diag: "arrow-key",
		script: helo + "R: \x1b[A\\r\\n\nS: 500 5.5.2 *\n" + quit,
		text: map[string]string{
			"en": `your terminal sent an arrow key as characters (ESC [ A is Up, B Down, C Right, D Left): the server received "\x1b[A"`,
			"zh": `你的终端把方向键当成字符发送了（ESC [ A 是上，B 是下，C 是右，D 是左）：服务器收到的是“\x1b[A”`,
		},
		hint: map[string]string{"en": "Type the whole line again", "zh": "请把整行重新输入一遍"},
	},
	{
		// What a telnet client sends first when it negotiates (here DO
		// SUPPRESS-GO-AHEAD, WILL TERMINAL-TYPE), glued to the first line.
		name: "telnet negotiation", server: "A", diag: "telnet-iac",
		script: "S: 220 *\nR: \xff\xfd\x03\xff\xfb\x18EHLO laptop\\r\\n\nS: 500 5.5.2 *\n" + quit,
		text: map[string]string{
			"en": `your telnet client sent telnet option negotiation (IAC, the octet 0xFF, then DO, DONT, WILL or WONT and an option): the server received "\xff\xfd\x03\xff\xfb\x18EHLO laptop"`,
			"zh": `你的 telnet 客户端发送了 telnet 选项协商（IAC，即字节 0xFF，后面跟 DO、DONT、WILL 或 WONT 以及一个选项）：服务器收到的是“\xff\xfd\x03\xff\xfb\x18EHLO laptop”`,
		},
		hint: map[string]string{"en": "nc -C HOST PORT", "zh": "nc -C HOST PORT"},
	},
	{
		// RCPT refused, DATA refused, and the message typed anyway: read
		// as commands, its empty line not counted as an error.
		name: "no data mode", server: "A", diag: "no-data-mode",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<carol@a.example>\nS: 550 5.1.1 *\n" +
			"C: DATA\nS: 503 5.5.1 *\nC: Subject: x\nS: 500 5.5.2 *header line*\nC:\nS: 500 5.5.2 Empty line*\nC: hello\nS: 500 *\nC: .\nS: 500 *\n" + quit,
		text: map[string]string{
			"en": `the server never entered DATA mode because no recipient was accepted (look at the replies to your RCPT TO): "Subject: x" and every line after it are read as commands`,
			"zh": "服务器根本没有进入 DATA 模式，因为还没有被接受的收件人（看看你的 RCPT TO 得到了什么响应）：“Subject: x”以及之后的每一行都被当成命令",
		},
		hint: map[string]string{
			"en": "The message may be typed only after DATA got its 354 reply",
			"zh": "只有在 DATA 得到 354 响应之后才能输入邮件内容",
		},
	},
	{
		name: "message typed without DATA", server: "A", diag: "no-data-mode",
		script: envelope + "C: Subject: x\nS: 500 5.5.2 *header line*\n" + quit,
		text: map[string]string{
			"en": `the server never entered DATA mode because DATA was not typed: "Subject: x"`,
			"zh": "服务器根本没有进入 DATA 模式，因为还没有输入 DATA：“Subject: x”",
		},
		hint: map[string]string{"en": "wait for 354", "zh": "等到 354"},
	},
	{
		name: "MAIL FROM without brackets and domain", server: "A", diag: "no-domain",
		script: helo + "C: MAIL FROM: alice\nS: 553 5.1.7 <alice>: sender address has no domain: write the whole address in angle brackets, like MAIL FROM:<alice@a.example> (RFC 5321 section 4.1.2)\n" + quit,
		text: map[string]string{
			"en": "the address <alice> after MAIL FROM: has no domain: an address is local-part@domain, here <alice@a.example>",
			"zh": "MAIL FROM: 后面的地址 <alice> 没有域名：地址的格式是 本地部分@域名，这里应该是 <alice@a.example>",
		},
		hint: map[string]string{"en": "in angle brackets: MAIL FROM:<alice@a.example>", "zh": "并放在尖括号里：MAIL FROM:<alice@a.example>"},
	},
	{
		name: "RCPT TO without domain", server: "A", diag: "no-domain",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<bob>\nS: 501 5.1.3 <bob>: recipient address has no domain: write the whole address in angle brackets, like RCPT TO:<bob@b.example> (RFC 5321 section 4.1.2)\n" + quit,
		text: map[string]string{
			"en": "the address <bob> after RCPT TO: has no domain: an address is local-part@domain, here <bob@b.example>",
			"zh": "RCPT TO: 后面的地址 <bob> 没有域名：地址的格式是 本地部分@域名，这里应该是 <bob@b.example>",
		},
		hint: map[string]string{"en": "RCPT TO:<bob@b.example>", "zh": "RCPT TO:<bob@b.example>"},
	},
	{
		name: "RCPT TO a name nobody has, without domain", server: "A", diag: "no-domain",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<zed>\nS: 501 5.1.3 <zed>: recipient address has no domain*this server's domain is a.example*\n" + quit,
		text: map[string]string{
			"en": "like <zed@a.example> for a mailbox of this server",
			"zh": "例如这台服务器上的邮箱写作 <zed@a.example>",
		},
		hint: map[string]string{"en": "RCPT TO:<name@domain>", "zh": "RCPT TO:<名字@域名>"},
	},
	{
		name: "a.example's user sent straight to B, refused", server: "B", untrusted: true, diag: "wrong-server",
		script: helo + "C: MAIL FROM:<bob@b.example>\nS: 250 *\nC: RCPT TO:<alice@a.example>\nS: 554 5.7.1 *\n" + quit,
		text: map[string]string{
			"en": "<alice@a.example> is not a mailbox of b.example: server B is the mail server of b.example only, and relays mail to a.example only for its own users",
			"zh": "<alice@a.example> 不是 b.example 上的邮箱：服务器 B 只是 b.example 的邮件服务器，只为自己的用户把邮件中继到 a.example",
		},
		hint: map[string]string{
			"en": "Either send it through the mail server of your own domain, which relays it (log in there with AUTH), or, on b.example, write only to users of b.example.",
			"zh": "要么通过你自己所在域的邮件服务器发送，由它来中继（在那里用 AUTH 登录），要么在 b.example 上只给 b.example 的用户写信。",
		},
	},
	{
		name: "alice's mail to alice sent through B, relayed", server: "B", diag: "wrong-server",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<alice@a.example>\nS: 250 2.1.5 *will relay to a.example*\nC: RSET\nS: 250 *\n" + quit,
		text: map[string]string{
			"en": "b.example relays <alice@a.example> to a.example only because you connect from its trusted network: the sender <alice@a.example> is not one of its users. Server B is the mail server of b.example; alice's is server A (a.example)",
			"zh": "b.example 把 <alice@a.example> 中继到 a.example，只是因为你来自它的可信网络：发件人 <alice@a.example> 不是它的用户。服务器 B 是 b.example 的邮件服务器；alice 的邮件服务器是服务器 A（a.example）",
		},
		hint: map[string]string{"en": "Here that is the server of a.example", "zh": "这里应该连接 a.example 的服务器"},
	},
	{
		name: "another server's user at this domain", server: "A", diag: "unknown-user",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<bob@a.example>\nS: 550 5.1.1 *\n" + quit,
		text: map[string]string{
			"en": `a.example has no mailbox "bob": bob is a user of another server, bob@b.example; the users of a.example are alice@a.example`,
			"zh": "a.example 上没有名为“bob”的邮箱：bob 是另一台服务器的用户，地址是 bob@b.example；a.example 的用户是 alice@a.example",
		},
		hint: map[string]string{"en": "Try RCPT TO:<bob@b.example>.", "zh": "试试 RCPT TO:<bob@b.example>。"},
	},
	{
		name: "unknown local user", server: "A", diag: "unknown-user",
		script: helo + "C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<alcie@a.example>\nS: 550 5.1.1 *\n" + quit,
		text: map[string]string{
			"en": `a.example has no mailbox "alcie": did you mean alice@a.example? Its users are alice@a.example`,
			"zh": "a.example 上没有名为“alcie”的邮箱：你是不是想写 alice@a.example？它的用户是 alice@a.example",
		},
		hint: map[string]string{"en": "Try RCPT TO:<alice@a.example>.", "zh": "试试 RCPT TO:<alice@a.example>。"},
	},
}

func TestDiagnosticsOfStudentMistakes(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			trusted := langWorld(t, lang, nil)
			untrusted := langWorld(t, lang, func(w *world.World) { w.SMTP.TrustedNetworks = nil })
			for _, c := range diagCases {
				t.Run(c.name, func(t *testing.T) {
					inst := trusted
					if c.untrusted {
						inst = untrusted
					}
					var found *tracer.Event
					for _, e := range diagnostics(t, inst, c.server, c.script) {
						if e.Attrs[tracer.AttrDiag] == c.diag && found == nil {
							found = e
						}
					}
					if found == nil {
						t.Fatalf("no %q diagnostic", c.diag)
					}
					if !strings.Contains(found.Text, c.text[lang]) {
						t.Errorf("text:\n got %q\nwant %q in it", found.Text, c.text[lang])
					}
					if found.Explain == nil || !strings.Contains(found.Explain.Text, c.hint[lang]) {
						t.Errorf("hint: got %+v, want %q in its text", found.Explain, c.hint[lang])
					}
				})
			}
		})
	}
}

// The right things said the right way bring no diagnostic: a message with
// its blank line, a folded header, a message with no header at all,
// commands after a 250 for DATA, alice's mail to bob through A.
func TestNoDiagnosticForCorrectSessions(t *testing.T) {
	inst := langWorld(t, "en", nil)
	script := envelope +
		"C: DATA\nS: 354 *\nC: Subject: x\nC:  folded\nC:\nC: hello\nC: .\nS: 250 *\n" +
		"C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<alice@a.example>\nS: 250 *\n" +
		"C: DATA\nS: 354 *\nC: just a body\nC: .\nS: 250 *\nC: NOOP\nS: 250 *\nC: FROB\nS: 500 *\n" +
		"C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<bob@b.example>\nS: 250 *\nC: RSET\nS: 250 *\n" + quit
	if got := diagnostics(t, inst, "A", script); len(got) > 0 {
		t.Fatalf("diagnostics for a correct session: %s", got[0].Text)
	}
}

// Empty lines are answered 500 but are not errors in a row: nine unknown
// commands and empty lines between them leave the session open, where the
// tenth error ends it; empty lines do not reset the count either. A flood
// of empty lines still ends, at five times the errors allowed (50).
func TestEmptyLinesAreNotErrorsInARow(t *testing.T) {
	addr, _, _, _ := fakeServer(t, nil)
	c := greeted(t, addr)
	for i := 0; i < 9; i++ {
		c.Send("FROB")
		c.Expect("500 *")
		c.Send("")
		c.Expect("500 5.5.2 Empty line*")
	}
	c.Send("NOOP")
	c.Expect("250 *")
	for i := 0; i < 9; i++ {
		c.Send("FROB")
		c.Expect("500 *")
	}
	c.Send("")
	c.Expect("500 5.5.2 Empty line*")
	c.Send("FROB")
	c.Expect("500 *")
	c.Expect("421 4.7.0 Too many errors in a row*")
	c.ExpectClosed()

	c = greeted(t, addr)
	c.SendRaw(strings.Repeat("\r\n", 60))
	for i := 0; i < 49; i++ {
		c.Expect("500 5.5.2 Empty line*")
	}
	c.Expect("421 4.7.0 Too many empty lines in a row, closing the connection")
	c.ExpectClosed()
}

// The console shows a diagnostic under its label, with the control
// character escaped, in both languages.
func TestConsoleShowsDiagnostic(t *testing.T) {
	for lang, want := range map[string][]string{
		"en": {"diagnostic: ", `alicx\x08e`, "Type the line again"},
		"zh": {"诊断：", `alicx\x08e`, "退格键", "重新输入一遍"},
	} {
		inst := langWorld(t, lang, nil)
		evs := diagnostics(t, inst, "A", helo+"R: MAIL FROM:<alicx\x08e@a.example>\\r\\n\nS: 553 *\n"+quit)
		if len(evs) != 1 {
			t.Fatalf("%s: %d diagnostics, want 1", lang, len(evs))
		}
		var out bytes.Buffer
		con := tracer.NewConsole(&out, tracer.ConsoleOptions{Explain: true, Lang: lang})
		con.Print(evs[0])
		con.Flush()
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: console lacks %q:\n%s", lang, w, out.String())
			}
		}
		if bytes.ContainsRune(out.Bytes(), '\x08') {
			t.Errorf("%s: a raw backspace reaches the terminal:\n%q", lang, out.String())
		}
	}
}

// A Backspace inside AUTH PLAIN's initial response is diagnosed without
// the credential: the diagnostic quotes the line masked, as the trace does.
func TestControlCharDiagnosticMasksAuth(t *testing.T) {
	inst := langWorld(t, "en", nil)
	secret := "AGFsaWNlAGFsaWNx\x08l"
	evs := diagnostics(t, inst, "A", "S: 220 *\nC: EHLO laptop\nS*: 250 HELP\nR: AUTH PLAIN "+secret+"\\r\\n\nS: 501 *\n"+quit)
	if len(evs) != 1 || evs[0].Attrs[tracer.AttrDiag] != "backspace" {
		t.Fatalf("diagnostics: %+v", evs)
	}
	if !strings.Contains(evs[0].Text, `"AUTH PLAIN ****"`) || strings.Contains(evs[0].Text, "AGFsaWNl") {
		t.Fatalf("the credential reaches the trace: %q", evs[0].Text)
	}
}

// A mistake is said once, where the student made it: alice's message to
// bob without the blank line gets its diagnostic on A, and none on the
// relay hop from A to B, which carries the same message.
func TestDiagnosticOnceAcrossHops(t *testing.T) {
	inst := langWorld(t, "en", nil)
	sub := inst.Bus.Subscribe(1 << 12)
	defer sub.Close()
	runTranscript(t, inst.Addr("A", world.SMTP), helo+"C: MAIL FROM:<alice@a.example>\nS: 250 *\nC: RCPT TO:<bob@b.example>\nS: 250 *\n"+
		"C: DATA\nS: 354 *\nC: Subject: x\nC: hello\nC: .\nS: 250 2.0.0 OK*\n"+quit)
	var diags []*tracer.Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == tracer.KindDiagnostic {
				diags = append(diags, e)
			}
			if e.Kind != tracer.KindClose || e.Server != "B" || e.Proto != "smtp" {
				continue
			}
			if len(diags) != 1 || diags[0].Server != "A" || diags[0].Attrs[tracer.AttrDiag] != "no-blank-line" {
				for _, d := range diags {
					t.Errorf("diagnostic on %s (%s): %s", d.Server, d.Actor, d.Text)
				}
				t.Fatalf("%d diagnostics, want one no-blank-line on A", len(diags))
			}
			return
		case <-timeout:
			t.Fatalf("the relay session to B did not close; diagnostics: %d", len(diags))
		}
	}
}
