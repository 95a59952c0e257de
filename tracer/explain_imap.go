package tracer

import "strings"

// imapCatalog explains IMAP commands and responses (RFC 9051, RFC 3501).
// Texts of tagged and status responses may hold {cmd}: the command the
// response completes.
var imapCatalog = map[string]entry{
	// Commands: any state.
	"imap.cmd.CAPABILITY": {en: "CAPABILITY: asks which IMAP version and extensions the server supports; the list can change after STARTTLS and after login.", zh: "CAPABILITY：询问服务器支持的 IMAP 版本和扩展；STARTTLS 之后和登录之后列表可能变化。", rfc: "RFC 9051 section 6.1.1"},
	"imap.cmd.NOOP":       {en: "NOOP: does nothing, but gives the server a chance to report news (new mail as * n EXISTS) and keeps the session alive.", zh: "NOOP：什么都不做，但给服务器机会报告新情况（新邮件以 * n EXISTS 通知），并保持会话。", rfc: "RFC 9051 section 6.1.2"},
	"imap.cmd.LOGOUT":     {en: "LOGOUT: ends the session; the server answers * BYE, then the tagged OK, and closes the connection.", zh: "LOGOUT：结束会话；服务器先回 * BYE，再回带标签的 OK，然后关闭连接。", rfc: "RFC 9051 section 6.1.3"},
	"imap.cmd.ID":         {en: "ID: the client tells the server its name and version (or NIL) and asks for the server's; this server lists ID in its CAPABILITY and answers * ID with its name, in any state, before login too. Thunderbird and Apple Mail send it.", zh: "ID：客户端告诉服务器自己的名称和版本（或 NIL），并询问服务器的；本服务器在 CAPABILITY 中列出了 ID，并在任何状态下（登录前也可以）用 * ID 回答自己的名称。Thunderbird 和 Apple Mail 会发送它。", rfc: "RFC 2971 section 3.1"},
	"imap.cmd.notag":      {en: "No tag: this line begins with the command name {word}. Every IMAP command begins with a tag the client chooses, then the command (a1 {word} ...); the server does not run a line without one.", zh: "缺少标签：这一行以命令名 {word} 开头。每条 IMAP 命令都以客户端自选的标签开头，然后才是命令（a1 {word} ...）；服务器不会执行没有标签的行。", rfc: "RFC 9051 section 2.2.1"},

	// Commands: not authenticated state.
	"imap.cmd.STARTTLS":       {en: "STARTTLS: upgrades this connection to TLS; after the tagged OK both sides start a TLS handshake and everything after is encrypted.", zh: "STARTTLS：把连接升级为 TLS；收到带标签的 OK 后双方开始 TLS 握手，之后的一切都被加密。", rfc: "RFC 9051 section 6.2.1"},
	"imap.cmd.AUTHENTICATE":   {en: "AUTHENTICATE: logs in with a SASL mechanism (here PLAIN); the credentials travel base64-encoded, which is not encryption.", zh: "AUTHENTICATE：使用 SASL 机制（这里是 PLAIN）登录；凭据只是 base64 编码，并未加密。", rfc: "RFC 9051 section 6.2.2"},
	"imap.cmd.LOGIN":          {en: "LOGIN user password: logs in with a plaintext password. IMAP is stateful: from now on the session belongs to this user.", zh: "LOGIN 用户名 密码：用明文密码登录。IMAP 是有状态的协议：从现在起会话属于该用户。", rfc: "RFC 9051 section 6.2.3"},
	"imap.cmd.UNAUTHENTICATE": {en: "UNAUTHENTICATE: returns to the not authenticated state without closing the connection.", zh: "UNAUTHENTICATE：回到未认证状态而不关闭连接。", rfc: "RFC 8437"},

	// Commands: authenticated state.
	"imap.cmd.ENABLE":      {en: "ENABLE: switches on extensions that change how the server answers (for example IMAP4rev2).", zh: "ENABLE：启用会改变服务器响应方式的扩展（例如 IMAP4rev2）。", rfc: "RFC 9051 section 6.3.1"},
	"imap.cmd.SELECT":      {en: "SELECT folder: opens a folder for reading and changing; the server reports how many messages it holds, UIDVALIDITY and UIDNEXT. The session enters the selected state.", zh: "SELECT 文件夹：打开一个文件夹以便读取和修改；服务器报告其中的邮件数、UIDVALIDITY 和 UIDNEXT。会话进入已选择状态。", rfc: "RFC 9051 section 6.3.2"},
	"imap.cmd.EXAMINE":     {en: "EXAMINE folder: like SELECT but read-only: nothing in the folder changes, not even the \\Seen flag when a message is read.", zh: "EXAMINE 文件夹：与 SELECT 相同但只读：文件夹中什么都不会改变，读邮件时连 \\Seen 标志也不会设置。", rfc: "RFC 9051 section 6.3.3"},
	"imap.cmd.CREATE":      {en: "CREATE folder: makes a new folder on the server; it stays there for every later session (cross-session state).", zh: "CREATE 文件夹：在服务器上新建文件夹；它会保留给以后的每个会话（跨会话状态）。", rfc: "RFC 9051 section 6.3.4"},
	"imap.cmd.DELETE":      {en: "DELETE folder: removes a folder and the messages in it; INBOX cannot be deleted.", zh: "DELETE 文件夹：删除文件夹及其中的邮件；INBOX 不能删除。", rfc: "RFC 9051 section 6.3.5"},
	"imap.cmd.RENAME":      {en: "RENAME old new: renames a folder (its subfolders move along); the messages keep their UIDs.", zh: "RENAME 旧名 新名：重命名文件夹（子文件夹随之移动）；邮件保持原来的 UID。", rfc: "RFC 9051 section 6.3.6"},
	"imap.cmd.SUBSCRIBE":   {en: "SUBSCRIBE folder: adds a folder to the list of folders the user wants to see (LSUB).", zh: "SUBSCRIBE 文件夹：把文件夹加入用户想看到的订阅列表（LSUB）。", rfc: "RFC 9051 section 6.3.7"},
	"imap.cmd.UNSUBSCRIBE": {en: "UNSUBSCRIBE folder: removes a folder from the subscription list; the folder itself stays.", zh: "UNSUBSCRIBE 文件夹：把文件夹从订阅列表中移除；文件夹本身仍在。", rfc: "RFC 9051 section 6.3.8"},
	"imap.cmd.LIST":        {en: "LIST reference pattern: lists folders; * matches everything, % stops at the hierarchy delimiter \"/\".", zh: "LIST 引用 模式：列出文件夹；* 匹配所有，% 在层级分隔符“/”处停止。", rfc: "RFC 9051 section 6.3.9"},
	"imap.cmd.LSUB":        {en: "LSUB reference pattern: lists subscribed folders only (IMAP4rev1; IMAP4rev2 uses LIST (SUBSCRIBED)).", zh: "LSUB 引用 模式：只列出已订阅的文件夹（IMAP4rev1；IMAP4rev2 改用 LIST (SUBSCRIBED)）。", rfc: "RFC 3501 section 6.3.9"},
	"imap.cmd.NAMESPACE":   {en: "NAMESPACE: asks where the user's own folders live and which hierarchy delimiter separates folder levels.", zh: "NAMESPACE：询问用户自己的文件夹位于哪里，以及用哪个层级分隔符分隔文件夹层次。", rfc: "RFC 9051 section 6.3.10"},
	"imap.cmd.STATUS":      {en: "STATUS folder (items): asks for counters of a folder (MESSAGES, UNSEEN, UIDNEXT, ...) without selecting it.", zh: "STATUS 文件夹 (项目)：不必选择文件夹就能查询它的计数（MESSAGES、UNSEEN、UIDNEXT 等）。", rfc: "RFC 9051 section 6.3.11"},
	"imap.cmd.APPEND":      {en: "APPEND folder (flags) {size}: uploads a whole message into a folder (a mail client saves sent mail and drafts this way); the message follows as a literal.", zh: "APPEND 文件夹 (标志) {大小}：把一封完整的邮件上传到文件夹（邮件客户端用它保存已发送邮件和草稿）；邮件以字面量形式随后发送。", rfc: "RFC 9051 section 6.3.12"},
	"imap.cmd.IDLE":        {en: "IDLE: the client waits and the server pushes news at once (* n EXISTS when mail arrives) until the client sends DONE.", zh: "IDLE：客户端等待，服务器立即推送新情况（有新邮件时发 * n EXISTS），直到客户端发送 DONE。", rfc: "RFC 9051 section 6.3.13"},
	"imap.cmd.DONE":        {en: "DONE: ends IDLE; the server answers the IDLE command with its tagged OK.", zh: "DONE：结束 IDLE；服务器以带标签的 OK 答复 IDLE 命令。", rfc: "RFC 9051 section 6.3.13"},
	"imap.cmd.DONE.tagged": {en: "DONE with a tag: during IDLE the server waits for the word DONE alone, without a tag, so this line does not end IDLE cleanly; the server answers the IDLE command with BAD.", zh: "带标签的 DONE：IDLE 期间服务器等待的是单独的 DONE，不带标签，所以这一行不能正常结束 IDLE；服务器会以 BAD 答复 IDLE 命令。", rfc: "RFC 2177 section 3"},

	// Commands: selected state.
	"imap.cmd.CHECK":       {en: "CHECK: asks the server to save the folder's state (obsolete: this server always saves at once).", zh: "CHECK：请求服务器保存文件夹状态（已过时：本服务器总是立即保存）。", rfc: "RFC 3501 section 6.4.1"},
	"imap.cmd.CLOSE":       {en: "CLOSE: removes the messages flagged \\Deleted (silently) and leaves the selected state.", zh: "CLOSE：静默删除带 \\Deleted 标志的邮件（不逐条返回 EXPUNGE），并离开已选择状态。", rfc: "RFC 9051 section 6.4.1"},
	"imap.cmd.UNSELECT":    {en: "UNSELECT: leaves the selected state without removing anything.", zh: "UNSELECT：离开已选择状态，不删除任何邮件。", rfc: "RFC 9051 section 6.4.2"},
	"imap.cmd.EXPUNGE":     {en: "EXPUNGE: permanently removes every message flagged \\Deleted; the server reports each one as * n EXPUNGE.", zh: "EXPUNGE：永久删除所有带 \\Deleted 标志的邮件；服务器对每封邮件报告 * n EXPUNGE。", rfc: "RFC 9051 section 6.4.3"},
	"imap.cmd.SEARCH":      {en: "SEARCH criteria: finds messages (UNSEEN, FROM x, SUBJECT x, SINCE date, ...) and answers with their sequence numbers.", zh: "SEARCH 条件：查找邮件（UNSEEN、FROM x、SUBJECT x、SINCE 日期等），以序号作答。", rfc: "RFC 9051 section 6.4.4"},
	"imap.cmd.FETCH":       {en: "FETCH set (items): reads message data: FLAGS, ENVELOPE, BODYSTRUCTURE, BODY[] (the whole message, which sets \\Seen), BODY.PEEK[] (without setting \\Seen), sections and partials.", zh: "FETCH 集合 (项目)：读取邮件数据：FLAGS、ENVELOPE、BODYSTRUCTURE、BODY[]（整封邮件，会设置 \\Seen）、BODY.PEEK[]（不设置 \\Seen），以及邮件的某个部分或某一段字节。", rfc: "RFC 9051 section 6.4.5"},
	"imap.cmd.STORE":       {en: "STORE set +FLAGS/-FLAGS/FLAGS (flags): changes message flags (\\Seen, \\Flagged, \\Deleted, keywords); they stay on the server for every later session.", zh: "STORE 集合 +FLAGS/-FLAGS/FLAGS (标志)：修改邮件标志（\\Seen、\\Flagged、\\Deleted、关键字）；标志保存在服务器上，以后每个会话都能看到。", rfc: "RFC 9051 section 6.4.6"},
	"imap.cmd.COPY":        {en: "COPY set folder: copies messages into another folder; with UIDPLUS the OK tells the new UIDs (COPYUID).", zh: "COPY 集合 文件夹：把邮件复制到另一个文件夹；有 UIDPLUS 时 OK 中给出新的 UID（COPYUID）。", rfc: "RFC 9051 section 6.4.7"},
	"imap.cmd.MOVE":        {en: "MOVE set folder: moves messages into another folder in one step (copy, then expunge from here).", zh: "MOVE 集合 文件夹：一步把邮件移到另一个文件夹（先复制，再从这里删除）。", rfc: "RFC 9051 section 6.4.8"},
	"imap.cmd.UID.FETCH":   {en: "UID FETCH: FETCH with UIDs instead of sequence numbers; UIDs never change, sequence numbers do.", zh: "UID FETCH：用 UID 代替序号的 FETCH；UID 永不改变，序号会变。", rfc: "RFC 9051 section 6.4.9"},
	"imap.cmd.UID.STORE":   {en: "UID STORE: STORE with UIDs instead of sequence numbers.", zh: "UID STORE：用 UID 代替序号的 STORE。", rfc: "RFC 9051 section 6.4.9"},
	"imap.cmd.UID.SEARCH":  {en: "UID SEARCH: SEARCH that answers with UIDs instead of sequence numbers.", zh: "UID SEARCH：以 UID 而非序号作答的 SEARCH。", rfc: "RFC 9051 section 6.4.9"},
	"imap.cmd.UID.COPY":    {en: "UID COPY: COPY with UIDs instead of sequence numbers.", zh: "UID COPY：用 UID 代替序号的 COPY。", rfc: "RFC 9051 section 6.4.9"},
	"imap.cmd.UID.MOVE":    {en: "UID MOVE: MOVE with UIDs instead of sequence numbers.", zh: "UID MOVE：用 UID 代替序号的 MOVE。", rfc: "RFC 9051 section 6.4.9"},
	"imap.cmd.UID.EXPUNGE": {en: "UID EXPUNGE set: removes only the \\Deleted messages among the given UIDs (UIDPLUS).", zh: "UID EXPUNGE 集合：只删除给定 UID 中带 \\Deleted 标志的邮件（UIDPLUS）。", rfc: "RFC 4315 section 2.1"},
	"imap.cmd.unknown":     {en: "Not an IMAP command this server knows; every command is a tag, a space and a command name (a1 LOGIN ...).", zh: "本服务器不认识的 IMAP 命令；每条命令都由标签、空格和命令名组成（a1 LOGIN ...）。", rfc: "RFC 9051 section 2.2.1"},

	// Parts of commands and responses.
	"imap.line.continued": {en: "The rest of the command after a literal (often just the CRLF that ends it).", zh: "字面量之后命令的剩余部分（通常只是结束命令的 CRLF）。", rfc: "RFC 9051 section 4.3"},
	"imap.line.sasl":      {en: "A SASL response in base64: the client's answer to the server's + challenge (* cancels).", zh: "SASL 响应（base64 编码）：客户端对服务器“+”质询的回答（发送 * 表示取消）。", rfc: "RFC 9051 section 6.2.2"},
	"imap.resp.continued": {en: "The rest of the server's response after a literal (often the closing parenthesis).", zh: "字面量之后服务器响应的剩余部分（通常是右括号）。", rfc: "RFC 9051 section 4.3"},

	// Continuation requests.
	"imap.cont":         {en: "Continuation request (+): the server is ready for the rest of the command.", zh: "继续请求（+）：服务器准备好接收命令的其余部分。", rfc: "RFC 9051 section 7.6"},
	"imap.cont.literal": {en: "Continuation request (+): go ahead and send the literal's octets (a synchronizing literal waits for this).", zh: "继续请求（+）：可以发送字面量的字节了（同步字面量要等待这一行）。", rfc: "RFC 9051 section 4.3"},
	"imap.cont.idle":    {en: "Continuation request (+): IDLE has started; news is pushed from now on until the client sends DONE.", zh: "继续请求（+）：IDLE 已开始；从现在起新情况会被推送，直到客户端发送 DONE。", rfc: "RFC 9051 section 6.3.13"},
	"imap.cont.sasl":    {en: "Continuation request (+): a SASL challenge in base64 (empty for PLAIN); the client answers on the next line.", zh: "继续请求（+）：base64 编码的 SASL 质询（PLAIN 为空）；客户端在下一行作答。", rfc: "RFC 9051 section 6.2.2"},

	// Greeting and untagged status responses.
	"imap.greeting.OK":      {en: "The server's greeting: the session starts in the not authenticated state; the client must log in first.", zh: "服务器的问候：会话从未认证状态开始；客户端必须先登录。", rfc: "RFC 9051 section 7.1.1"},
	"imap.greeting.PREAUTH": {en: "The server's greeting: the connection is already authenticated (no login needed).", zh: "服务器的问候：连接已经通过认证（无需登录）。", rfc: "RFC 9051 section 7.1.4"},
	"imap.greeting.BYE":     {en: "The server refuses the connection and closes it.", zh: "服务器拒绝连接并将其关闭。", rfc: "RFC 9051 section 7.1.5"},
	"imap.untagged.OK":      {en: "Untagged OK (*): information from the server, usually carried by the response code in brackets.", zh: "不带标签的 OK（*）：服务器提供的信息，通常放在方括号中的响应代码里。", rfc: "RFC 9051 section 7.1.1"},
	"imap.untagged.NO":      {en: "Untagged NO (*): a warning from the server; the command goes on.", zh: "不带标签的 NO（*）：服务器发出的警告；命令仍继续执行。", rfc: "RFC 9051 section 7.1.2"},
	"imap.untagged.BAD":     {en: "Untagged BAD (*): the server could not tell which command caused a protocol error.", zh: "不带标签的 BAD（*）：服务器无法判断是哪条命令导致了协议错误。", rfc: "RFC 9051 section 7.1.3"},
	"imap.untagged.BYE":     {en: "BYE: the server is about to close the connection (after LOGOUT, on shutdown, after a long silence, after too many lines without a tag before login, or after refusing a non-synchronizing literal whose octets were already on the way: they must not be read as commands).", zh: "BYE：服务器即将关闭连接（LOGOUT 之后、关机时、长时间无活动之后、登录前收到太多不带标签的行之后，或拒绝了一个字节已在途中的非同步字面量之后：这些字节不能被当作命令读取）。", rfc: "RFC 9051 section 7.1.5, RFC 7888"},
	"imap.untagged.PREAUTH": {en: "PREAUTH: the connection is already authenticated.", zh: "PREAUTH：连接已经通过认证。", rfc: "RFC 9051 section 7.1.4"},

	// Tagged responses: they complete the command with the same tag.
	"imap.tagged.OK":              {en: "Tagged OK: the command with this tag ({cmd}) completed successfully.", zh: "带标签的 OK：带此标签的命令（{cmd}）已成功完成。", rfc: "RFC 9051 section 7.1.1"},
	"imap.tagged.NO":              {en: "Tagged NO: the command with this tag ({cmd}) was understood but could not be done; the text says why.", zh: "带标签的 NO：服务器理解了带此标签的命令（{cmd}），但无法执行；文字说明了原因。", rfc: "RFC 9051 section 7.1.2"},
	"imap.tagged.BAD":             {en: "Tagged BAD: the command with this tag ({cmd}) is malformed or not allowed in the current state (IMAP is stateful: some commands need a login or a selected folder first).", zh: "带标签的 BAD：带此标签的命令（{cmd}）格式错误或在当前状态下不允许（IMAP 是有状态的：有些命令需要先登录或先选择文件夹）。", rfc: "RFC 9051 section 7.1.3"},
	"imap.tagged.BAD.unknown":     {en: "Tagged BAD: the server does not know the command {cmd}; nothing was done. Before login, this server answers an unknown command with BAD and then closes the connection (* BYE), so that a client of another protocol sent to this port (a web browser, say) cannot go on talking to it.", zh: "带标签的 BAD：服务器不认识命令 {cmd}；什么也没有执行。登录前，本服务器对不认识的命令回答 BAD 之后还会关闭连接（* BYE），这样被引到此端口的其他协议的客户端（例如网页浏览器）就无法继续与它交谈。", rfc: "RFC 9051 section 7.1.3"},
	"imap.tagged.BAD.notag":       {en: "BAD: the command had no tag. The server took its first word, {tag}, as the tag and the second, {cmd}, as the command name, which it does not know. Write a tag first: a1 LOGIN alice alice. Before login this server then closes the connection (* BYE).", zh: "BAD：命令缺少标签。服务器把第一个词 {tag} 当作标签，把第二个词 {cmd} 当作命令名，而它不认识这个命令。请先写标签：a1 LOGIN alice alice。登录前，本服务器随后会关闭连接（* BYE）。", rfc: "RFC 9051 section 2.2.1"},
	"imap.tagged.BAD.ID":          {en: "Tagged BAD: the ID command was malformed: it takes NIL or a parenthesized list of field and value strings, like ID (\"name\" \"telnet\").", zh: "带标签的 BAD：ID 命令格式错误：它的参数是 NIL，或由字段和值字符串组成的括号列表，例如 ID (\"name\" \"telnet\")。", rfc: "RFC 2971 section 4"},
	"imap.tagged.OK.LOGIN":        {en: "Tagged OK: logged in; the session is now in the authenticated state and folder commands are allowed.", zh: "带标签的 OK：登录成功；会话进入已认证状态，可以使用文件夹相关命令。", rfc: "RFC 9051 section 6.2.3"},
	"imap.tagged.OK.AUTHENTICATE": {en: "Tagged OK: authenticated; the session is now in the authenticated state.", zh: "带标签的 OK：认证成功；会话进入已认证状态。", rfc: "RFC 9051 section 6.2.2"},
	"imap.tagged.NO.LOGIN":        {en: "Tagged NO: login refused (wrong user name or password); the session stays not authenticated.", zh: "带标签的 NO：登录被拒绝（用户名或密码错误）；会话仍处于未认证状态。", rfc: "RFC 9051 section 6.2.3"},
	"imap.tagged.NO.AUTHENTICATE": {en: "Tagged NO: authentication failed; the session stays not authenticated.", zh: "带标签的 NO：认证失败；会话仍处于未认证状态。", rfc: "RFC 9051 section 6.2.2"},
	"imap.tagged.OK.STARTTLS":     {en: "Tagged OK: begin the TLS handshake now; everything after this line is encrypted.", zh: "带标签的 OK：现在开始 TLS 握手；此行之后的一切都被加密。", rfc: "RFC 9051 section 6.2.1"},
	"imap.tagged.OK.SELECT":       {en: "Tagged OK: the folder is selected read-write; the session is in the selected state and message commands work on it.", zh: "带标签的 OK：文件夹已以读写方式选择；会话处于已选择状态，邮件命令作用于该文件夹。", rfc: "RFC 9051 section 6.3.2"},
	"imap.tagged.OK.EXAMINE":      {en: "Tagged OK: the folder is selected read-only; reading messages changes nothing.", zh: "带标签的 OK：文件夹已以只读方式选择；读邮件不会改变任何东西。", rfc: "RFC 9051 section 6.3.3"},
	"imap.tagged.NO.SELECT":       {en: "Tagged NO: the folder cannot be selected (it does not exist?); no folder is selected now.", zh: "带标签的 NO：无法选择该文件夹（不存在？）；现在没有已选择的文件夹。", rfc: "RFC 9051 section 6.3.2"},
	"imap.tagged.NO.EXAMINE":      {en: "Tagged NO: the folder cannot be examined (it does not exist?); no folder is selected now.", zh: "带标签的 NO：无法以只读方式打开该文件夹（不存在？）；现在没有已选择的文件夹。", rfc: "RFC 9051 section 6.3.3"},
	"imap.tagged.OK.LOGOUT":       {en: "Tagged OK: logged out; the server closes the connection.", zh: "带标签的 OK：已注销；服务器关闭连接。", rfc: "RFC 9051 section 6.1.3"},
	"imap.tagged.OK.CLOSE":        {en: "Tagged OK: deleted messages removed and the folder closed; back in the authenticated state.", zh: "带标签的 OK：带 \\Deleted 标志的邮件已被删除，文件夹已关闭；回到已认证状态。", rfc: "RFC 9051 section 6.4.1"},
	"imap.tagged.OK.UNSELECT":     {en: "Tagged OK: the folder is closed; back in the authenticated state.", zh: "带标签的 OK：文件夹已关闭；回到已认证状态。", rfc: "RFC 9051 section 6.4.2"},
	"imap.tagged.OK.IDLE":         {en: "Tagged OK: IDLE is over.", zh: "带标签的 OK：IDLE 结束。", rfc: "RFC 9051 section 6.3.13"},
	"imap.tagged.OK.APPEND":       {en: "Tagged OK: the message is stored in the folder; APPENDUID gives its UIDVALIDITY and UID.", zh: "带标签的 OK：邮件已存入文件夹；APPENDUID 给出它的 UIDVALIDITY 和 UID。", rfc: "RFC 9051 section 6.3.12"},
	"imap.tagged.OK.COPY":         {en: "Tagged OK: the messages are copied; COPYUID maps old UIDs to new ones.", zh: "带标签的 OK：邮件已复制；COPYUID 给出旧 UID 与新 UID 的对应。", rfc: "RFC 9051 section 6.4.7"},
	"imap.tagged.OK.UID.COPY":     {en: "Tagged OK: the messages are copied; COPYUID maps old UIDs to new ones.", zh: "带标签的 OK：邮件已复制；COPYUID 给出旧 UID 与新 UID 的对应。", rfc: "RFC 9051 section 6.4.7"},
	"imap.tagged.OK.MOVE":         {en: "Tagged OK: the messages are moved; the EXPUNGE lines before it removed them from this folder.", zh: "带标签的 OK：邮件已移动；之前的 EXPUNGE 行已把它们从本文件夹中移除。", rfc: "RFC 9051 section 6.4.8"},
	"imap.tagged.OK.UID.MOVE":     {en: "Tagged OK: the messages are moved; the EXPUNGE lines before it removed them from this folder.", zh: "带标签的 OK：邮件已移动；之前的 EXPUNGE 行已把它们从本文件夹中移除。", rfc: "RFC 9051 section 6.4.8"},
	"imap.tagged.OK.EXPUNGE":      {en: "Tagged OK: the \\Deleted messages are gone for good, in every session (cross-session state).", zh: "带标签的 OK：带 \\Deleted 标志的邮件已永久删除，所有会话都看不到了（跨会话状态）。", rfc: "RFC 9051 section 6.4.3"},
	"imap.tagged.OK.STORE":        {en: "Tagged OK: the flags are changed on the server and persist for every later session (cross-session state).", zh: "带标签的 OK：标志已在服务器上修改，并为以后的每个会话保留（跨会话状态）。", rfc: "RFC 9051 section 6.4.6"},
	"imap.tagged.OK.UID.STORE":    {en: "Tagged OK: the flags are changed on the server and persist for every later session (cross-session state).", zh: "带标签的 OK：标志已在服务器上修改，并为以后的每个会话保留（跨会话状态）。", rfc: "RFC 9051 section 6.4.6"},
	"imap.tagged.NO.STORE":        {en: "Tagged NO: the flags cannot be changed (is the folder open read-only with EXAMINE?).", zh: "带标签的 NO：无法修改标志（文件夹是否用 EXAMINE 以只读方式打开？）。", rfc: "RFC 9051 section 6.4.6"},
	"imap.tagged.OK.CREATE":       {en: "Tagged OK: the folder exists on the server now, for every later session.", zh: "带标签的 OK：文件夹现已存在于服务器上，以后每个会话都能看到。", rfc: "RFC 9051 section 6.3.4"},
	"imap.tagged.OK.DELETE":       {en: "Tagged OK: the folder and its messages are deleted.", zh: "带标签的 OK：文件夹及其邮件已删除。", rfc: "RFC 9051 section 6.3.5"},
	"imap.tagged.OK.RENAME":       {en: "Tagged OK: the folder has its new name.", zh: "带标签的 OK：文件夹已改用新名称。", rfc: "RFC 9051 section 6.3.6"},
	"imap.reply.unparsed":         {en: "Not a well-formed IMAP response: expected \"* \", \"+\" or a tag followed by OK, NO or BAD.", zh: "不是格式正确的 IMAP 响应：应以“* ”、“+”或“标签 OK/NO/BAD”开头。", rfc: "RFC 9051 section 2.2.2"},

	// Untagged data responses.
	"imap.data.CAPABILITY": {en: "The capability list: the IMAP version and every extension the server supports right now.", zh: "能力列表：服务器当前支持的 IMAP 版本和所有扩展。", rfc: "RFC 9051 section 7.2.2"},
	"imap.data.ENABLED":    {en: "The extensions ENABLE switched on.", zh: "ENABLE 已启用的扩展。", rfc: "RFC 9051 section 7.2.1"},
	"imap.data.FLAGS":      {en: "The flags defined in this folder (system flags like \\Seen and the keywords in use).", zh: "本文件夹中定义的标志（\\Seen 等系统标志和正在使用的关键字）。", rfc: "RFC 9051 section 7.3.5"},
	"imap.data.LIST":       {en: "One folder: its attributes (\\HasChildren, \\HasNoChildren, special use like \\Sent), the hierarchy delimiter and its name.", zh: "一个文件夹：其属性（\\HasChildren、\\HasNoChildren、\\Sent 等特殊用途）、层级分隔符和名称。", rfc: "RFC 9051 section 7.3.1"},
	"imap.data.LSUB":       {en: "One subscribed folder: its attributes, the hierarchy delimiter and its name.", zh: "一个已订阅的文件夹：其属性、层级分隔符和名称。", rfc: "RFC 3501 section 7.2.3"},
	"imap.data.STATUS":     {en: "A folder's counters, as STATUS asked.", zh: "STATUS 所请求的文件夹计数。", rfc: "RFC 9051 section 7.3.3"},
	"imap.data.SEARCH":     {en: "The result of SEARCH: the numbers of the matching messages (UIDs for UID SEARCH).", zh: "SEARCH 的结果：匹配邮件的编号（UID SEARCH 时为 UID）。", rfc: "RFC 3501 section 7.2.5"},
	"imap.data.ESEARCH":    {en: "The result of an extended SEARCH: ALL, MIN, MAX or COUNT of the matching messages.", zh: "扩展 SEARCH 的结果：匹配邮件的 ALL、MIN、MAX 或 COUNT。", rfc: "RFC 9051 section 7.3.4"},
	"imap.data.NAMESPACE":  {en: "The namespaces: personal, other users', shared; each with its prefix and hierarchy delimiter.", zh: "命名空间：个人的、其他用户的、共享的；每个都有前缀和层级分隔符。", rfc: "RFC 9051 section 7.3.2"},
	"imap.data.EXISTS":     {en: "n EXISTS: the folder now holds n messages; when n grows, new mail has arrived.", zh: "n EXISTS：文件夹现有 n 封邮件；n 增加说明有新邮件到达。", rfc: "RFC 9051 section 7.4.1"},
	"imap.data.RECENT":     {en: "n RECENT: how many messages arrived since the folder was last selected (IMAP4rev1 only; this server reports 0).", zh: "n RECENT：自上次选择文件夹以来到达的邮件数（仅 IMAP4rev1；本服务器报告 0）。", rfc: "RFC 3501 section 7.3.2"},
	"imap.data.EXPUNGE":    {en: "n EXPUNGE: message number n is gone; every message after it moves down by one (sequence numbers change, UIDs do not).", zh: "n EXPUNGE：第 n 封邮件已删除；其后的每封邮件序号减一（序号会变，UID 不变）。", rfc: "RFC 9051 section 7.5.1"},
	"imap.data.FETCH":      {en: "n FETCH (...): data about message number n: what FETCH asked, or a flag change the server reports (maybe made by another session).", zh: "n FETCH (...)：关于第 n 封邮件的数据：FETCH 请求的内容，或服务器报告的标志变化（可能来自另一个会话）。", rfc: "RFC 9051 section 7.5.2"},
	"imap.data.unknown":    {en: "An untagged response this explainer does not know.", zh: "本解释器不认识的不带标签的响应。", rfc: "RFC 9051 section 7"},

	// Response codes, in brackets after OK, NO, BAD, BYE.
	"imap.code.ALERT":                {en: "A message the client must show to the user.", zh: "客户端必须显示给用户的消息。", rfc: "RFC 9051 section 7.1"},
	"imap.code.ALREADYEXISTS":        {en: "A folder with that name already exists.", zh: "同名文件夹已存在。", rfc: "RFC 9051 section 7.1"},
	"imap.code.APPENDUID":            {en: "Where the appended message landed (uidvalidity uid).", zh: "追加的邮件存放在哪里（uidvalidity uid）。", rfc: "RFC 4315 section 3"},
	"imap.code.AUTHENTICATIONFAILED": {en: "Wrong user name or password.", zh: "用户名或密码错误。", rfc: "RFC 9051 section 7.1"},
	"imap.code.AUTHORIZATIONFAILED":  {en: "The credentials are right but may not act as the requested identity.", zh: "凭据正确，但无权以所请求的身份操作。", rfc: "RFC 9051 section 7.1"},
	"imap.code.BADCHARSET":           {en: "SEARCH was given a character set the server does not support.", zh: "SEARCH 使用了服务器不支持的字符集。", rfc: "RFC 9051 section 7.1"},
	"imap.code.CANNOT":               {en: "The operation violates a rule of the server (a name it cannot accept, for example).", zh: "操作违反了服务器的规则（例如不能接受的名称）。", rfc: "RFC 9051 section 7.1"},
	"imap.code.CAPABILITY":           {en: "The capability list, sent along so the client need not ask.", zh: "随附的能力列表，客户端不必再询问。", rfc: "RFC 9051 section 7.1"},
	"imap.code.CLIENTBUG":            {en: "The server thinks the client did something wrong (bad syntax, wrong state).", zh: "服务器认为客户端做错了（语法错误、状态不对）。", rfc: "RFC 9051 section 7.1"},
	"imap.code.CLOSED":               {en: "The previously selected folder is closed; the responses that follow are about the new one.", zh: "之前选择的文件夹已关闭；随后的响应与新文件夹有关。", rfc: "RFC 9051 section 7.1"},
	"imap.code.CONTACTADMIN":         {en: "Ask the administrator.", zh: "请联系管理员。", rfc: "RFC 9051 section 7.1"},
	"imap.code.COPYUID":              {en: "The UIDs the copies got in the destination folder (uidvalidity old-uids new-uids).", zh: "副本在目标文件夹中得到的 UID（uidvalidity 旧UID 新UID）。", rfc: "RFC 4315 section 3"},
	"imap.code.CORRUPTION":           {en: "The server found damaged data.", zh: "服务器发现数据损坏。", rfc: "RFC 9051 section 7.1"},
	"imap.code.EXPIRED":              {en: "The credentials have expired.", zh: "凭据已过期。", rfc: "RFC 9051 section 7.1"},
	"imap.code.EXPUNGEISSUED":        {en: "Another session expunged messages meanwhile.", zh: "另一个会话同时删除了邮件。", rfc: "RFC 9051 section 7.1"},
	"imap.code.HASCHILDREN":          {en: "The folder has subfolders; delete them first.", zh: "该文件夹有子文件夹；请先删除它们。", rfc: "RFC 9051 section 7.1"},
	"imap.code.INUSE":                {en: "Someone else is using the resource; try later.", zh: "资源正被他人使用；请稍后重试。", rfc: "RFC 9051 section 7.1"},
	"imap.code.LIMIT":                {en: "A server limit was reached.", zh: "达到了服务器的限制。", rfc: "RFC 9051 section 7.1"},
	"imap.code.NONEXISTENT":          {en: "There is no folder with that name.", zh: "没有该名称的文件夹。", rfc: "RFC 9051 section 7.1"},
	"imap.code.NOPERM":               {en: "Access is not permitted.", zh: "没有访问权限。", rfc: "RFC 9051 section 7.1"},
	"imap.code.OVERQUOTA":            {en: "The mailbox is over its quota.", zh: "邮箱超出配额。", rfc: "RFC 9051 section 7.1"},
	"imap.code.PARSE":                {en: "A message could not be parsed.", zh: "无法解析邮件。", rfc: "RFC 9051 section 7.1"},
	"imap.code.PERMANENTFLAGS":       {en: "The flags the client can change for good (\\* means new keywords may be created); empty in a read-only folder.", zh: "客户端可永久修改的标志（\\* 表示可以创建新关键字）；只读文件夹中为空。", rfc: "RFC 9051 section 7.1"},
	"imap.code.PRIVACYREQUIRED":      {en: "This needs an encrypted connection (STARTTLS first).", zh: "需要加密连接（先执行 STARTTLS）。", rfc: "RFC 9051 section 7.1"},
	"imap.code.READ-ONLY":            {en: "The folder is open read-only: nothing in it can change.", zh: "文件夹以只读方式打开：其中什么都不能改变。", rfc: "RFC 9051 section 7.1"},
	"imap.code.READ-WRITE":           {en: "The folder is open for changes (flags, expunge).", zh: "文件夹可被修改（标志、删除）。", rfc: "RFC 9051 section 7.1"},
	"imap.code.SERVERBUG":            {en: "Something went wrong inside the server.", zh: "服务器内部出错。", rfc: "RFC 9051 section 7.1"},
	"imap.code.TOOBIG":               {en: "The data is larger than the server accepts.", zh: "数据超出服务器接受的大小。", rfc: "RFC 4469"},
	"imap.code.TRYCREATE":            {en: "The target folder does not exist; CREATE it and try again.", zh: "目标文件夹不存在；先 CREATE 再重试。", rfc: "RFC 9051 section 7.1"},
	"imap.code.UIDNEXT":              {en: "The predicted UID of the next message added to this folder: it changes only when messages arrive, so a client that sees it grown since last time knows new mail came.", zh: "预告下一封加入本文件夹的邮件的 UID：只有新邮件到达时它才会变化，所以客户端看到它比上次大，就知道有新邮件。", rfc: "RFC 9051 section 2.3.1.1"},
	"imap.code.UIDVALIDITY":          {en: "Whether remembered UIDs are still valid: while this number stays the same, every UID the client remembers from earlier sessions still names the same message; when it changes, the client must forget them.", zh: "记下的 UID 是否仍然有效：只要这个数不变，客户端在以前会话中记下的每个 UID 仍指向同一封邮件；它一变，客户端就必须丢掉记下的 UID。", rfc: "RFC 9051 section 2.3.1.1"},
	"imap.code.UIDNOTSTICKY":         {en: "This folder cannot keep UIDs across sessions.", zh: "该文件夹不能跨会话保持 UID。", rfc: "RFC 4315 section 3"},
	"imap.code.UNAVAILABLE":          {en: "A temporary failure; try again later.", zh: "暂时性失败；稍后重试。", rfc: "RFC 9051 section 7.1"},
	"imap.code.UNSEEN":               {en: "The first message not yet read has this sequence number (IMAP4rev1).", zh: "第一封未读邮件的序号（IMAP4rev1）。", rfc: "RFC 3501 section 7.1"},
	"imap.code.USEATTR":              {en: "That special-use attribute cannot be given to this folder.", zh: "不能给该文件夹设置这种特殊用途属性。", rfc: "RFC 6154 section 6"},

	// State changes, explained by the server as they happen.
	"imap.state.greeting":      {en: "Connected: the client must log in (LOGIN or AUTHENTICATE) before it can touch any folder.", zh: "已连接：客户端必须先登录（LOGIN 或 AUTHENTICATE）才能访问任何文件夹。", rfc: "RFC 9051 section 3.1"},
	"imap.state.authenticated": {en: "Logged in as {user}: folder commands (LIST, CREATE, SELECT, ...) are allowed now.", zh: "已作为 {user} 登录：现在可以使用文件夹命令（LIST、CREATE、SELECT 等）。", rfc: "RFC 9051 section 3.2"},
	"imap.state.selected":      {en: "A folder is selected: message commands (FETCH, STORE, SEARCH, COPY, EXPUNGE) work on {mailbox} {mode}", zh: "已选择文件夹：邮件命令（FETCH、STORE、SEARCH、COPY、EXPUNGE）作用于 {mailbox} {mode}", rfc: "RFC 9051 section 3.3"},
	"imap.state.unselected":    {en: "The folder is closed: back in the authenticated state.", zh: "文件夹已关闭：回到已认证状态。", rfc: "RFC 9051 section 3.2"},
	"imap.state.logout":        {en: "The session is over (LOGOUT, or the connection ended); flags and folders stay on the server for the next session.", zh: "会话结束（LOGOUT 或连接断开）；标志和文件夹保留在服务器上，供下一个会话使用。", rfc: "RFC 9051 section 3.4"},
}

