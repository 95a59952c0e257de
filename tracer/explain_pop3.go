package tracer

import "strings"

// pop3Catalog explains POP3 commands, responses, capabilities, response
// codes and states (RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034).
// Texts with {n}, {size} or {uid} are filled in per line.
var pop3Catalog = map[string]entry{
	// Commands.
	"pop3.cmd.USER":    {en: "USER: names the mailbox (maildrop) to log in to; PASS with the password must follow.", zh: "USER：给出要登录的邮箱（maildrop）的用户名；接着必须用 PASS 发送密码。", rfc: "RFC 1939 section 7"},
	"pop3.cmd.PASS":    {en: "PASS: the password for the user just named. It crosses the wire in clear text unless STLS came first; the trace shows asterisks.", zh: "PASS：刚才所给用户的密码。除非先用了 STLS，否则它以明文在网络上传输；跟踪中显示为星号。", rfc: "RFC 1939 section 7"},
	"pop3.cmd.APOP":    {en: "APOP: logs in without sending the password: the client sends the MD5 digest of the greeting's <timestamp> followed by the shared secret.", zh: "APOP：不发送密码也能登录：客户端把问候中的 <时间戳> 和共享密钥连在一起，只发送它们的 MD5 摘要。", rfc: "RFC 1939 section 7"},
	"pop3.cmd.AUTH":    {en: "AUTH: logs in with a SASL mechanism; PLAIN sends base64 of authzid NUL user NUL password, encoded, not encrypted.", zh: "AUTH：使用 SASL 机制登录；PLAIN 发送“authzid NUL 用户名 NUL 密码”的 base64 编码：只是编码，并未加密。", rfc: "RFC 5034 section 4"},
	"pop3.cmd.STLS":    {en: "STLS: upgrades this connection to TLS; after +OK both sides start a TLS handshake.", zh: "STLS：把连接升级为 TLS；收到 +OK 后双方开始 TLS 握手。", rfc: "RFC 2595 section 4"},
	"pop3.cmd.CAPA":    {en: "CAPA: asks which extensions the server supports; the answer is a list ending with a line holding only a dot.", zh: "CAPA：询问服务器支持哪些扩展；响应是一个列表，以只含一个点的行结束。", rfc: "RFC 2449 section 5"},
	"pop3.cmd.STAT":    {en: "STAT: asks how many messages the maildrop holds and their total size in octets (messages marked with DELE are not counted).", zh: "STAT：询问邮箱中有多少封邮件及总字节数（已用 DELE 标记的邮件不计）。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.LIST":    {en: "LIST: lists every message's number and size in octets; LIST n gives one message.", zh: "LIST：列出每封邮件的编号和字节数；LIST n 只给出一封。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.UIDL":    {en: "UIDL: lists every message's unique id, which never changes; a client that keeps mail on the server (download-and-keep) uses it to know which messages it already has.", zh: "UIDL：列出每封邮件的唯一标识，它永不改变；把邮件留在服务器上的客户端（下载并保持）用它判断哪些邮件已经下载过。", rfc: "RFC 1939 section 7"},
	"pop3.cmd.RETR":    {en: "RETR n: downloads message n, whole. Downloading does not delete it: only a DELE before QUIT does (download-and-delete); without DELE it stays (download-and-keep).", zh: "RETR n：下载第 n 封邮件的全部内容。下载本身不会删除它：只有在 QUIT 前用 DELE 才会删除（下载并删除）；不用 DELE 则保留（下载并保持）。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.TOP":     {en: "TOP n k: sends the headers of message n, the blank line and the first k lines of its body (TOP n 0: the headers only).", zh: "TOP n k：发送第 n 封邮件的头部、空行及消息体的前 k 行（TOP n 0：只要头部）。", rfc: "RFC 1939 section 7"},
	"pop3.cmd.DELE":    {en: "DELE n: marks message n for deletion. Only a mark: the message is removed when the client QUITs (UPDATE state); RSET or a dropped connection keeps it.", zh: "DELE n：把第 n 封邮件标记为删除。只是标记：客户端 QUIT 时（更新状态）才真正删除；RSET 或连接中断则保留它。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.NOOP":    {en: "NOOP: does nothing; the server just answers +OK (keeps the session alive).", zh: "NOOP：什么都不做；服务器只回答 +OK（可用来保持会话）。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.RSET":    {en: "RSET: removes every deletion mark set with DELE in this session.", zh: "RSET：撤销本次会话中用 DELE 设置的所有删除标记。", rfc: "RFC 1939 section 5"},
	"pop3.cmd.QUIT":    {en: "QUIT: ends the session. After login the server enters UPDATE state and removes the messages marked with DELE; before login it just says goodbye.", zh: "QUIT：结束会话。登录后，服务器进入更新状态并删除用 DELE 标记的邮件；登录前则只是道别。", rfc: "RFC 1939 section 6"},
	"pop3.cmd.LAST":    {en: "LAST: a command of POP3's first versions (RFC 1081, RFC 1460) that asked for the highest message number the client had already read. RFC 1725 removed it and added UIDL: a client remembers the unique ids of the messages it has, which still works when another client read or deleted some. This server does not offer LAST.", zh: "LAST：POP3 早期版本（RFC 1081、RFC 1460）中的命令，询问客户端已读过的最大邮件编号。RFC 1725 删除了它，并新增了 UIDL：客户端记住已有邮件的唯一标识，即使别的客户端读过或删除了其中一些邮件，这种办法依然可靠。本服务器不提供 LAST。", rfc: "RFC 1725 (changes from RFC 1460)"},
	"pop3.cmd.unknown": {en: "Not a POP3 command this server knows.", zh: "本服务器不认识的 POP3 命令。", rfc: "RFC 1939 section 3"},

	// Responses.
	"pop3.greeting":      {en: "The server's greeting: the session starts in AUTHORIZATION state; the client must log in.", zh: "服务器的问候：会话从授权状态开始；客户端必须登录。", rfc: "RFC 1939 section 4"},
	"pop3.greeting.apop": {en: "The server's greeting: the session starts in AUTHORIZATION state. The <timestamp@host> is the APOP challenge: APOP sends MD5(timestamp + password), never the password.", zh: "服务器的问候：会话从授权状态开始。<时间戳@主机> 是 APOP 质询：APOP 发送 MD5(时间戳 + 密码)，而从不发送密码本身。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK":      {en: "+OK: the command succeeded.", zh: "+OK：命令执行成功。", rfc: "RFC 1939 section 3"},
	"pop3.reply.ERR":     {en: "-ERR: the command failed; the text says why. Nothing changed.", zh: "-ERR：命令执行失败；后面的文字说明原因。服务器上什么都没有改变。", rfc: "RFC 1939 section 3"},

	"pop3.reply.OK.USER":          {en: "+OK to USER: the name is noted; now the password must follow with PASS.", zh: "对 USER 的 +OK：用户名已记下；接下来必须用 PASS 发送密码。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK.PASS":          {en: "+OK to PASS: logged in. The maildrop is locked for this session, which is now in TRANSACTION state.", zh: "对 PASS 的 +OK：登录成功。邮箱已为本会话加锁，会话现在处于事务状态。", rfc: "RFC 1939 section 4"},
	"pop3.reply.ERR.PASS":         {en: "-ERR [AUTH] to PASS: login refused, wrong user name or password (the server does not say which). Still in AUTHORIZATION state: send USER and PASS again.", zh: "对 PASS 的 -ERR [AUTH]：登录被拒绝，用户名或密码错误（服务器不说明是哪一个）。仍处于授权状态：请重新发送 USER 和 PASS。", rfc: "RFC 1939 section 7"},
	"pop3.reply.ERR.PASS.nouser":  {en: "-ERR to PASS: no user name to go with this password: PASS must directly follow a USER the server accepted (a PASS used it up, right or wrong). Nothing was checked; send USER first.", zh: "对 PASS 的 -ERR：没有与这个密码对应的用户名：PASS 必须紧跟在服务器接受的 USER 之后（不论对错，一次 PASS 就会用掉它）。什么都没有检查；请先发送 USER。", rfc: "RFC 1939 section 7"},
	"pop3.reply.ERR.loggedin":     {en: "-ERR: this command belongs to AUTHORIZATION state, before login; this session is already logged in (TRANSACTION state), so nothing changed. To log in as someone else, QUIT and connect again.", zh: "-ERR：这条命令属于登录前的授权状态；本会话已经登录（处于事务状态），所以什么都没有改变。要以别的用户登录，请 QUIT 后重新连接。", rfc: "RFC 1939 section 4"},
	"pop3.reply.ERR.needlogin":    {en: "-ERR: this command belongs to TRANSACTION state: it needs a login first (USER and PASS, APOP or AUTH). The session is still in AUTHORIZATION state.", zh: "-ERR：这条命令属于事务状态：需要先登录（USER 和 PASS、APOP 或 AUTH）。会话仍处于授权状态。", rfc: "RFC 1939 section 4"},
	"pop3.reply.ERR.login.syntax": {en: "-ERR to a login command, without [AUTH]: the password was not checked; the command was malformed, named a mechanism the server does not offer, or the exchange was cancelled (the text says which). Still in AUTHORIZATION state.", zh: "对登录命令的 -ERR，不带 [AUTH]：密码没有被检查；命令格式有误、使用了服务器不提供的机制，或者交互被取消（文字说明是哪一种）。仍处于授权状态。", rfc: "RFC 1939 section 7"},
	"pop3.reply.ERR.IN-USE":       {en: "-ERR [IN-USE]: the credentials were accepted, but another POP3 session holds this maildrop's lock; only one session may open it at a time. Still in AUTHORIZATION state: QUIT the other session, then log in again.", zh: "-ERR [IN-USE]：凭据已被接受，但另一个 POP3 会话持有该邮箱的锁；同一时间只允许一个会话打开它。仍处于授权状态：先让另一个会话 QUIT，再重新登录。", rfc: "RFC 1939 section 4"},
	"pop3.reply.ERR.SYS":          {en: "-ERR [SYS]: a problem in the server, not in the command; [SYS/TEMP] says trying again later may work, [SYS/PERM] that it will not soon.", zh: "-ERR [SYS]：问题出在服务器，而不在命令；[SYS/TEMP] 表示稍后重试可能成功，[SYS/PERM] 表示短时间内重试无济于事。", rfc: "RFC 3206 section 3"},
	"pop3.reply.ERR.LAST":         {en: "-ERR to LAST: this server does not offer LAST, which RFC 1725 removed from POP3; UIDL tells a client which messages it already has.", zh: "对 LAST 的 -ERR：本服务器不提供 LAST，RFC 1725 已把它从 POP3 中删除；客户端可以用 UIDL 判断哪些邮件已经有了。", rfc: "RFC 1725 (changes from RFC 1460)"},
	"pop3.reply.ERR.unknown":      {en: "-ERR: the server does not know this command; nothing changed (CAPA lists the extensions it offers).", zh: "-ERR：服务器不认识这条命令；什么都没有改变（CAPA 会列出它提供的扩展）。", rfc: "RFC 1939 section 3"},
	"pop3.reply.OK.APOP":          {en: "+OK to APOP: the digest matched; logged in without the password crossing the wire. TRANSACTION state.", zh: "对 APOP 的 +OK：摘要匹配；密码没有在网络上传输就登录成功了。进入事务状态。", rfc: "RFC 1939 section 7"},
	"pop3.reply.ERR.APOP":         {en: "-ERR [AUTH] to APOP: login refused, unknown user or wrong digest. Still in AUTHORIZATION state.", zh: "对 APOP 的 -ERR [AUTH]：登录被拒绝，用户未知或摘要错误。仍处于授权状态。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK.AUTH":          {en: "+OK to AUTH: the SASL exchange succeeded; logged in, TRANSACTION state.", zh: "对 AUTH 的 +OK：SASL 交互成功；已登录，进入事务状态。", rfc: "RFC 5034 section 4"},
	"pop3.reply.ERR.AUTH":         {en: "-ERR [AUTH] to AUTH: authentication failed: wrong user name or password, or that user may not act as the identity asked for. Still in AUTHORIZATION state.", zh: "对 AUTH 的 -ERR [AUTH]：认证失败：用户名或密码错误，或该用户不能以所请求的身份行事。仍处于授权状态。", rfc: "RFC 5034 section 4"},
	"pop3.reply.OK.STLS":          {en: "+OK to STLS: the TLS handshake starts now; afterwards the client should ask CAPA again.", zh: "对 STLS 的 +OK：现在开始 TLS 握手；握手之后客户端应重新发送 CAPA。", rfc: "RFC 2595 section 4"},
	"pop3.reply.OK.CAPA":          {en: "+OK to CAPA: the capability list follows, one per line, ending with a line holding only a dot.", zh: "对 CAPA 的 +OK：随后是能力列表，每行一个，以只含一个点的行结束。", rfc: "RFC 2449 section 5"},
	"pop3.reply.OK.STAT":          {en: "+OK to STAT: the maildrop holds {n} messages, {size} octets in all (messages marked with DELE are not counted).", zh: "对 STAT 的 +OK：邮箱中有 {n} 封邮件，共 {size} 字节（已用 DELE 标记的邮件不计）。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.STAT.singular": {en: "+OK to STAT: the maildrop holds {n} message, {size} octets in all (messages marked with DELE are not counted).", zh: "对 STAT 的 +OK：邮箱中有 {n} 封邮件，共 {size} 字节（已用 DELE 标记的邮件不计）。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.LIST":          {en: "+OK to LIST: the scan listing follows, one line per message (number and size in octets), ending with a dot line.", zh: "对 LIST 的 +OK：随后是扫描列表，每封邮件一行（编号和字节数），以只含一个点的行结束。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.LIST.one":      {en: "+OK to LIST n: message {n} is {size} octets.", zh: "对 LIST n 的 +OK：第 {n} 封邮件大小为 {size} 字节。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.UIDL":          {en: "+OK to UIDL: the unique-id listing follows, one line per message, ending with a dot line.", zh: "对 UIDL 的 +OK：随后是唯一标识列表，每封邮件一行，以只含一个点的行结束。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK.UIDL.one":      {en: "+OK to UIDL n: message {n} has the unique id {uid}; it never changes, across sessions.", zh: "对 UIDL n 的 +OK：第 {n} 封邮件的唯一标识是 {uid}；它永不改变，跨会话也不变。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK.RETR":          {en: "+OK to RETR: the message follows, dot-stuffed, ending with a line holding only a dot. It stays on the server unless DELE marks it.", zh: "对 RETR 的 +OK：随后是邮件内容，经过点填充，以只含一个点的行结束。除非用 DELE 标记，否则它留在服务器上。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.TOP":           {en: "+OK to TOP: the headers, the blank line and the requested body lines follow, ending with a dot line.", zh: "对 TOP 的 +OK：随后是头部、空行和所请求的消息体各行，以只含一个点的行结束。", rfc: "RFC 1939 section 7"},
	"pop3.reply.OK.DELE":          {en: "+OK to DELE: the message is only marked; it is removed when the client QUITs (download-and-delete). RSET unmarks it; a dropped connection keeps it.", zh: "对 DELE 的 +OK：邮件只是被标记；客户端 QUIT 时才删除（下载并删除）。RSET 可撤销标记；连接中断则保留它。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.NOOP":          {en: "+OK to NOOP: nothing done, the server is still there.", zh: "对 NOOP 的 +OK：什么都没做，服务器仍在线。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.RSET":          {en: "+OK to RSET: every deletion mark of this session is gone; nothing will be deleted at QUIT unless marked again.", zh: "对 RSET 的 +OK：本会话的删除标记全部撤销；除非重新标记，QUIT 时不会删除任何邮件。", rfc: "RFC 1939 section 5"},
	"pop3.reply.OK.QUIT":          {en: "+OK to QUIT: goodbye. After login this ends the UPDATE state: messages marked with DELE are gone (download-and-delete), unmarked ones stay on the server (download-and-keep).", zh: "对 QUIT 的 +OK：再见。登录后，这意味着更新状态结束：用 DELE 标记的邮件已删除（下载并删除），未标记的留在服务器上（下载并保持）。", rfc: "RFC 1939 section 6"},
	"pop3.reply.ERR.QUIT":         {en: "-ERR to QUIT: the UPDATE failed: some messages marked for deletion were not removed.", zh: "对 QUIT 的 -ERR：更新失败：部分标记为删除的邮件没能删除。", rfc: "RFC 1939 section 6"},
	"pop3.reply.cont":             {en: "+ : a SASL continuation: the server waits for the client's base64 response (for PLAIN: authzid NUL user NUL password).", zh: "“+ ”是 SASL 继续请求：服务器等待客户端的 base64 响应（PLAIN 机制为“authzid NUL 用户名 NUL 密码”）。", rfc: "RFC 5034 section 4"},
	"pop3.reply.unparsed":         {en: "Not a POP3 status line: a response starts with +OK or -ERR.", zh: "不是 POP3 状态行：响应应以 +OK 或 -ERR 开头。", rfc: "RFC 1939 section 3"},
	"pop3.end":                    {en: "End of the multi-line response: a line holding only a dot (CRLF.CRLF).", zh: "多行响应结束：只含一个点的行（CRLF.CRLF）。", rfc: "RFC 1939 section 3"},
	"pop3.list.line":              {en: "message {n} is {size} octets.", zh: "第 {n} 封邮件大小为 {size} 字节。", rfc: "RFC 1939 section 5"},
	"pop3.uidl.line":              {en: "message {n} has the unique id {uid}; it never changes, across sessions.", zh: "第 {n} 封邮件的唯一标识是 {uid}；它永不改变，跨会话也不变。", rfc: "RFC 1939 section 7"},
	"pop3.sasl":                   {en: "A SASL response in base64: the client's answer to the server's + continuation.", zh: "SASL 响应（base64 编码）：客户端对服务器“+ ”继续请求的回答。", rfc: "RFC 5034 section 4"},

	// Response codes in brackets after -ERR.
	"pop3.code.IN-USE":      {en: "the maildrop is locked by another POP3 session; only one may open it at a time.", zh: "邮箱已被另一个 POP3 会话锁定；同一时间只允许一个会话打开它。", rfc: "RFC 2449 section 8.1.2"},
	"pop3.code.LOGIN-DELAY": {en: "the user logged in too recently; wait before trying again.", zh: "该用户登录过于频繁；请稍后再试。", rfc: "RFC 2449 section 8.1.1"},
	"pop3.code.AUTH":        {en: "the credentials were wrong; trying again with the same ones will not help.", zh: "凭据错误；用同样的凭据重试也没有用。", rfc: "RFC 3206 section 4"},
	"pop3.code.SYS/TEMP":    {en: "a passing problem in the server, not the client's fault; try again later.", zh: "服务器的暂时性问题，不是客户端的错；稍后重试。", rfc: "RFC 3206 section 3"},
	"pop3.code.SYS/PERM":    {en: "a lasting problem in the server; trying again will not help soon.", zh: "服务器的长期问题；短时间内重试无济于事。", rfc: "RFC 3206 section 3"},
	"pop3.code.SYS":         {en: "a problem in the server, not with the client's request.", zh: "服务器的问题，而不是客户端请求的问题。", rfc: "RFC 3206 section 3"},
	"pop3.code.unknown":     {en: "a response code this explainer does not know.", zh: "本解释器不认识的响应代码。", rfc: "RFC 2449 section 8"},

	// Capabilities, one per CAPA line.
	"pop3.capa.USER":           {en: "USER: the server accepts USER and PASS logins.", zh: "USER：服务器接受 USER 和 PASS 登录。", rfc: "RFC 2449 section 6.2"},
	"pop3.capa.TOP":            {en: "TOP: the server can send the headers and the first lines of a message.", zh: "TOP：服务器可以只发送邮件的头部和消息体的前几行。", rfc: "RFC 2449 section 6.1"},
	"pop3.capa.UIDL":           {en: "UIDL: every message has a unique id that never changes (needed for download-and-keep).", zh: "UIDL：每封邮件都有永不改变的唯一标识（下载并保持模式需要它）。", rfc: "RFC 2449 section 6.8"},
	"pop3.capa.PIPELINING":     {en: "PIPELINING: the client may send several commands without waiting for each response.", zh: "PIPELINING：客户端可以连续发送多条命令，不必逐条等待响应。", rfc: "RFC 2449 section 6.6"},
	"pop3.capa.RESP-CODES":     {en: "RESP-CODES: -ERR responses may carry a code in brackets, like [IN-USE].", zh: "RESP-CODES：-ERR 响应可以在方括号中带上响应代码，如 [IN-USE]。", rfc: "RFC 2449 section 6.4"},
	"pop3.capa.AUTH-RESP-CODE": {en: "AUTH-RESP-CODE: a failed login says [AUTH] when the credentials were wrong, [SYS/TEMP] when the server had a problem.", zh: "AUTH-RESP-CODE：登录失败时，凭据错误给出 [AUTH]，服务器出问题给出 [SYS/TEMP]。", rfc: "RFC 3206 section 5"},
	"pop3.capa.SASL":           {en: "SASL: the mechanisms AUTH accepts (PLAIN: user and password, base64-encoded).", zh: "SASL：AUTH 接受的机制（PLAIN：用户名和密码，base64 编码）。", rfc: "RFC 2449 section 6.3"},
	"pop3.capa.STLS":           {en: "STLS: the connection can be upgraded to TLS encryption before login.", zh: "STLS：登录前可把连接升级为 TLS 加密。", rfc: "RFC 2595 section 4"},
	"pop3.capa.IMPLEMENTATION": {en: "IMPLEMENTATION: the name of the server software.", zh: "IMPLEMENTATION：服务器软件的名称。", rfc: "RFC 2449 section 6.9"},
	"pop3.capa.EXPIRE":         {en: "EXPIRE: how many days the server keeps messages (NEVER: until deleted).", zh: "EXPIRE：服务器保留邮件的天数（NEVER：直到被删除）。", rfc: "RFC 2449 section 6.7"},
	"pop3.capa.LOGIN-DELAY":    {en: "LOGIN-DELAY: the least number of seconds between two logins.", zh: "LOGIN-DELAY：两次登录之间的最少秒数。", rfc: "RFC 2449 section 6.5"},
	"pop3.capa.UTF8":           {en: "UTF8: the server accepts UTF-8 user names and messages.", zh: "UTF8：服务器接受 UTF-8 用户名和邮件。", rfc: "RFC 6856"},
	"pop3.capa.unknown":        {en: "a capability keyword.", zh: "一个能力关键字。", rfc: "RFC 2449 section 5"},

	// States and what happens between them.
	"pop3.state.AUTHORIZATION": {en: "AUTHORIZATION state: the client must identify itself (USER/PASS, APOP or AUTH) before it may see the maildrop.", zh: "授权状态：客户端必须先证明身份（USER/PASS、APOP 或 AUTH），才能访问邮箱。", rfc: "RFC 1939 section 4"},
	"pop3.state.TRANSACTION":   {en: "TRANSACTION state: logged in, the maildrop is locked for this session. The client may list, read (RETR, TOP) and mark (DELE). DELE only marks: QUIT applies the marks (UPDATE); a dropped connection applies nothing.", zh: "事务状态：已登录，邮箱为本会话加锁。客户端可以列出、读取（RETR、TOP）和标记（DELE）邮件。DELE 只是标记：QUIT 时才执行（更新状态）；连接中断则什么都不执行。", rfc: "RFC 1939 section 5"},
	"pop3.state.UPDATE.delete": {en: "UPDATE state: the client said QUIT, so the server now removes the messages marked with DELE (download-and-delete) and releases the lock. Only QUIT leads here: a dropped connection deletes nothing.", zh: "更新状态：客户端发送了 QUIT，服务器现在删除用 DELE 标记的邮件（下载并删除）并释放锁。只有 QUIT 才会进入此状态：连接中断不会删除任何邮件。", rfc: "RFC 1939 section 6"},
	"pop3.state.UPDATE.keep":   {en: "UPDATE state: the client said QUIT without marking anything with DELE, so every message stays on the server (download-and-keep); the lock is released.", zh: "更新状态：客户端发送了 QUIT 但没有用 DELE 标记任何邮件，所以全部邮件留在服务器上（下载并保持）；锁被释放。", rfc: "RFC 1939 section 6"},
	"pop3.mode.delete":         {en: "Download-and-delete: the client fetched mail and deleted it from the server; from now on the mail lives only on the client.", zh: "下载并删除：客户端取走邮件并从服务器删除；此后邮件只存在于客户端。", rfc: "RFC 1939 section 6"},
	"pop3.mode.keep":           {en: "Download-and-keep: nothing was deleted; the mail stays on the server, and other clients (or a later session, recognizing messages by UIDL) still see it.", zh: "下载并保持：没有删除任何邮件；邮件留在服务器上，其他客户端（或以后的会话，通过 UIDL 识别邮件）仍能看到它。", rfc: "RFC 1939 section 6"},
	"pop3.note.dropped":        {en: "The session ended without QUIT, so it never entered UPDATE state: messages marked with DELE were not deleted, and the lock is released.", zh: "会话未经 QUIT 就结束了，因此从未进入更新状态：用 DELE 标记的邮件没有被删除，锁已释放。", rfc: "RFC 1939 section 6"},
}

// pop3Verbs are the commands the catalog explains; other verbs share the
// generic explanations (and do not grow the explainer's cache).
var pop3Verbs = map[string]bool{
	"USER": true, "PASS": true, "APOP": true, "AUTH": true, "STLS": true, "CAPA": true,
	"STAT": true, "LIST": true, "UIDL": true, "RETR": true, "TOP": true, "DELE": true,
	"NOOP": true, "RSET": true, "QUIT": true, "LAST": true,
}

// POP3Command explains a POP3 command keyword (upper case).
func (x *Explainer) POP3Command(verb string) *Explanation {
	if !pop3Verbs[verb] {
		return x.Key("pop3.cmd.unknown")
	}
	return x.Key("pop3.cmd." + verb)
}

// POP3Reply explains a +OK (ok) or -ERR status line answering cmd (a
// command keyword, or "" when it answers none), with its response code
// ("IN-USE", "SYS/TEMP", or "") in Enh and EnhText.
func (x *Explainer) POP3Reply(ok bool, cmd, code string) *Explanation {
	status, class := "ERR", "-ERR"
	if ok {
		status, class = "OK", "+OK"
	}
	if !pop3Verbs[cmd] {
		cmd = ""
	}
	known := code == "" || x.Key("pop3.code."+code) != nil
	cacheKey := "pop3.reply|" + status + "|" + cmd + "|" + code
	if known {
		if v, ok := x.cache.Load(cacheKey); ok {
			return v.(*Explanation)
		}
	}
	base := x.Key("pop3.reply." + status)
	if cmd != "" {
		if b := x.Key("pop3.reply." + status + "." + cmd); b != nil {
			base = b
		}
	}
	return x.withPOP3Code(base, class, code, cacheKey, known)
}

// POP3Error explains a -ERR line with the catalog entry key (chosen by the
// framer from the response code and the session's state) and its response
// code in Enh and EnhText.
func (x *Explainer) POP3Error(key, code string) *Explanation {
	known := code == "" || x.Key("pop3.code."+code) != nil
	cacheKey := "pop3.err|" + key + "|" + code
	if known {
		if v, ok := x.cache.Load(cacheKey); ok {
			return v.(*Explanation)
		}
	}
	base := x.first(key, "pop3.reply.ERR")
	return x.withPOP3Code(base, "-ERR", code, cacheKey, known)
}

// withPOP3Code is base as a status line's explanation of class, with its
// response code's meaning; cached under cacheKey when the code is known (an
// unknown code from a client could fill the cache without bound).
func (x *Explainer) withPOP3Code(base *Explanation, class, code, cacheKey string, known bool) *Explanation {
	e := &Explanation{Key: base.Key, Text: base.Text, RFC: base.RFC, Class: class}
	if code != "" {
		e.Enh = code
		e.EnhText = x.POP3Code(code)
	}
	if !known {
		return e
	}
	v, _ := x.cache.LoadOrStore(cacheKey, e)
	return v.(*Explanation)
}

// POP3Code explains a response code (RFC 2449 section 8, RFC 3206): an exact
// entry, else its first part ("SYS" of "SYS/FOO"), else a generic text.
func (x *Explainer) POP3Code(code string) string {
	head, _, _ := strings.Cut(code, "/")
	if e := x.first("pop3.code."+code, "pop3.code."+head, "pop3.code.unknown"); e != nil {
		return e.Text + " (" + e.RFC + ")"
	}
	return ""
}

// POP3Capability explains one CAPA line's keyword (upper case).
func (x *Explainer) POP3Capability(name string) *Explanation {
	return x.first("pop3.capa."+name, "pop3.capa.unknown")
}

// pop3Fill returns the explanation of key with its {placeholders} replaced
// by kv pairs ("{n}", "1", ...). The result is a fresh value: per-line
// explanations are not cached.
func (x *Explainer) pop3Fill(key, class string, kv ...string) *Explanation {
	base := x.Key(key)
	if base == nil {
		return nil
	}
	e := *base
	e.Text = strings.NewReplacer(kv...).Replace(e.Text)
	e.Class = class
	return &e
}
