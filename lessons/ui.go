package lessons

import (
	"net"
	"sort"
	"strings"
)

// uiText holds the words around the lessons (headings, prompts), in every
// language of the course.
var uiText = map[string]Text{
	"lesson":      {En: "Lesson %s: %s", Zh: "课程 %s：%s"},
	"step":        {En: "Step %d/%d: %s", Zh: "第 %d/%d 步：%s"},
	"step.done":   {En: "✓ Step %d done: %s", Zh: "✓ 第 %d 步完成：%s"},
	"hint":        {En: "Hint: %s", Zh: "提示：%s"},
	"finished":    {En: "★ Lesson complete: %s", Zh: "★ 本课完成：%s"},
	"waiting":     {En: "(waiting for the trace to show that this step is done…)", Zh: "（等待跟踪显示这一步已完成……）"},
	"enter":       {En: "[Enter] next command", Zh: "[回车] 下一条命令"},
	"tls":         {En: "(TLS handshake: from here on the bytes on the wire are encrypted)", Zh: "（TLS 握手：从这里开始，线路上的字节都是加密的）"},
	"closed":      {En: "Connection closed by foreign host.", Zh: "连接已被对方主机关闭。"},
	"more":        {En: "… %d more lines", Zh: "……还有 %d 行"},
	"progress":    {En: "progress", Zh: "进度"},
	"steps":       {En: "steps", Zh: "步"},
	"completed":   {En: "completed", Zh: "已完成"},
	"not.started": {En: "not started", Zh: "未开始"},
	"resume":      {En: "Resuming at step %d (use --restart to begin again).", Zh: "从第 %d 步继续（用 --restart 从头开始）。"},
	"watching":    {En: "Watching the trace of %s. Do the step in another terminal; Ctrl-C stops (progress is saved).", Zh: "正在观察 %s 的跟踪。请在另一个终端里完成这一步；按 Ctrl-C 结束（进度会保存）。"},
	"demo.done":   {En: "Demo finished: every step was seen in the trace.", Zh: "演示结束：跟踪中看到了每一步。"},
	"col.lesson":  {En: "lesson", Zh: "课程"},
	"col.title":   {En: "title", Zh: "标题"},
	"try.lesson":  {En: "Start one with: mailscope lesson NAME   (or watch it: mailscope demo NAME)", Zh: "开始一课：mailscope lesson 课程名   （或观看演示：mailscope demo 课程名）"},
}

// UI returns the interface text key in lang; an unknown key is returned as
// is.
func UI(lang, key string) string {
	if t, ok := uiText[key]; ok {
		return t.In(lang)
	}
	return key
}

// MissingUITexts lists interface texts missing in some language.
func MissingUITexts() []string {
	var out []string
	for k, t := range uiText {
		if t.En == "" {
			out = append(out, k+": en")
		}
		if t.Zh == "" {
			out = append(out, k+": zh")
		}
	}
	sort.Strings(out)
	return out
}

// Addrs maps "SERVER/proto" ("A/smtp") to a live listener address
// ("127.0.0.1:10025"), and "web" to the web timeline's address.
type Addrs map[string]string

// Addr returns the address of server's proto listener ("web" for http).
func (a Addrs) Addr(server, proto string) string {
	if proto == "http" {
		return a["web"]
	}
	return a[strings.ToUpper(server)+"/"+strings.ToLower(proto)]
}

// Vars returns the address placeholders of the texts: ${A.smtp} is
// "127.0.0.1 10025" (what telnet wants), ${A.smtp.addr} "127.0.0.1:10025",
// ${A.smtp.host}, ${A.smtp.port}; ${web} is "http://127.0.0.1:8025",
// ${web.addr}, ${web.host}, ${web.port}.
func (a Addrs) Vars() map[string]string {
	v := map[string]string{}
	for k, addr := range a {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			continue
		}
		if k == "web" {
			v["web"] = "http://" + addr
			v["web.addr"], v["web.host"], v["web.port"] = addr, host, port
			continue
		}
		name := strings.Replace(k, "/", ".", 1)
		v[name] = host + " " + port
		v[name+".addr"], v[name+".host"], v[name+".port"] = addr, host, port
	}
	return v
}