// IMAPCommand explains an IMAP command verb (upper case; "UID FETCH" for
// UID commands).
func (x *Explainer) IMAPCommand(verb string) *Explanation {
	return x.first("imap.cmd."+strings.ReplaceAll(verb, " ", "."), "imap.cmd.unknown")
}

// IMAPStatus explains a status response: kind is "tagged", "untagged" or
// "greeting"; status is OK, NO, BAD, BYE or PREAUTH; cmd is the command a
// tagged response completes ("" when unknown); code is the response code's
// name, which goes into Enh and EnhText.
func (x *Explainer) IMAPStatus(kind, status, cmd, code string) *Explanation {
	switch status {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
	default:
		return x.Key("imap.reply.unparsed")
	}
	known := cmd == "" || x.Key(x.cmdKey(cmd)) != nil
	codeText := ""
	if code != "" {
		codeText = x.Text("imap.code." + code)
		if codeText == "imap.code."+code {
			codeText = ""
			known = false
		}
	}
	cacheKey := "imap.status|" + kind + "|" + status + "|" + cmd + "|" + code
	if known {
		if v, ok := x.cache.Load(cacheKey); ok {
			return v.(*Explanation)
		}
	}
	base := x.first("imap."+kind+"."+status+"."+strings.ReplaceAll(cmd, " ", "."), "imap."+kind+"."+status)
	if kind == "tagged" && status == "BAD" && cmd != "" && x.Key(x.cmdKey(cmd)) == nil {
		// A command the server does not know at all, not a known one
		// malformed or sent in the wrong state.
		base = x.Key("imap.tagged.BAD.unknown")
	}
	if base == nil && kind == "greeting" {
		base = x.Key("imap.untagged." + status)
	}
	e := &Explanation{Key: "imap." + kind + "." + status, Class: status, Enh: code, EnhText: codeText}
	if base != nil {
		name := cmd
		if name == "" {
			name = "?"
		}
		e.Key, e.RFC = base.Key, base.RFC
		e.Text = strings.ReplaceAll(base.Text, "{cmd}", name)
	}
	if !known {
		return e
	}
	v, _ := x.cache.LoadOrStore(cacheKey, e)
	return v.(*Explanation)
}

// imapNoTag explains the BAD answering a line that began with a command name
// instead of a tag ("LOGIN alice alice"): the server read the name as the tag
// and the next word as the command. st is the status explanation, whose
// class and response code are kept.
func (x *Explainer) imapNoTag(st *Explanation, tag, cmd string) *Explanation {
	e := x.Explain("imap.tagged.BAD.notag", "tag", tag, "cmd", cmd)
	if e == nil {
		return st
	}
	c := *e
	c.Class, c.Enh, c.EnhText = st.Class, st.Enh, st.EnhText
	return &c
}

// cmdKey is the catalog key of a command verb.
func (x *Explainer) cmdKey(verb string) string {
	return "imap.cmd." + strings.ReplaceAll(verb, " ", ".")
}
