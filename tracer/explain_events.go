package tracer

import (
	"strconv"
	"strings"
	"time"
)

// eventCatalog holds the sentences servers say about themselves rather
// than about a protocol line: state changes, queue and relay steps, lookups,
// faults and notes. Servers emit them as a Msg (a key and named arguments in
// braces); the bus renders them in the instance's language and the web page
// in its reader's.
var eventCatalog = map[string]entry{
	// Data events: what a message body or literal was, in one line.
	"data.sum.smtp":     {en: "message body: {lines} lines, {octets} octets", zh: "邮件内容：{lines} 行，{octets} 字节", rfc: "RFC 5321 section 4.1.1.4"},
	"data.sum.smtp.cut": {en: "message body cut off: the connection closed before CRLF.CRLF", zh: "邮件内容不完整：连接在 CRLF.CRLF 之前就关闭了", rfc: "RFC 5321 section 4.1.1.4"},
	"data.sum.pop3.cut": {en: "message cut off: the connection closed before the line holding only a dot", zh: "邮件不完整：连接在只含一个点的行之前就关闭了", rfc: "RFC 1939 section 3"},
	"data.sum.retr":     {en: "message {n}: {lines} lines, {octets} octets", zh: "第 {n} 封邮件：{lines} 行，{octets} 字节", rfc: "RFC 1939 section 5"},
	"data.sum.retr.stuffed1": {
		en:  "message {n}: {lines} lines, {octets} octets ({wire} on the wire: 1 dot-stuffed line)",
		zh:  "第 {n} 封邮件：{lines} 行，{octets} 字节（线路上 {wire} 字节：1 行做了点填充）",
		rfc: "RFC 1939 section 3",
	},
	"data.sum.retr.stuffed": {
		en:  "message {n}: {lines} lines, {octets} octets ({wire} on the wire: {stuffed} dot-stuffed lines)",
		zh:  "第 {n} 封邮件：{lines} 行，{octets} 字节（线路上 {wire} 字节：{stuffed} 行做了点填充）",
		rfc: "RFC 1939 section 3",
	},
	"data.sum.top": {en: "top of message {n}: {lines} lines, {octets} octets", zh: "第 {n} 封邮件的开头部分：{lines} 行，{octets} 字节", rfc: "RFC 1939 section 7"},
	"data.sum.top.stuffed1": {
		en:  "top of message {n}: {lines} lines, {octets} octets ({wire} on the wire: 1 dot-stuffed line)",
		zh:  "第 {n} 封邮件的开头部分：{lines} 行，{octets} 字节（线路上 {wire} 字节：1 行做了点填充）",
		rfc: "RFC 1939 section 7",
	},
	"data.sum.top.stuffed": {
		en:  "top of message {n}: {lines} lines, {octets} octets ({wire} on the wire: {stuffed} dot-stuffed lines)",
		zh:  "第 {n} 封邮件的开头部分：{lines} 行，{octets} 字节（线路上 {wire} 字节：{stuffed} 行做了点填充）",
		rfc: "RFC 1939 section 7",
	},
	"data.sum.literal":            {en: "literal: {octets} octets, {lines} lines", zh: "字面量：{octets} 字节，{lines} 行", rfc: "RFC 9051 section 4.3"},
	"data.sum.literal.cut":        {en: "literal: {octets} octets, {lines} lines; cut off: the connection closed after {octets} of {total} announced octets", zh: "字面量：{octets} 字节，{lines} 行；不完整：声明了 {total} 字节，连接在收到 {octets} 字节后就关闭了", rfc: "RFC 9051 section 4.3"},
	"data.sum.literal.masked":     {en: "literal: {octets} octets (a password, masked)", zh: "字面量：{octets} 字节（是密码，已隐藏）", rfc: "RFC 9051 section 4.3"},
	"data.sum.literal.masked.cut": {en: "literal: {octets} octets (a password, masked); cut off: the connection closed after {octets} of {total} announced octets", zh: "字面量：{octets} 字节（是密码，已隐藏）；不完整：声明了 {total} 字节，连接在收到 {octets} 字节后就关闭了", rfc: "RFC 9051 section 4.3"},
	"data.sum.ciphertext":         {en: "TLS ciphertext: {octets} octets", zh: "TLS 密文：{octets} 字节", rfc: "RFC 8446"},
	"note.skipped.behind":         {en: "skipped {n} events: this viewer fell behind", zh: "跳过了 {n} 个事件：这个查看端跟不上了"},
	"note.skipped.history":        {en: "skipped {n} events: older than the kept history", zh: "跳过了 {n} 个事件：它们比保留的历史记录更早"},

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
	// RSET, a new EHLO or a refused message: the transaction is dropped
	// and nothing of it was stored.
	"smtp.state.reset": {
		en:  "transaction reset: sender, recipients and data are forgotten",
		zh:  "事务已重置：发件人、收件人和数据都被清除",
		rfc: "RFC 5321 section 4.1.1.5",
	},
	// The end of DATA the server accepted: the message is stored (its 250
	// says so); only the transaction is over. Worded so that it cannot be
	// read as the message being thrown away, whether it shows before or
	// after that 250.
	"smtp.state.stored": {
		en:  "message committed: the server took responsibility for it (its 250 says it is stored); the mail transaction is over and the session is back in the greeted state, where a new MAIL FROM may start the next message",
		zh:  "邮件已提交：服务器接过了投递责任（它的 250 表示已存好）；这次邮件事务结束，会话回到已问候状态，可以用新的 MAIL FROM 开始下一封邮件",
		rfc: "RFC 5321 section 3.3, RFC 5321 section 4.1.1.4, RFC 5321 section 6.1",
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

	// Connections, as the tap sees them (tap.go).
	"conn.open":       {en: "connection from {peer} to {local}", zh: "收到来自 {peer} 的连接（连到 {local}）"},
	"conn.open.relay": {en: "connection from server {actor}'s relay ({peer}): {actor} is the SMTP client now, {server} the server", zh: "来自服务器 {actor} 中继的连接（{peer}）：现在 {actor} 是 SMTP 客户端，{server} 是服务器"},
	"conn.close":      {en: "connection closed", zh: "连接已关闭"},
	"http.done":       {en: "request answered: this exchange is over (HTTP keeps no session; the next request starts anew)", zh: "请求已得到响应：这次交互结束（HTTP 不保持会话；下一个请求重新开始）"},
	"tls.up":          {en: "TLS established: {version}, {cipher}", zh: "TLS 已建立：{version}，{cipher}"},
	"tls.failed":      {en: "TLS handshake failed: {error}", zh: "TLS 握手失败：{error}"},

	// The world.
	"world.started": {en: "mailscope world started: {listeners}", zh: "mailscope 模拟世界已启动：{listeners}"},

	// The message queue: what a server does with a message it accepted
	// (RFC 5321 section 4.5.4 describes the retry strategy; section 3.6.2
	// the relay).
	"queue.delivered.local":     {en: "delivered to the mailbox of {user}@{domain} (INBOX, UID {uid})", zh: "已投递到 {user}@{domain} 的邮箱（INBOX，UID {uid}）"},
	"queue.queued":              {en: "queued for relay to {rcpts}: the message waits in {server}'s outgoing queue; the client got its 250 already (asynchronous sending)", zh: "已进入消息队列：邮件在 {server} 的消息队列中等待中继给 {rcpts}；客户端已经收到了 250，邮件稍后才发出（异步发送）"},
	"queue.held":                {en: "held in {server}'s queue until {time} (FUTURERELEASE, RFC 4865: delayed sending) for {rcpts}", zh: "发给 {rcpts} 的邮件暂存在 {server} 的消息队列中，直到 {time}（FUTURERELEASE，RFC 4865：延迟发送）"},
	"queue.released":            {en: "FUTURERELEASE: the hold time has passed; the message leaves the queue now (RFC 4865)", zh: "FUTURERELEASE：暂存时间已到，邮件现在离开消息队列（RFC 4865）"},
	"queue.flush.etrn":          {en: "ETRN {domain}: {n} queued recipients for {domain} are due now: the queue runs at once", zh: "ETRN {domain}：消息队列中发往 {domain} 的 {n} 个收件人现在到期，队列立即开始投递"},
	"queue.flush.etrn.singular": {en: "ETRN {domain}: {n} queued recipient for {domain} is due now: the queue runs at once", zh: "ETRN {domain}：消息队列中发往 {domain} 的 {n} 个收件人现在到期，队列立即开始投递"},
	"queue.flush":               {en: "queue flush: {n} recipients due now", zh: "立即投递消息队列（queue flush）：{n} 个收件人现在到期"},
	"queue.flush.singular":      {en: "queue flush: {n} recipient due now", zh: "立即投递消息队列（queue flush）：{n} 个收件人现在到期"},
	// An attempt may find its server down: it says what A tries, not that
	// a session opened. A mark on the page is the step's name (web.step.*)
	// before the text unless the text starts with it, as these zh texts do.
	"queue.attempt":   {en: "attempt {n}: {from} tries to open an SMTP session to {to} ({addr}) for {rcpt}, as the client", zh: "尝试投递（第 {n} 次）：{from} 作为客户端，试着为 {rcpt} 向 {to}（{addr}）打开 SMTP 会话"},
	"queue.delivered": {en: "delivered: {to} accepted the message for {rcpt} ({reply}); it is removed from {from}'s queue", zh: "已投递：{to} 接受了发给 {rcpt} 的邮件（{reply}）；邮件从 {from} 的消息队列中移除"},
	"queue.deferred":  {en: "deferred: {reply}; the message stays in {server}'s queue; attempt {n} at {time} (in {wait})", zh: "已推迟：{reply_zh}；邮件留在 {server} 的消息队列中；第 {n} 次尝试定于 {time}（{wait_zh}后）"},
	// The ladder's deferred mark, whose live countdown says the wait.
	"queue.deferred.mark":      {en: "deferred: {reply}; the message stays in {server}'s queue; attempt {n} at {time}", zh: "已推迟：{reply_zh}；邮件留在 {server} 的消息队列中；第 {n} 次尝试定于 {time}"},
	"queue.recovered.arrived":  {en: "after a restart: delivery to {rcpt} was interrupted; it had arrived, so it is marked delivered (not sent twice)", zh: "重启之后：发往 {rcpt} 的投递曾被中断；邮件已经到达，因此标记为已投递（不会重复发送）"},
	"queue.recovered.requeued": {en: "after a restart: delivery to {rcpt} was interrupted; it had not arrived, so it is queued again", zh: "重启之后：发往 {rcpt} 的投递曾被中断；邮件尚未到达，因此重新放入消息队列"},

	// Bounces (RFC 3464 delivery status notifications). {reply} is the
	// last reply (or error); the .gaveup forms say the queue gave up after
	// the world's give_up time without a permanent reply. The zh texts take
	// {reply_zh}, the reason in Chinese (a server's reply stays as it came),
	// and durations written by DurationZH ({wait_zh}, {elapsed_zh},
	// {give_up_zh}).
	"queue.bounced.null":                   {en: "failed for good ({reply}); the sender is <> (a bounce itself), so no bounce is sent: bounces never bounce", zh: "永久性失败（{reply_zh}）；发件人是 <>（它本身就是退信），因此不发送退信：退信永远不会再被退回"},
	"queue.bounced.null.gaveup":            {en: "failed for good (gave up after {attempts} attempts over {elapsed} (the world's give_up is {give_up}); last error: {reply}); the sender is <> (a bounce itself), so no bounce is sent: bounces never bounce", zh: "永久性失败（尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}）；发件人是 <>（它本身就是退信），因此不发送退信：退信永远不会再被退回"},
	"queue.bounced.null.gaveup.singular":   {en: "failed for good (gave up after {attempts} attempt over {elapsed} (the world's give_up is {give_up}); last error: {reply}); the sender is <> (a bounce itself), so no bounce is sent: bounces never bounce", zh: "永久性失败（尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}）；发件人是 <>（它本身就是退信），因此不发送退信：退信永远不会再被退回"},
	"queue.bounced.never":                  {en: "failed for good ({reply}); the sender asked for no failure notice (NOTIFY=NEVER, RFC 3461), so no bounce is sent", zh: "永久性失败（{reply_zh}）；发件人要求不发失败通知（NOTIFY=NEVER，RFC 3461），因此不发送退信"},
	"queue.bounced.never.gaveup":           {en: "failed for good (gave up after {attempts} attempts over {elapsed} (the world's give_up is {give_up}); last error: {reply}); the sender asked for no failure notice (NOTIFY=NEVER, RFC 3461), so no bounce is sent", zh: "永久性失败（尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}）；发件人要求不发失败通知（NOTIFY=NEVER，RFC 3461），因此不发送退信"},
	"queue.bounced.never.gaveup.singular":  {en: "failed for good (gave up after {attempts} attempt over {elapsed} (the world's give_up is {give_up}); last error: {reply}); the sender asked for no failure notice (NOTIFY=NEVER, RFC 3461), so no bounce is sent", zh: "永久性失败（尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}）；发件人要求不发失败通知（NOTIFY=NEVER，RFC 3461），因此不发送退信"},
	"queue.bounced.local":                  {en: "bounced: {reply}; a delivery status notification (multipart/report, RFC 3464) goes into the mailbox of {sender}", zh: "已退信：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）放入 {sender} 的邮箱"},
	"queue.bounced.local.gaveup":           {en: "bounced: gave up after {attempts} attempts over {elapsed} (the world's give_up is {give_up}); last error: {reply}; a delivery status notification (multipart/report, RFC 3464) goes into the mailbox of {sender}", zh: "已退信：尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）放入 {sender} 的邮箱"},
	"queue.bounced.local.gaveup.singular":  {en: "bounced: gave up after {attempts} attempt over {elapsed} (the world's give_up is {give_up}); last error: {reply}; a delivery status notification (multipart/report, RFC 3464) goes into the mailbox of {sender}", zh: "已退信：尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）放入 {sender} 的邮箱"},
	"queue.bounced.remote":                 {en: "bounced: {reply}; a delivery status notification (multipart/report, RFC 3464) goes through the queue to {sender}", zh: "已退信：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）经消息队列发给 {sender}"},
	"queue.bounced.remote.gaveup":          {en: "bounced: gave up after {attempts} attempts over {elapsed} (the world's give_up is {give_up}); last error: {reply}; a delivery status notification (multipart/report, RFC 3464) goes through the queue to {sender}", zh: "已退信：尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）经消息队列发给 {sender}"},
	"queue.bounced.remote.gaveup.singular": {en: "bounced: gave up after {attempts} attempt over {elapsed} (the world's give_up is {give_up}); last error: {reply}; a delivery status notification (multipart/report, RFC 3464) goes through the queue to {sender}", zh: "已退信：尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（本世界的 give_up 为 {give_up_zh}）；最后的错误：{reply_zh}；一封投递状态通知（multipart/report，RFC 3464）经消息队列发给 {sender}"},

	// Why a delivery attempt failed when the receiving server gave no reply
	// to quote (servers/relay/why.go): the queue records, and the DSN
	// quotes, the English text; the trace says it in its reader's language.
	"queue.why.refused":            {en: "connection refused: nothing listens on {addr} (server {server} is down)", zh: "连接被拒绝：{addr} 上没有程序在监听（服务器 {server} 没有运行）", rfc: "RFC 5321 section 4.5.4.1"},
	"queue.why.timeout":            {en: "no answer in time: server {server} ({addr}) did not reply before the time limit", zh: "超时：服务器 {server}（{addr}）在时限内没有响应", rfc: "RFC 5321 section 4.5.3.2"},
	"queue.why.closed":             {en: "server {server} closed the connection without a reply", zh: "服务器 {server} 没有响应就关闭了连接", rfc: "RFC 5321 section 4.5.4.1"},
	"queue.why.broke":              {en: "the session broke before this message was sent", zh: "这封邮件发送之前会话就中断了", rfc: "RFC 5321 section 4.5.4.1"},
	"queue.why.unreachable":        {en: "cannot connect to server {server} ({addr}): {err}", zh: "无法连接到服务器 {server}（{addr}）：{err}", rfc: "RFC 5321 section 4.5.4.1"},
	"queue.why.unasked":            {en: "server {server} sent data nobody asked for", zh: "服务器 {server} 发送了没有人请求的数据", rfc: "RFC 2920 section 3.1"},
	"queue.why.tls":                {en: "TLS handshake with {server} failed: {err}", zh: "与服务器 {server} 的 TLS 握手失败：{err}", rfc: "RFC 3207 section 4.1"},
	"queue.why.tls.untrusted":      {en: "TLS handshake with {server} failed: its certificate is not signed by an authority this server trusts", zh: "与服务器 {server} 的 TLS 握手失败：它的证书不是由本服务器信任的机构签发的", rfc: "RFC 3207 section 4.1"},
	"queue.why.tls.name":           {en: "TLS handshake with {server} failed: its certificate is not for {name}", zh: "与服务器 {server} 的 TLS 握手失败：它的证书不是颁发给 {name} 的", rfc: "RFC 3207 section 4.1"},
	"queue.why.tls.expired":        {en: "TLS handshake with {server} failed: its certificate has expired or is not valid yet", zh: "与服务器 {server} 的 TLS 握手失败：它的证书已过期或尚未生效", rfc: "RFC 3207 section 4.1"},
	"queue.why.internal":           {en: "reading the queued message: {err}", zh: "读取消息队列中的邮件失败：{err}"},
	"queue.why.other":              {en: "{err}", zh: "会话出错：{err}"},
	"queue.why.bouncenow":          {en: "gave up after {attempts} attempts over {elapsed} (bounced now by the operator, before the world's give_up of {give_up}); last error: {last}", zh: "尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（操作员立即退信，未等到本世界的 give_up {give_up_zh}）；最后的错误：{last_zh}"},
	"queue.why.bouncenow.singular": {en: "gave up after {attempts} attempt over {elapsed} (bounced now by the operator, before the world's give_up of {give_up}); last error: {last}", zh: "尝试 {attempts} 次、历时 {elapsed_zh} 后放弃（操作员立即退信，未等到本世界的 give_up {give_up_zh}）；最后的错误：{last_zh}"},
	"queue.why.nomx":               {en: "550 5.1.2 no MX: the domain {domain} is not in this world's directory, so nobody receives mail for it", zh: "550 5.1.2 没有 MX：本世界的目录中没有域名 {domain}，因此没有人接收发往它的邮件", rfc: "RFC 5321 section 5.1"},

	// The simulated MX lookup (RFC 5321 section 5.1 says how a real one
	// goes).
	"lookup.mx":   {en: "MX lookup for {domain}: the world's directory says server {server} receives its mail, at {addr}", zh: "查询 {domain} 的 MX：本世界的目录表明，由服务器 {server}（{addr}）接收它的邮件"},
	"lookup.nomx": {en: "MX lookup for {domain}: no such domain in this world's directory (no MX record)", zh: "查询 {domain} 的 MX：本世界的目录中没有这个域名（没有 MX 记录）"},

	// Fault switches (mailscope fault).
	"fault.cleared":  {en: "server {server} cleared: the server behaves normally again", zh: "服务器 {server} 的故障已清除：恢复正常工作"},
	"fault.down":     {en: "server {server} down: its SMTP port refuses connections; senders must keep their mail queued and retry", zh: "服务器 {server} 宕机：它的 SMTP 端口拒绝连接；发件方必须把邮件留在消息队列中并重试"},
	"fault.greylist": {en: "server {server} greylisting: a first attempt from a sender gets 451 4.7.1, a retry after a short wait is accepted (RFC 6647)", zh: "服务器 {server} 启用灰名单：发件方的第一次尝试得到 451 4.7.1，稍等之后重试即被接受（RFC 6647）"},
	"fault.slow":     {en: "server {server} slow: every reply waits a while (a busy or distant server)", zh: "服务器 {server} 变慢：每个响应都要等一会儿（就像一台繁忙或遥远的服务器）"},
	"fault.quota":    {en: "server {server} over quota: recipients get 452 4.2.2 mailbox full (a temporary failure: senders retry)", zh: "服务器 {server} 超出配额：收件人得到 452 4.2.2 邮箱已满（暂时性失败：发件方会重试）"},
	"fault.reject":   {en: "server {server} rejecting: recipients get 550 5.1.1 (a permanent failure: senders bounce)", zh: "服务器 {server} 拒收：收件人得到 550 5.1.1（永久性失败：发件方退信）"},
	"fault.hold":     {en: "server {server} holds its queue: it makes no scheduled delivery attempts (new mail is still accepted and queued) until ETRN (RFC 1985) or a flush asks for a domain's mail, or the hold is cleared", zh: "服务器 {server} 暂停了消息队列：它不再按计划尝试投递（新邮件照样接收并进入消息队列），直到有人用 ETRN（RFC 1985）或 flush 请求发送某个域名的邮件，或者清除这个故障"},

	// Notes a server makes about a session.
	"note.tls.discarded": {en: "discarded {n} octets sent before the TLS handshake (command injection defence, RFC {rfc} section {sec})", zh: "丢弃了 TLS 握手之前发来的 {n} 个字节（防御命令注入，RFC {rfc} 第 {sec} 节）"},
	"note.panic":         {en: "internal error in server {server} (a panic: {panic}); this session ends, the server goes on", zh: "服务器 {server} 内部错误（panic：{panic}）；本会话结束，服务器继续运行"},
	"pop3.note.panic":    {en: "internal error in server {server} (a panic: {panic}); this session ends, nothing was deleted, the server goes on", zh: "服务器 {server} 内部错误（panic：{panic}）；本会话结束，没有删除任何邮件，服务器继续运行"},
	"note.conn.full":     {en: "server {server} is full ({max} {proto} connections, the limit): this session had waited longest for a command, so it is closed to admit a new connection", zh: "服务器 {server} 已满（{max} 个 {proto} 连接，已达上限）：这个会话等待命令的时间最长，因此被关闭，以接纳新的连接"},
	"note.conn.busy":     {en: "server {server} is busy (80% or more of its {max} {proto} connections in use): a session may wait only {wait} for a command, and this one waited that long", zh: "服务器 {server} 繁忙（{max} 个 {proto} 连接中已有 80% 以上在使用）：会话等待命令最多只能等 {wait_zh}，这个会话已经等了这么久"},

	// Failed logins and the login gate (servers/internal/penalty); their
	// explanations are auth.fail* and auth.gate*.
	"auth.note.fail":            {en: "failed login from {ip} ({n} of {max} allowed in this session): answered at once", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：立即响应"},
	"auth.note.fail.close":      {en: "failed login from {ip} ({n} of {max} allowed in this session): answered at once; {n} failed logins in one session: the server closes the connection after answering", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：立即响应；一个会话中已失败 {n} 次：服务器响应后关闭连接"},
	"auth.note.fail.free":       {en: "failed login from {ip} ({n} of {max} allowed in this session): answered at once; a next failure within 15 minutes waits {next}", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：立即响应；15 分钟内再次失败将等待 {next_zh}"},
	"auth.note.fail.free.close": {en: "failed login from {ip} ({n} of {max} allowed in this session): answered at once; a next failure within 15 minutes waits {next}; {n} failed logins in one session: the server closes the connection after answering", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：立即响应；15 分钟内再次失败将等待 {next_zh}；一个会话中已失败 {n} 次：服务器响应后关闭连接"},
	"auth.note.fail.wait":       {en: "failed login from {ip} ({n} of {max} allowed in this session): the answer waits {wait} because of earlier failures from this address or for this user; the next one waits {next}", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：由于此前来自该地址或针对该用户的失败，响应要等待 {wait_zh}；下一次将等待 {next_zh}"},
	"auth.note.fail.wait.close": {en: "failed login from {ip} ({n} of {max} allowed in this session): the answer waits {wait} because of earlier failures from this address or for this user; the next one waits {next}; {n} failed logins in one session: the server closes the connection after answering", zh: "来自 {ip} 的登录失败（本会话最多允许 {max} 次，这是第 {n} 次）：由于此前来自该地址或针对该用户的失败，响应要等待 {wait_zh}；下一次将等待 {next_zh}；一个会话中已失败 {n} 次：服务器响应后关闭连接"},
	"auth.note.gate":            {en: "login from {ip} waits {wait} before its password is checked: earlier failed logins from this address", zh: "来自 {ip} 的登录在检查密码之前要等待 {wait_zh}：此地址先前有过失败登录"},
	"auth.note.gate.full":       {en: "login from {ip} refused without checking its password: this address's logins are already queued {max} ahead", zh: "来自 {ip} 的登录未经检查密码即被拒绝：此地址的登录已经排队到 {max_zh}后"},

	// POP3 notes (RFC 1939 section 6: only UPDATE deletes).
	"pop3.note.update.delete": {en: "download-and-delete: {deleted} deleted, {kept} kept in {user}'s maildrop", zh: "下载并删除：{user} 的邮箱中删除了 {deleted} 封邮件，保留 {kept} 封"},
	"pop3.note.update.keep":   {en: "download-and-keep: {deleted} deleted, {kept} kept in {user}'s maildrop", zh: "下载并保持：{user} 的邮箱中删除了 {deleted} 封邮件，保留 {kept} 封"},
	"pop3.note.quitless":      {en: "session ended without QUIT: no UPDATE state, so the messages marked with DELE ({marked}) stay in {user}'s maildrop", zh: "会话未经 QUIT 就结束了：没有进入更新状态，因此用 DELE 标记的邮件（{marked} 封）仍留在 {user} 的邮箱中"},

	// IMAP notes about literals (RFC 9051 section 4.3, RFC 7888).
	"imap.note.literal.refused": {en: "refused a literal of {size} octets (at most {max} here) before the client sent it", zh: "在客户端发送之前就拒绝了一个 {size} 字节的 literal（这里最多允许 {max} 字节）"},
	"imap.note.literal.closed":  {en: "refused a literal of {size} octets (at most {max} here); the connection is closed so that its octets are never read as commands (RFC 7888)", zh: "拒绝了一个 {size} 字节的 literal（这里最多允许 {max} 字节）；随即关闭连接，以免它的字节被当作命令读取（RFC 7888）"},
	"imap.note.nonsync.refused": {en: "the server refused a non-synchronizing literal of {size} octets; they come anyway and must not be read as commands, so the connection is closed (RFC 7888)", zh: "服务器拒绝了一个 {size} 字节的非同步 literal；这些字节无论如何都会发来，不能被当作命令读取，因此关闭连接（RFC 7888）"},

	// The console's words around an event: the label before each kind of
	// event and how an explanation shows a response code with its meaning.
	"console.kind.state":      {en: "state: ", zh: "状态："},
	"console.kind.queue":      {en: "queue: ", zh: "消息队列："},
	"console.kind.lookup":     {en: "lookup: ", zh: "查询："},
	"console.kind.fault":      {en: "fault: ", zh: "故障："},
	"console.kind.skipped":    {en: "skipped: ", zh: "已跳过："},
	"console.kind.note":       {en: "note: ", zh: "说明："},
	"console.kind.lesson":     {en: "lesson: ", zh: "课程："},
	"console.kind.http":       {en: "http: ", zh: "HTTP："},
	"console.kind.diagnostic": {en: "diagnostic: ", zh: "诊断："},
	"console.code":            {en: "[{code} {text}]", zh: "[{code}：{text}]"},
}

// DurationZH writes d the way a Chinese text says a duration, for the {…_zh}
// arguments of the catalog: "30 秒", "200 毫秒", "2 分钟", "1 分钟 30 秒",
// "1 小时 5 分钟". The English texts keep Go's form (30s, 200ms, 1m30s).
func DurationZH(d time.Duration) string {
	if d < 0 {
		return "-" + DurationZH(-d)
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case d == 0:
		return "0 秒"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " 纳秒"
	case d < time.Millisecond:
		return num(float64(d)/float64(time.Microsecond)) + " 微秒"
	case d < time.Second:
		return num(float64(d)/float64(time.Millisecond)) + " 毫秒"
	}
	var parts []string
	if h := d / time.Hour; h > 0 {
		parts = append(parts, strconv.FormatInt(int64(h), 10)+" 小时")
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		parts = append(parts, strconv.FormatInt(int64(m), 10)+" 分钟")
		d -= m * time.Minute
	}
	if d > 0 {
		parts = append(parts, num(d.Seconds())+" 秒")
	}
	return strings.Join(parts, " ")
}
