package tracer

// smtpDiagCatalog holds what the SMTP server says about a likely mistake of
// the person at the keyboard (KindDiagnostic events, issue 14): each
// mistake has a key for what happened (the event's Msg) and the same key
// with ".hint" for what to do (the event's explanation). Arguments quoted
// from the wire ({line}, {verb}, {addr}) arrive escaped (Printable).
var smtpDiagCatalog = map[string]entry{
	// A message whose first body line came right after the header lines.
	"smtp.diag.no-blank-line": {
		en:  "your body became a header line: line {n} of the message, \"{line}\", came right after the header lines without the blank line that separates them",
		zh:  "你的消息体变成了头部行：邮件的第 {n} 行“{line}”紧跟在头部行后面，中间没有用来分隔它们的空行",
		rfc: "RFC 5322 section 2.1",
	},
	"smtp.diag.no-blank-line.hint": {
		en:  "A blank line separates the header lines from the body (RFC 5322 section 2.1): type the header lines (Subject: ...), then an empty line, then the body, then a line with only a dot. The message was stored as it is: a mail program reads \"{line}\" as a broken header line and shows no body.",
		zh:  "头部行和消息体之间要用一个空行隔开（RFC 5322 第 2.1 节）：先输入头部行（Subject: ...），再输入一个空行，然后是消息体，最后是只有一个点的一行。这封邮件已按原样保存：邮件程序会把“{line}”当成一个写错的头部行，看不到消息体。",
		rfc: "RFC 5322 section 2.1",
	},

	// Lines typed after a "." that ended the message too soon.
	"smtp.diag.message-ended": {
		en:  "\"{verb}\" was read as a command: the message {id} already ended at the line with only a dot, and the server answered 250",
		zh:  "“{verb}”被当成了命令：邮件 {id} 已经在只有一个点的那一行结束了，服务器也回答了 250",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.message-ended.hint": {
		en:  "If this line was meant for the message: a line holding only a dot ends the message at once, and every line after it is a command. The message {id} was stored without the rest; to send the whole text, start a new message (MAIL FROM, RCPT TO, DATA) and type the dot only at the end.",
		zh:  "如果这一行本来是邮件的内容：只有一个点的一行会立刻结束邮件，之后的每一行都是命令。邮件 {id} 已经保存，但不含后面的内容；要发送完整的内容，请重新开始一封邮件（MAIL FROM、RCPT TO、DATA），只在最后输入那个点。",
		rfc: "RFC 5321 section 4.1.1.4",
	},

	// Text typed while the server waits for a command: DATA was refused.
	"smtp.diag.no-data-mode.helo": {
		en:  "the server never entered DATA mode because the session has not said HELO or EHLO: \"{verb}\" and every line after it are read as commands, not as the message",
		zh:  "服务器根本没有进入 DATA 模式，因为会话还没有发送 HELO 或 EHLO：“{verb}”以及之后的每一行都被当成命令，而不是邮件内容",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.no-data-mode.mail": {
		en:  "the server never entered DATA mode because no MAIL FROM was accepted: \"{verb}\" and every line after it are read as commands, not as the message",
		zh:  "服务器根本没有进入 DATA 模式，因为还没有被接受的 MAIL FROM：“{verb}”以及之后的每一行都被当成命令，而不是邮件内容",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.no-data-mode.rcpt": {
		en:  "the server never entered DATA mode because no recipient was accepted (look at the replies to your RCPT TO): \"{verb}\" and every line after it are read as commands, not as the message",
		zh:  "服务器根本没有进入 DATA 模式，因为还没有被接受的收件人（看看你的 RCPT TO 得到了什么响应）：“{verb}”以及之后的每一行都被当成命令，而不是邮件内容",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.no-data-mode.arg": {
		en:  "the server never entered DATA mode because DATA was given an argument: \"{verb}\" and every line after it are read as commands, not as the message",
		zh:  "服务器根本没有进入 DATA 模式，因为 DATA 后面带了参数：“{verb}”以及之后的每一行都被当成命令，而不是邮件内容",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.no-data-mode.none": {
		en:  "the server never entered DATA mode because DATA was not typed: \"{verb}\" and every line after it are read as commands, not as the message",
		zh:  "服务器根本没有进入 DATA 模式，因为还没有输入 DATA：“{verb}”以及之后的每一行都被当成命令，而不是邮件内容",
		rfc: "RFC 5321 section 4.1.1.4",
	},
	"smtp.diag.no-data-mode.hint": {
		en:  "The message may be typed only after DATA got its 354 reply. Fix what the DATA reply complained about, type DATA again, wait for 354, then type the message. Empty lines typed now are answered but not counted as errors in a row.",
		zh:  "只有在 DATA 得到 354 响应之后才能输入邮件内容。先改正 DATA 的响应所指出的问题，再输入 DATA，等到 354，然后输入邮件。现在输入的空行会得到响应，但不算作连续错误。",
		rfc: "RFC 5321 section 3.3",
	},

	// Control characters a terminal sent inside a command line.
	"smtp.diag.backspace": {
		en:  "your terminal sent the Backspace key as a character: the server received \"{line}\" ({code} is the key, it erases nothing)",
		zh:  "你的终端把退格键当成字符发送了：服务器收到的是“{line}”（{code} 就是这个键，它不会删除任何字符）",
		rfc: "RFC 5321 section 2.4",
	},
	"smtp.diag.backspace.hint": {
		en:  "The server never edits a line: it gets every key you press. Type the line again without correcting it, or let the terminal edit it before sending: telnet in line mode (on Linux and macOS, if Backspace prints ^H, run stty erase ^H first; Windows telnet sends each key as it is typed), or rlwrap nc -C HOST PORT.",
		zh:  "服务器从不编辑收到的行：你按的每个键它都会收到。请不做修改地把这一行重新输入一遍，或者让终端在发送前编辑好这一行：使用 telnet 的行模式（在 Linux 和 macOS 上，如果退格键显示为 ^H，先运行 stty erase ^H；Windows 的 telnet 会逐键发送），或者使用 rlwrap nc -C HOST PORT。",
		rfc: "RFC 5321 section 2.4",
	},
	"smtp.diag.arrow-key": {
		en:  "your terminal sent an arrow key as characters (ESC [ A is Up, B Down, C Right, D Left): the server received \"{line}\"",
		zh:  "你的终端把方向键当成字符发送了（ESC [ A 是上，B 是下，C 是右，D 是左）：服务器收到的是“{line}”",
		rfc: "RFC 5321 section 2.4",
	},
	"smtp.diag.arrow-key.hint": {
		en:  "The server has no command history and no cursor: arrow keys reach it as escape sequences. Type the whole line again; for a history, connect with rlwrap nc -C HOST PORT.",
		zh:  "服务器没有命令历史，也没有光标：方向键会作为转义序列发给它。请把整行重新输入一遍；想要命令历史，可以用 rlwrap nc -C HOST PORT 连接。",
		rfc: "RFC 5321 section 2.4",
	},
	"smtp.diag.telnet-iac": {
		en:  "your telnet client sent telnet option negotiation (IAC, the octet 0xFF, then DO, DONT, WILL or WONT and an option): the server received \"{line}\"",
		zh:  "你的 telnet 客户端发送了 telnet 选项协商（IAC，即字节 0xFF，后面跟 DO、DONT、WILL 或 WONT 以及一个选项）：服务器收到的是“{line}”",
		rfc: "RFC 854",
	},
	"smtp.diag.telnet-iac.hint": {
		en:  "An SMTP server does not speak the telnet protocol, so these octets spoil the command. telnet negotiates when it connects to the telnet port 23 or when you switch its mode: connect with the SMTP port named (telnet HOST PORT) and leave the mode alone, or use nc -C HOST PORT; then type the command again.",
		zh:  "SMTP 服务器不使用 telnet 协议，这些字节会破坏命令。telnet 在连接 telnet 端口 23 或者你切换它的模式时会进行协商：连接时写明 SMTP 的端口（telnet HOST PORT），不要切换模式，或者使用 nc -C HOST PORT；然后重新输入命令。",
		rfc: "RFC 854",
	},
	"smtp.diag.control-char": {
		en:  "your terminal sent a control character inside the command ({code}): the server received \"{line}\"",
		zh:  "你的终端在命令中发送了一个控制字符（{code}）：服务器收到的是“{line}”",
		rfc: "RFC 5321 section 2.4",
	},
	"smtp.diag.control-char.hint": {
		en:  "A key pressed with Ctrl sends a control character; the server takes it as part of the command. Type the line again with letters, digits and punctuation only.",
		zh:  "按住 Ctrl 再按键会发送控制字符；服务器会把它当成命令的一部分。请只用字母、数字和标点把这一行重新输入一遍。",
		rfc: "RFC 5321 section 2.4",
	},

	// Address mistakes.
	"smtp.diag.no-domain": {
		en:  "the address <{addr}> after {verb} has no domain: an address is local-part@domain, here <{example}>",
		zh:  "{verb} 后面的地址 <{addr}> 没有域名：地址的格式是 本地部分@域名，这里应该是 <{example}>",
		rfc: "RFC 5321 section 4.1.2",
	},
	"smtp.diag.no-domain.hint": {
		en:  "The envelope names whole addresses, with the domain after the @, in angle brackets: {verb}<{example}>. A mail server cannot guess the domain: from it, it decides whether the mailbox is its own or another server's.",
		zh:  "信封里写的是完整的地址，@ 后面要有域名，并放在尖括号里：{verb}<{example}>。邮件服务器无法猜出域名：它要根据域名判断这个邮箱是自己的还是别的服务器的。",
		rfc: "RFC 5321 section 4.1.2",
	},
	"smtp.diag.no-domain.any": {
		en:  "the address <{addr}> after {verb} has no domain: an address is local-part@domain, like <{addr}@{own}> for a mailbox of this server",
		zh:  "{verb} 后面的地址 <{addr}> 没有域名：地址的格式是 本地部分@域名，例如这台服务器上的邮箱写作 <{addr}@{own}>",
		rfc: "RFC 5321 section 4.1.2",
	},
	"smtp.diag.no-domain.any.hint": {
		en:  "The envelope names whole addresses, with the domain after the @, in angle brackets: {verb}<name@domain>. A mail server cannot guess the domain: from it, it decides whether the mailbox is its own or another server's.",
		zh:  "信封里写的是完整的地址，@ 后面要有域名，并放在尖括号里：{verb}<名字@域名>。邮件服务器无法猜出域名：它要根据域名判断这个邮箱是自己的还是别的服务器的。",
		rfc: "RFC 5321 section 4.1.2",
	},
	"smtp.diag.wrong-server": {
		en:  "<{addr}> is not a mailbox of {host}: server {server} is the mail server of {own} only, and relays mail to {domain} only for its own users",
		zh:  "<{addr}> 不是 {host} 上的邮箱：服务器 {server} 只是 {own} 的邮件服务器，只为自己的用户把邮件中继到 {domain}",
		rfc: "RFC 5321 section 3.6.2",
	},
	"smtp.diag.wrong-server.hint": {
		en:  "Mail for {domain} is taken by {domain}'s own mail server. Either send it through the mail server of your own domain, which relays it (log in there with AUTH), or, on {host}, write only to users of {own}.",
		zh:  "发往 {domain} 的邮件由 {domain} 自己的邮件服务器接收。要么通过你自己所在域的邮件服务器发送，由它来中继（在那里用 AUTH 登录），要么在 {host} 上只给 {own} 的用户写信。",
		rfc: "RFC 5321 section 3.6.2",
	},
	// {server} is this server's name (B), {from_server} the server of the
	// sender's domain (A), {from_user} the sender's local part (alice).
	"smtp.diag.wrong-server.trusted": {
		en:  "{host} relays <{addr}> to {domain} only because you connect from its trusted network: the sender <{from}> is not one of its users. Server {server} is the mail server of {own}; {from_user}'s is server {from_server} ({from_domain})",
		zh:  "{host} 把 <{addr}> 中继到 {domain}，只是因为你来自它的可信网络：发件人 <{from}> 不是它的用户。服务器 {server} 是 {own} 的邮件服务器；{from_user} 的邮件服务器是服务器 {from_server}（{from_domain}）",
		rfc: "RFC 5321 section 3.6.2",
	},
	// The same, for a sender whose domain no server of this world serves.
	"smtp.diag.wrong-server.trusted.foreign": {
		en:  "{host} relays <{addr}> to {domain} only because you connect from its trusted network: the sender <{from}> is not one of its users. Server {server} is the mail server of {own}; {from_domain} has no mail server in this world",
		zh:  "{host} 把 <{addr}> 中继到 {domain}，只是因为你来自它的可信网络：发件人 <{from}> 不是它的用户。服务器 {server} 是 {own} 的邮件服务器；这个世界里没有 {from_domain} 的邮件服务器",
		rfc: "RFC 5321 section 3.6.2",
	},
	"smtp.diag.wrong-server.trusted.hint": {
		en:  "A sender hands mail to the mail server of its own domain, which relays it to the recipient's server. Here that is the server of {from_domain}; connect there to follow the textbook's path (user agent, sender's mail server, recipient's mail server).",
		zh:  "发件人把邮件交给自己所在域的邮件服务器，再由它中继到收件人的邮件服务器。这里应该连接 {from_domain} 的服务器，才是课本里的路径（用户代理、发件人的邮件服务器、收件人的邮件服务器）。",
		rfc: "RFC 5321 section 3.6.2",
	},
	"smtp.diag.unknown-user": {
		en:  "{host} has no mailbox \"{local}\": its users are {users}",
		zh:  "{host} 上没有名为“{local}”的邮箱：它的用户是 {users}",
		rfc: "RFC 5321 section 3.3",
	},
	"smtp.diag.unknown-user.hint": {
		en:  "Check the address, the name before the @ and the domain after it: the server refuses an unknown mailbox with 550 5.1.1 and the message goes nowhere. Try RCPT TO:<{example}>.",
		zh:  "检查地址：@ 前面的名字和 @ 后面的域名是否写对了。服务器用 550 5.1.1 拒绝不存在的邮箱，邮件不会被投递。试试 RCPT TO:<{example}>。",
		rfc: "RFC 5321 section 3.3",
	},
	"smtp.diag.unknown-user.elsewhere": {
		en:  "{host} has no mailbox \"{local}\": {local} is a user of another server, {example}; the users of {host} are {users}",
		zh:  "{host} 上没有名为“{local}”的邮箱：{local} 是另一台服务器的用户，地址是 {example}；{host} 的用户是 {users}",
		rfc: "RFC 5321 section 3.3",
	},
	"smtp.diag.unknown-user.near": {
		en:  "{host} has no mailbox \"{local}\": did you mean {near}? Its users are {users}",
		zh:  "{host} 上没有名为“{local}”的邮箱：你是不是想写 {near}？它的用户是 {users}",
		rfc: "RFC 5321 section 3.3",
	},
}
