package tracer

// classCatalog holds the texts of classroom mode's accounts (issue 17):
// mailscope up --class, the class sheet (class.txt and GET /api/class),
// and the per-student limits the servers enforce (world.ClassPolicy).
//
// Roster names become login names that are safe to type in USER, LOGIN
// and AUTH and to use as an address's local part (RFC 5321 section
// 4.1.2): lower-case ASCII letters and digits only, accents dropped
// ("José Núñez" is josenunez), at most 16 characters, a letter first
// ("007" is s007), a name with no Latin letters (all Chinese, say) gets
// s and its place on the roster (s07), and a duplicate gets a number
// (ann, ann2). The banner lists every name that was changed.
//
// A later run with a smaller --class (or a roster without some names)
// keeps the other accounts in the store, with their mail and password,
// but they cannot log in until a run asks for them again.
var classCatalog = map[string]entry{
	"class.limit.sessions": {
		en:  "{user} already has {n} sessions logged in, the class limit (sessions_per_user in the world file's class section): the login is refused so that one student cannot hold the server's places; log out of another session first",
		zh:  "{user} 已有 {n} 个已登录的会话，达到班级上限（世界文件 class 部分的 sessions_per_user）：本次登录被拒绝，免得一个学生占满服务器的名额；请先退出另一个会话",
		rfc: "RFC 4954 section 6, RFC 2449 section 8.1.2, RFC 9051 section 7.1",
	},
	"class.limit.rate": {
		en:  "{user} has sent {n} messages in the last minute, the class limit (messages_per_minute): the mail server answers 450 4.7.1, a temporary refusal, and accepts mail from {user} again in {secs}s",
		zh:  "{user} 在最近一分钟内已发送 {n} 封邮件，达到班级上限（messages_per_minute）：邮件服务器回复 450 4.7.1（暂时拒绝），{secs} 秒后再接受 {user} 的邮件",
		rfc: "RFC 5321 section 4.2.2, RFC 3463 section 3.8",
	},
	"class.limit.mailbox": {
		en:  "{user}'s mailboxes hold {size} octets, the class limit is {max} (mailbox_size): the mail server answers 452 4.2.2, mailbox full, as a real server over quota does (an IMAP APPEND gets NO [OVERQUOTA]); {user} must delete some mail first",
		zh:  "{user} 的邮箱已有 {size} 字节，班级上限是 {max}（mailbox_size）：邮件服务器像真实服务器超出配额时一样回复 452 4.2.2（邮箱已满；IMAP 的 APPEND 得到 NO [OVERQUOTA]）；{user} 需要先删除一些邮件",
		rfc: "RFC 5321 section 4.2.2, RFC 3463 section 3.3, RFC 9208",
	},

	"cli.flag.class":       {en: "classroom mode: N accounts s01 ... sNN, or a roster file with one student's name a line; each gets an account with a password on every server, listed in class.txt in the data directory", zh: "课堂模式：N 个账户 s01 ... sNN，或一个每行一个学生姓名的名单文件；每个学生在每台服务器上都有一个带密码的账户，列在数据目录的 class.txt 中"},
	"cli.err.class.n":      {en: "--class {value}: give a number of students from 1 to {max}, or a roster file", zh: "--class {value}：请给出 1 到 {max} 之间的学生人数，或一个名单文件"},
	"cli.err.class.file":   {en: "--class {file}: not a number of students, and the roster file cannot be read: {err}", zh: "--class {file}：不是学生人数，名单文件也无法读取：{err}"},
	"cli.err.class.roster": {en: "--class {file}: the roster has {n} names; give one name a line, 1 to {max} of them (blank lines and lines starting with # are skipped)", zh: "--class {file}：名单中有 {n} 个姓名；请每行写一个姓名，共 1 到 {max} 个（空行和以 # 开头的行会被跳过）"},
	"cli.err.class.sheet":  {en: "cannot write the class sheet {path}: {err}", zh: "无法写入班级名单 {path}：{err}"},

	"cli.class.sheet.title":  {en: "mailscope class sheet: {n} students, written {time}. Keep it private: it holds every password.", zh: "mailscope 班级名单：{n} 名学生，写于 {time}。请妥善保管：其中有所有密码。"},
	"cli.class.sheet.web":    {en: "web page: {url}", zh: "网页：{url}"},
	"cli.class.sheet.server": {en: "server {server} ({domain}): SMTP telnet {smtp}, POP3 telnet {pop3}, IMAP telnet {imap}", zh: "服务器 {server}（{domain}）：SMTP 用 telnet {smtp}，POP3 用 telnet {pop3}，IMAP 用 telnet {imap}"},
	"cli.class.sheet.login":  {en: "log in as NAME or NAME@domain with the password below, the same on every server", zh: "用下面的用户名（或 用户名@域名）和密码登录，每台服务器都一样"},
	"cli.class.col.name":     {en: "name", zh: "用户名"},
	"cli.class.col.password": {en: "password", zh: "密码"},
	"cli.class.col.roster":   {en: "roster", zh: "名单中的姓名"},
	"cli.class.banner":       {en: "class: {n} student accounts on every server; the sheet with their passwords is {path} (mode 0600). Students type:", zh: "课堂：每台服务器上有 {n} 个学生账户；带密码的名单在 {path}（权限 0600）。学生要输入："},
	"cli.class.renamed":      {en: "roster name {name} became the login {login} (logins are lower-case letters and digits)", zh: "名单中的姓名 {name} 变成了登录名 {login}（登录名只含小写字母和数字）"},
	"cli.class.loopback":     {en: "note: the mail servers listen on this machine only; students on other machines need --host 0.0.0.0 (or this machine's LAN address)", zh: "注意：邮件服务器只在本机监听；其他机器上的学生需要 --host 0.0.0.0（或本机的局域网地址）"},
	"cli.class.closed":       {en: "class: this data directory keeps {n} student accounts, closed in this run: start with --class (the same number or roster) to open them with their passwords", zh: "课堂：这个数据目录保存着 {n} 个学生账户，本次运行未开放：用 --class（相同的人数或名单）启动即可按原密码开放"},
	"cli.class.users":        {en: "+{n} students (class.txt)", zh: "另有 {n} 名学生（class.txt）"},

	"web.err.class.none": {en: "no class: start mailscope up with --class N or --class roster.txt", zh: "没有班级：请用 --class N 或 --class 名单文件 启动 mailscope up"},
}
