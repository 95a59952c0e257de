package tracer

// eventCatalog holds the sentences servers say about themselves rather
// than about a protocol line: state changes, queue and relay steps, lookups,
// faults and notes. Servers emit them as a Msg (a key and named arguments in
// braces); the bus renders them in the instance's language and the web page
// in its reader's.
var eventCatalog = map[string]entry{
	// SMTP states (RFC 5321 section 3 describes the transaction; the states
	// are mailscope's names for where a session is in it).
	"smtp.state.connected": {
		en:  "TCP connection open; the server speaks first (the 220 greeting)",
		zh:  "TCP 连接已建立；由服务器先发问候（220）",
		rfc: "RFC 5321 section 3.1",
	},
	"smtp.state.greeted": {
		en:  "{verb} {name}: the client introduced itself",
		zh:  "{verb} {name}：客户端报上了自己的名字",
		rfc: "RFC 5321 section 4.1.1.1",
	},
	"smtp.state.tls": {
		en:  "TLS is up: the client must say EHLO again",
		zh:  "TLS 已建立：客户端必须重新发送 EHLO",
		rfc: "RFC 3207 section 4.2",
	},
	"smtp.state.reset": {
		en:  "transaction reset: sender, recipients and data are forgotten",
		zh:  "事务已重置：发件人、收件人和数据都被清除",
		rfc: "RFC 5321 section 4.1.1.5",
	},
	"smtp.state.mail": {
		en:  "a new message: sender <{sender}>; its id is {id}",
		zh:  "开始一封新邮件：发件人 <{sender}>；它的编号是 {id}",
		rfc: "RFC 5321 section 4.1.1.2",
	},
	"smtp.state.rcpt": {
		en:  "at least one recipient accepted; DATA may follow",
		zh:  "至少已接受一个收件人；接下来可以发送 DATA",
		rfc: "RFC 5321 section 4.1.1.3",
	},
	"smtp.state.data.crlf": {
		en:  "the client sends the message; it ends with CRLF.CRLF (a bare LF or CR inside is content, not a line end)",
		zh:  "客户端发送邮件内容；以 CRLF.CRLF 结束（其中单独的 LF 或 CR 只是内容，不算行尾）",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.state.data.lf": {
		en:  "the client sends the message; this client ends its lines with bare LF, so the data may end with LF.LF",
		zh:  "客户端发送邮件内容；这个客户端的行以单独的 LF 结尾，所以数据可以以 LF.LF 结束",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.state.auth": {
		en:  "The client logged in: it may now relay to other domains.",
		zh:  "客户端已登录：现在可以通过本服务器向其他域名中继邮件。",
		rfc: "RFC 4954 section 4",
	},
	"smtp.state.authenticated": {
		en: "authenticated as {user}",
		zh: "已认证为 {user}",
	},
}
