package tracer

import "strings"

// dsnCatalog holds what the trace says about delivery status notifications
// (RFC 3461, the SMTP parameters a sender asks with; RFC 3464, the report):
// the parameters of MAIL FROM and RCPT TO, what becomes of them on each hop,
// the notices the servers send, and mailscope's private extension that
// carries a message's trace id from server to server.
var dsnCatalog = map[string]entry{
	// The command lines, when they carry DSN parameters (DSNCommandKey).
	"smtp.cmd.MAIL.dsn": {
		en:  "MAIL FROM: starts a new message and gives the envelope sender. With DSN parameters: ENVID= is the sender's own name for this message (xtext), returned in every notice as Original-Envelope-Id (section 4.4); RET=FULL asks a failure notice to return the whole message, RET=HDRS only its header lines (section 4.3). A relay passes both on unchanged and never makes them up (section 5.2.1).",
		zh:  "MAIL FROM：开始一封新邮件，给出信封发件人。带 DSN 参数：ENVID= 是发件人给这封邮件起的名字（xtext 编码），每份通知都以 Original-Envelope-Id 原样带回（第 4.4 节）；RET=FULL 要求失败通知退回整封邮件，RET=HDRS 只退回头部行（第 4.3 节）。中继必须原样转交这两个参数，不能自行编造（第 5.2.1 节）。",
		rfc: "RFC 3461 section 4.3, RFC 3461 section 4.4"},
	"smtp.cmd.MAIL.trace": {
		en:  "MAIL FROM: starts a new message and gives the envelope sender (where bounces go). X-MAILSCOPE-TRACE=id is mailscope's private parameter, sent only to a server that offers it in EHLO: the next server follows the message under the same trace id.",
		zh:  "MAIL FROM：开始一封新邮件，给出信封发件人（退信的去处）。X-MAILSCOPE-TRACE=编号 是 mailscope 的私有参数，只发给在 EHLO 中提供它的服务器：下一台服务器沿用同一个跟踪编号。",
		rfc: "RFC 5321 section 4.1.1.2, RFC 5321 section 2.2.2"},
	"smtp.cmd.RCPT.dsn": {
		en:  "RCPT TO: names one recipient of the envelope. With DSN parameters: NOTIFY= says when the sender wants a notice for this recipient: NEVER, or a list of SUCCESS (delivered), FAILURE (failed for good) and DELAY (still waiting) (section 4.1); ORCPT= is the recipient's original address, type;address, returned as Original-Recipient (section 4.2). A relay whose next server offers DSN passes both on unchanged (section 5.2.1).",
		zh:  "RCPT TO：给出信封上的一个收件人。带 DSN 参数：NOTIFY= 说明发件人希望在什么情况下收到关于该收件人的通知：NEVER，或 SUCCESS（已投递）、FAILURE（永久性失败）、DELAY（仍在等待）的组合（第 4.1 节）；ORCPT= 是收件人的原始地址，格式为 类型;地址，以 Original-Recipient 带回（第 4.2 节）。下一台服务器提供 DSN 时，中继原样转交这两个参数（第 5.2.1 节）。",
		rfc: "RFC 3461 section 4.1, RFC 3461 section 4.2"},
	"smtp.ext.X-MAILSCOPE-TRACE": {
		en:  "X-MAILSCOPE-TRACE: a private extension of mailscope's servers (an EHLO keyword beginning with X is used by agreement between the two ends). A relay of this world sends MAIL FROM:<...> X-MAILSCOPE-TRACE=id, so that the message keeps its trace id on this hop; the sender's ENVID travels untouched. A server that does not offer it never sees it.",
		zh:  "X-MAILSCOPE-TRACE：mailscope 服务器的私有扩展（以 X 开头的 EHLO 关键字由双方约定使用）。本世界的中继发送 MAIL FROM:<...> X-MAILSCOPE-TRACE=编号，使邮件在这一跳保持同一个跟踪编号；发件人的 ENVID 原样传递。不提供此扩展的服务器永远不会收到它。",
		rfc: "RFC 5321 section 2.2.2"},

	// What becomes of the parameters on a hop (servers/relay/client.go).
	"queue.dsn.pass": {
		en: "{from} passes the sender's DSN parameters on to {to}, unchanged: {params}. {to} offers DSN, so the notices the sender asked for are {to}'s to send from now on (RFC 3461 section 5.2.1)",
		zh: "{from} 把发件人的 DSN 参数原样转交给 {to}：{params}。{to} 提供 DSN，因此从现在起，发件人要求的通知由 {to} 发送（RFC 3461 第 5.2.1 节）"},
	"queue.dsn.nopass": {
		en: "{to} does not offer DSN, so {from} cannot pass on {params}; {from} sends a \"relayed\" notice itself to a sender who asked for NOTIFY=SUCCESS, and no further notice will come (RFC 3461 section 5.2.2)",
		zh: "{to} 不提供 DSN，因此 {from} 无法转交 {params}；对要求 NOTIFY=SUCCESS 的发件人，{from} 自己发送一份“relayed（已转交）”通知，此后不会再有通知（RFC 3461 第 5.2.2 节）"},
	"queue.dsn.passed": {
		en: "{rcpt} asked for NOTIFY={notify}; {from} passed it on to {to}, which offers DSN: {to} puts the message in the mailbox and sends the \"delivered\" notice, {from} sends none (RFC 3461 section 5.2.1)",
		zh: "{rcpt} 要求 NOTIFY={notify}；{from} 已把它转交给提供 DSN 的 {to}：由 {to} 把邮件放入邮箱并发送“delivered（已投递）”通知，{from} 不再发送（RFC 3461 第 5.2.1 节）"},

	// The queue step of these events, as a mark on a lane (tracer.StepDSN).
	"web.step.dsn": {en: "DSN", zh: "投递状态通知"},

	// The notices (servers/relay/dsn.go).
	"queue.dsn.delivered.local": {
		en: "{server} put the message in the mailbox of {rcpt}, who was given with NOTIFY=SUCCESS: a \"delivered\" notice (multipart/report, RFC 3464, Action: delivered) goes into the mailbox of {sender}, from <> so that it can never cause another notice",
		zh: "{server} 已把邮件放入 {rcpt} 的邮箱，该收件人带有 NOTIFY=SUCCESS：一份“delivered（已投递）”通知（multipart/report，RFC 3464，Action: delivered）放入 {sender} 的邮箱，发件人为 <>，因此它不会再引出别的通知"},
	"queue.dsn.delivered.remote": {
		en: "{server} put the message in the mailbox of {rcpt}, who was given with NOTIFY=SUCCESS: a \"delivered\" notice (multipart/report, RFC 3464, Action: delivered) goes through {server}'s queue to {sender}, from <> so that it can never cause another notice",
		zh: "{server} 已把邮件放入 {rcpt} 的邮箱，该收件人带有 NOTIFY=SUCCESS：一份“delivered（已投递）”通知（multipart/report，RFC 3464，Action: delivered）经 {server} 的消息队列发给 {sender}，发件人为 <>，因此它不会再引出别的通知"},
	"queue.dsn.null": {
		en: "{server} put the message in the mailbox of {rcpt}, who was given with NOTIFY=SUCCESS, but the sender is <>: no notice is sent about a notice",
		zh: "{server} 已把邮件放入 {rcpt} 的邮箱，该收件人带有 NOTIFY=SUCCESS，但发件人是 <>：不会为一份通知再发通知"},
	"queue.dsn.relayed.local": {
		en: "{rcpt} asked for NOTIFY=SUCCESS and {to} took the message without offering DSN: a \"relayed\" notice (Action: relayed, RFC 3464 section 2.3.3) goes into the mailbox of {sender}; no further notice will come (RFC 3461 section 5.2.2)",
		zh: "{rcpt} 要求 NOTIFY=SUCCESS，而 {to} 接收了邮件却不提供 DSN：一份“relayed（已转交）”通知（Action: relayed，RFC 3464 第 2.3.3 节）放入 {sender} 的邮箱；此后不会再有通知（RFC 3461 第 5.2.2 节）"},
	"queue.dsn.relayed.remote": {
		en: "{rcpt} asked for NOTIFY=SUCCESS and {to} took the message without offering DSN: a \"relayed\" notice (Action: relayed, RFC 3464 section 2.3.3) goes through the queue to {sender}; no further notice will come (RFC 3461 section 5.2.2)",
		zh: "{rcpt} 要求 NOTIFY=SUCCESS，而 {to} 接收了邮件却不提供 DSN：一份“relayed（已转交）”通知（Action: relayed，RFC 3464 第 2.3.3 节）经消息队列发给 {sender}；此后不会再有通知（RFC 3461 第 5.2.2 节）"},
	"queue.dsn.delayed.local": {
		en: "the message for {rcpt} has waited in the queue longer than the world's queue.delay_notice ({wait}) and {rcpt} was given with NOTIFY=DELAY: one \"delayed\" notice (Action: delayed, with Will-Retry-Until) goes into the mailbox of {sender}; the queue keeps trying (RFC 3461 section 4.1, RFC 3464 section 2.3.3)",
		zh: "发给 {rcpt} 的邮件在消息队列中等待的时间已超过本世界的 queue.delay_notice（{wait_zh}），且该收件人带有 NOTIFY=DELAY：一份“delayed（延迟）”通知（Action: delayed，附 Will-Retry-Until）放入 {sender} 的邮箱；队列继续重试（RFC 3461 第 4.1 节，RFC 3464 第 2.3.3 节）"},
	"queue.dsn.delayed.remote": {
		en: "the message for {rcpt} has waited in the queue longer than the world's queue.delay_notice ({wait}) and {rcpt} was given with NOTIFY=DELAY: one \"delayed\" notice (Action: delayed, with Will-Retry-Until) goes through the queue to {sender}; the queue keeps trying (RFC 3461 section 4.1, RFC 3464 section 2.3.3)",
		zh: "发给 {rcpt} 的邮件在消息队列中等待的时间已超过本世界的 queue.delay_notice（{wait_zh}），且该收件人带有 NOTIFY=DELAY：一份“delayed（延迟）”通知（Action: delayed，附 Will-Retry-Until）经消息队列发给 {sender}；队列继续重试（RFC 3461 第 4.1 节，RFC 3464 第 2.3.3 节）"},
	"queue.bounced.nofailure": {
		en: "failed for good ({reply}); the sender's NOTIFY={notify} leaves out FAILURE, so no bounce is sent (RFC 3461 section 4.1)",
		zh: "永久性失败（{reply_zh}）；发件人的 NOTIFY={notify} 不含 FAILURE，因此不发送退信（RFC 3461 第 4.1 节）"},
	"queue.bounced.nofailure.gaveup": {
		en: "failed for good (gave up after {attempts} attempts over {elapsed} (the world's give_up is {give_up}); last error: {reply}); the sender's NOTIFY={notify} leaves out FAILURE, so no bounce is sent (RFC 3461 section 4.1)",
		zh: "永久性失败（尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}）；发件人的 NOTIFY={notify} 不含 FAILURE，因此不发送退信（RFC 3461 第 4.1 节）"},
}

// DSNCommandKey is the catalog key that explains a MAIL FROM or RCPT TO
// line carrying DSN parameters (RFC 3461 section 4) or mailscope's trace
// parameter, or "" for a line without them (verb in upper case).
func DSNCommandKey(verb, args string) string {
	up := strings.ToUpper(args)
	has := func(p string) bool { return strings.Contains(up, " "+p+"=") }
	switch {
	case verb == "MAIL" && has("X-MAILSCOPE-TRACE"):
		return "smtp.cmd.MAIL.trace"
	case verb == "MAIL" && (has("ENVID") || has("RET")):
		return "smtp.cmd.MAIL.dsn"
	case verb == "RCPT" && (has("NOTIFY") || has("ORCPT")):
		return "smtp.cmd.RCPT.dsn"
	}
	return ""
}
