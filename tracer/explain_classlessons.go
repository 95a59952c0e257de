package tracer

// classLessonsCatalog holds the texts of a class's lessons (issue 17):
// the lesson picker of a student's page, the answers of /api/lessons,
// and `mailscope lesson NAME --server URL --user NAME`, which follows a
// lesson that the class's server checks.
var classLessonsCatalog = map[string]entry{
	"console.lesson.student.done":     {en: "{user}: {lesson}, step {step}/{steps} done", zh: "{user}：{lesson} 第 {step}/{steps} 步完成"},
	"console.lesson.student.finished": {en: "{user} finished the lesson {lesson}", zh: "{user} 完成了课程 {lesson}"},
	"class.limit.rate.addr": {
		en:  "the address {addr} has sent {n} messages in the last minute without naming a student (no AUTH, no student's address in MAIL FROM, no HELO with a student's name), the class limit (messages_per_minute): the mail server answers 450 4.7.1, a temporary refusal, for {secs}s",
		zh:  "地址 {addr} 在最近一分钟内发送了 {n} 封未注明学生的邮件（没有 AUTH，MAIL FROM 不是学生的地址，HELO 也没有写学生的名字），达到班级上限（messages_per_minute）：邮件服务器回复 450 4.7.1（暂时拒绝），持续 {secs} 秒",
		rfc: "RFC 5321 section 4.2.2, RFC 3463 section 3.8",
	},
	"web.d.completed":        {en: "{n} lessons completed", zh: "已完成 {n} 门课"},
	"web.d.absent":           {en: "not connected yet", zh: "尚未连接"},
	"web.sheet.show":         {en: "Class sheet (to print)", zh: "班级名单（可打印）"},
	"web.sheet.print":        {en: "Print the sheet", zh: "打印名单"},
	"web.sheet.title":        {en: "mailscope class: {n} students", zh: "mailscope 班级：{n} 名学生"},
	"web.sheet.server":       {en: "Server {server} ({domain}): SMTP {smtp} · POP3 {pop3} · IMAP {imap}", zh: "服务器 {server}（{domain}）：SMTP {smtp} · POP3 {pop3} · IMAP {imap}"},
	"web.sheet.web":          {en: "Web page: {url} (sign in with the name and password below)", zh: "网页：{url}（用下面的用户名和密码登录）"},
	"web.sheet.login":        {en: "User name: {user}", zh: "用户名：{user}"},
	"web.sheet.password":     {en: "Password: {password}", zh: "密码：{password}"},
	"web.sheet.howto":        {en: "Your address: {user}@{domain}. Type HELO {user} after telnet so that your view shows the session.", zh: "你的邮箱地址：{user}@{domain}。telnet 连上后先输入 HELO {user}，你的视图里才会显示这个会话。"},
	"web.login.class":        {en: "Students: sign in above with the name and password from the class sheet. The instructor: open the address mailscope up printed, or enter the token:", zh: "学生：请在上面用班级名单上的用户名和密码登录。教师：请打开 mailscope up 打印的地址，或在这里输入令牌："},
	"web.login.status.class": {en: "sign in", zh: "请登录"},
	"web.lessons.pick":       {en: "Lesson", zh: "课程"},
	"web.lessons.start":      {en: "Start", zh: "开始"},
	"web.lessons.resume":     {en: "Go on", zh: "继续"},
	"web.lessons.restart":    {en: "From the start", zh: "从头开始"},
	"web.lessons.stop":       {en: "Stop", zh: "停止"},
	"web.lessons.progress":   {en: "{done}/{steps} steps done", zh: "已完成 {done}/{steps} 步"},
	"web.lessons.completed":  {en: "completed", zh: "已完成"},
	"web.lessons.checked":    {en: "The server checks each step from what you really typed, in your own sessions.", zh: "服务器根据你在自己的会话中真正输入的内容检查每一步。"},
	"web.err.lesson.signin":  {en: "sign in with your class account to do a lesson", zh: "请先用你的班级账号登录，再做课程"},
	"web.err.lesson.none":    {en: "no lesson {lesson} in this class: the lessons are {lessons}", zh: "本班没有课程 {lesson}：可选的课程有 {lessons}"},
	"cli.lesson.remote.pass": {en: "Password of {user} (from the class sheet): ", zh: "{user} 的密码（见班级名单）："},
	"cli.lesson.remote.in":   {en: "Signed in to {url} as {user}. The server checks this lesson from your own sessions; type in another terminal.", zh: "已作为 {user} 登录 {url}。服务器根据你自己的会话检查本课；请在另一个终端里输入命令。"},
	"cli.lesson.remote.gone": {en: "the lesson was stopped on the server (started again from another window?)", zh: "服务器上的这门课已停止（是否在另一个窗口重新开始了？）"},
	"cli.class.trusted":      {en: "students on the lab's networks {nets} relay to the world's other servers without AUTH (trusted networks, like Postfix's mynetworks_style = subnet); nothing leaves the world", zh: "实验室网络 {nets} 上的学生无需 AUTH 即可中继到本世界的其他服务器（可信网络，类似 Postfix 的 mynetworks_style = subnet）；邮件不会离开这个世界"},
	"cli.err.remote.user":    {en: "--server needs --user: the name of your class account (s07, or your name on the roster)", zh: "--server 需要 --user：你的班级账号名（例如 s07，或名单上的名字）"},
	"cli.err.remote.signin":  {en: "signing in to {url} as {user}: {err}", zh: "以 {user} 登录 {url} 失败：{err}"},
	"cli.err.remote.start":   {en: "starting lesson {lesson} at {url}: {err}", zh: "在 {url} 开始课程 {lesson} 失败：{err}"},
}
