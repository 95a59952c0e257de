package tracer

// classviewCatalog holds the texts of a student's view of the web timeline
// (issue 17, classroom mode): signing in with one's account of the world,
// and the answers of the sign-in. The page reads them through GET
// /api/catalog with the rest.
var classviewCatalog = map[string]entry{
	"web.signin":           {en: "Sign in with your account (the user name and password you use for SMTP AUTH, POP3 and IMAP) to see your own sessions and mailbox.", zh: "用你的账号登录（就是 SMTP AUTH、POP3 和 IMAP 用的用户名和密码），即可查看你自己的会话和邮箱。"},
	"web.signin.user":      {en: "User name", zh: "用户名"},
	"web.signin.password":  {en: "Password", zh: "密码"},
	"web.signin.go":        {en: "Sign in", zh: "登录"},
	"web.signin.out":       {en: "Sign out", zh: "退出登录"},
	"web.signin.as":        {en: "Signed in as {user}: you see only your own sessions, mailboxes and queue entries.", zh: "已登录为 {user}：你只能看到你自己的会话、邮箱和消息队列条目。"},
	"web.signin.failed":    {en: "Wrong user name or password.", zh: "用户名或密码错误。"},
	"web.signin.toomany":   {en: "Too many failed sign-ins from this address ({n}): wait a few minutes, then try again.", zh: "此地址登录失败次数过多（{n} 次）：请等几分钟再试。"},
	"web.signin.full":      {en: "Too many students are signed in; ask the instructor.", zh: "已登录的学生过多，请联系老师。"},
	"web.signin.claimhint": {en: "Behind a shared address (NAT)? Type your user name in HELO (HELO {user}) or log in, and the session is yours.", zh: "和别人共用一个地址（NAT）？在 HELO 中写上你的用户名（HELO {user}）或者登录，这个会话就归你。"},
}
