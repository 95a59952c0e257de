package tracer

// mailDiagCatalog holds the diagnostics of a student's POP3 and IMAP
// mistakes (issue 14): for each, a sentence saying what happened (the
// event's Msg, "diag.pop3.X" or "diag.imap.X") and a hint saying what to do
// (the event's explanation, "diag.pop3.X.hint"). The wire's reply already
// explains itself (explain_pop3.go, explain_imap.go); these say what the
// reply alone does not: which step was missing, how many messages there
// are, which folder name was meant.
var mailDiagCatalog = map[string]entry{
	// POP3: PASS without a USER just before it.
	"diag.pop3.pass-before-user": {
		en: "PASS came before USER: the server does not know whose password this is, so it checked nothing.",
		zh: "PASS 出现在 USER 之前：服务器不知道这是谁的密码，所以什么都没有检查。"},
	"diag.pop3.pass-before-user.hint": {
		en:  "A USER/PASS login is two commands, in this order: USER with the user name, then PASS with the password (USER bob, then PASS bob). Send USER first.",
		zh:  "USER/PASS 登录由两条命令组成，顺序固定：先用 USER 给出用户名，再用 PASS 给出密码（先 USER bob，再 PASS bob）。请先发送 USER。",
		rfc: "RFC 1939 section 7"},
	"diag.pop3.pass-used-up": {
		en: "PASS came without a USER just before it: the USER you sent earlier was used up by the PASS the server refused.",
		zh: "这条 PASS 前面没有紧跟着的 USER：之前发送的 USER 已被那次被拒绝的 PASS 用掉了。",
	},
	"diag.pop3.pass-used-up.hint": {
		en:  "PASS is only accepted right after a USER the server accepted; after a refused PASS, start the login again: USER with the name, then PASS with the password.",
		zh:  "只有紧跟在服务器接受的 USER 之后，PASS 才会被受理；PASS 被拒绝后，请重新开始登录：先 USER 用户名，再 PASS 密码。",
		rfc: "RFC 1939 section 7"},

	// POP3: a message number that is not in the session's list.
	"diag.pop3.nomsg": {
		en: "{verb} {n}: there is no message {n}; this session's list has {count} messages, numbered 1 to {count}.",
		zh: "{verb} {n}：没有第 {n} 封邮件；本会话的列表中有 {count} 封邮件，编号从 1 到 {count}。"},
	"diag.pop3.nomsg.one": {
		en: "{verb} {n}: there is no message {n}; this session's list has one message, number 1.",
		zh: "{verb} {n}：没有第 {n} 封邮件；本会话的列表中只有一封邮件，编号为 1。"},
	"diag.pop3.nomsg.empty": {
		en: "{verb} {n}: the maildrop is empty in this session: there is no message to use.",
		zh: "{verb} {n}：本会话中邮箱是空的：没有可用的邮件。"},
	"diag.pop3.nomsg.hint": {
		en:  "Messages are numbered from 1 in the order LIST shows them; LIST (or STAT) says how many there are. The list is fixed at login: mail that arrived since then gets a number only in the next session (QUIT, then log in again).",
		zh:  "邮件从 1 开始编号，顺序与 LIST 列出的相同；LIST（或 STAT）会告诉你共有几封。列表在登录时就固定了：此后新到的邮件要到下一次会话才有编号（先 QUIT，再重新登录）。",
		rfc: "RFC 1939 section 4"},
	"diag.pop3.deleted": {
		en: "{verb} {n}: message {n} is marked with DELE in this session, so it cannot be used any more.",
		zh: "{verb} {n}：第 {n} 封邮件在本会话中已用 DELE 标记为删除，所以不能再使用它。"},
	"diag.pop3.deleted.hint": {
		en:  "DELE only marks a message: its number is not given to another message and the other numbers do not move. LIST shows the messages still unmarked; RSET removes every mark of this session (nothing is deleted before QUIT).",
		zh:  "DELE 只是标记邮件：它的编号不会给别的邮件，其他邮件的编号也不会变。LIST 列出尚未标记的邮件；RSET 撤销本会话的所有删除标记（QUIT 之前什么都不会被删除）。",
		rfc: "RFC 1939 section 5"},

	// POP3: lines after QUIT.
	"diag.pop3.after-quit": {
		en: "{count} more lines came after QUIT (the first: {verb}): QUIT ended the session, so the server did not run them and closed the connection.",
		zh: "QUIT 之后又来了 {count} 行（第一行：{verb}）：QUIT 已经结束了会话，所以服务器没有执行它们，并关闭了连接。"},
	"diag.pop3.after-quit.singular": {
		en: "{count} more line came after QUIT ({verb}): QUIT ended the session, so the server did not run it and closed the connection.",
		zh: "QUIT 之后又来了 {count} 行（第一行：{verb}）：QUIT 已经结束了会话，所以服务器没有执行它们，并关闭了连接。"},
	"diag.pop3.after-quit.hint": {
		en:  "QUIT is the last command of a session: the server answers +OK (after login it first removes the messages marked with DELE) and closes the connection. telnet then prints \"Connection closed by foreign host.\" and what you type next goes to your shell, not to the server. To go on, connect again and log in.",
		zh:  "QUIT 是会话的最后一条命令：服务器回答 +OK（登录后会先删除用 DELE 标记的邮件），然后关闭连接。telnet 随即显示“Connection closed by foreign host.”，之后输入的内容会交给你的 shell，而不是服务器。要继续，请重新连接并登录。",
		rfc: "RFC 1939 section 6"},

	// IMAP: a command without a tag.
	"diag.imap.notag": {
		en: "This line has no tag: it begins with the command name {cmd}. The server did not run it and answered * BAD; the connection stays open.",
		zh: "这一行没有标签：它以命令名 {cmd} 开头。服务器没有执行它，回答了 * BAD；连接仍然保持。"},
	"diag.imap.notag.closed": {
		en: "{count} lines in a row without a tag: the server takes this for a client that does not speak IMAP and closes the connection (* BYE).",
		zh: "连续 {count} 行都没有标签：服务器认为这个客户端不会说 IMAP，于是关闭连接（* BYE）。"},
	"diag.imap.notag.hint": {
		en:  "IMAP commands start with a tag, like {example}. The tag is any word you choose (a1, a2, ...); the server puts it on the response that ends the command, so that you can tell which command it answers. Use a new tag for each command.",
		zh:  "IMAP 命令以标签开头，例如 {example}。标签是你自选的任意词（a1、a2……）；服务器把它放在结束这条命令的响应上，这样你就知道响应回答的是哪条命令。每条命令用一个新标签。",
		rfc: "RFC 9051 section 2.2.1"},
	"diag.imap.notag.login.hint": {
		en:  "IMAP commands start with a tag, like a1 LOGIN {user} <password>. The tag is any word you choose (a1, a2, ...); the server puts it on the response that ends the command, so that you can tell which command it answers. Use a new tag for each command.",
		zh:  "IMAP 命令以标签开头，例如 a1 LOGIN {user} <密码>。标签是你自选的任意词（a1、a2……）；服务器把它放在结束这条命令的响应上，这样你就知道响应回答的是哪条命令。每条命令用一个新标签。",
		rfc: "RFC 9051 section 2.2.1"},

	// IMAP: DONE with no IDLE under way.
	"diag.imap.done-no-idle": {
		en: "DONE, but no IDLE is under way: the server did not run the line and answered * BAD.",
		zh: "收到 DONE，但当前没有进行中的 IDLE：服务器没有执行这一行，回答了 * BAD。"},
	"diag.imap.done-no-idle.hint": {
		en:  "DONE only ends an IDLE: after a5 IDLE the server answers + and waits; DONE alone on a line then ends it, and the tagged OK (a5 OK) says it is over. When that OK has come, the next line is a command again, with a new tag.",
		zh:  "DONE 只用来结束 IDLE：发送 a5 IDLE 后，服务器回答 + 并等待；这时单独一行的 DONE 结束 IDLE，带标签的 OK（a5 OK）表示 IDLE 已结束。收到这个 OK 之后，下一行又是命令，要用新的标签。",
		rfc: "RFC 2177 section 3"},

	// IMAP: a folder name that differs from an existing one in case only.
	"diag.imap.folder-case": {
		en: "There is no folder \"{typed}\", but there is \"{existing}\": the two names differ only in upper and lower case.",
		zh: "没有名为“{typed}”的文件夹，但有“{existing}”：两个名字只是大小写不同。"},
	"diag.imap.folder-case.hint": {
		en:  "On this server folder names are case-sensitive: \"{typed}\" and \"{existing}\" are two different folders, so write the name exactly as CREATE made it and LIST shows it: \"{existing}\". Only INBOX is case-insensitive on every server (inbox, Inbox and INBOX are the same folder); for the other names RFC 9051 lets each server choose.",
		zh:  "在本服务器上，文件夹名区分大小写：“{typed}”和“{existing}”是两个不同的文件夹，所以请完全按照 CREATE 创建、LIST 显示的样子书写：“{existing}”。只有 INBOX 在所有服务器上都不区分大小写（inbox、Inbox 和 INBOX 是同一个文件夹）；其他名字是否区分大小写，RFC 9051 让各服务器自行决定。",
		rfc: "RFC 9051 section 5.1"},

	// IMAP: a tag before DONE.
	"diag.imap.done-tag": {
		en: "\"{tag} DONE\": during IDLE the server waits for the word DONE alone on the line, without a tag, so it ended the IDLE with BAD.",
		zh: "“{tag} DONE”：IDLE 期间，服务器等待的是单独一行的 DONE，不带标签，所以它以 BAD 结束了 IDLE。"},
	"diag.imap.done-tag.hint": {
		en:  "DONE is not a command but the end of IDLE, so it has no tag: type just DONE. The response that ends the IDLE carries the IDLE command's tag ({idletag}).",
		zh:  "DONE 不是一条命令，而是 IDLE 的结束，所以它没有标签：只输入 DONE 即可。结束 IDLE 的响应带的是 IDLE 命令的标签（{idletag}）。",
		rfc: "RFC 2177 section 3, RFC 9051 section 6.3.13"},

	// IMAP: another command typed during IDLE.
	"diag.imap.idle-command": {
		en: "\"{line}\" came during IDLE: the server waits for DONE alone on a line, so it ended the IDLE with BAD and did not run {verb}.",
		zh: "“{line}”是在 IDLE 期间输入的：服务器等待的是单独一行的 DONE，所以它以 BAD 结束了 IDLE，并没有执行 {verb}。"},
	"diag.imap.idle-command.hint": {
		en:  "While IDLE is under way, type DONE first (no tag); its OK carries the IDLE's tag ({idletag}). Then send {verb} again with a new tag.",
		zh:  "IDLE 进行期间，先输入 DONE（不带标签）；它的 OK 带的是 IDLE 的标签（{idletag}）。然后用新标签再发送一次 {verb}。",
		rfc: "RFC 2177 section 3"},
}
