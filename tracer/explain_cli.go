package tracer

// cliCatalog holds what the command line tells an operator about mailscope
// itself (not about a protocol line): the start-up banner, the help of each
// command and flag, messages and errors, and the words of the lesson runner
// around the lessons' own texts. Texts name their arguments in braces
// ({path}), like the event catalog; the command line renders them with
// Explainer.Format. Help keys are cli.help.COMMAND.short/long and
// cli.flag.NAME (cli.flag.COMMAND.NAME where a command's flag of that name
// says something else).
var cliCatalog = map[string]entry{
	"store.damaged": {
		en: "the mail store {path} is damaged ({why}). mailscope will not start on it: mail accepted now might not be readable later. Move the file away (with its -wal and -shm files) to start with an empty store, or restore it from a copy.",
		zh: "邮件存储文件 {path} 已损坏（{why}）。mailscope 不会在它上面启动：现在接受的邮件以后可能无法读出。请把该文件（连同 -wal、-shm 文件）移到别处，以空的存储重新开始，或者从备份恢复。",
	},
	"store.truncated": {en: "the file is empty (0 bytes): it was truncated", zh: "文件是空的（0 字节）：它被截断了"},

	// The start-up banner of mailscope up.
	"cli.banner.title":          {en: "{version}: a teaching playground for email protocols", zh: "{version}：电子邮件协议教学实验环境"},
	"cli.banner.data":           {en: "data directory: {dir} (mail survives restarts)", zh: "数据目录：{dir}（重启后邮件仍在）"},
	"cli.banner.ports.fellback": {en: "ports: the standard ports 25/110/143 could not be used ({why}),\n       so every port is 10000 higher: SMTP of A is 10025 instead of 25.", zh: "端口：无法使用标准端口 25/110/143（{why}），\n      所以每个端口都加 10000：A 的 SMTP 是 10025，而不是 25。"},
	"cli.banner.ports.standard": {en: "ports: the standard ports (SMTP 25, POP3 110, IMAP 143 for server A; +1000 for B)", zh: "端口：标准端口（服务器 A 的 SMTP 25、POP3 110、IMAP 143；B 的各加 1000）"},
	"cli.banner.ports.base":     {en: "ports: base {base} (A: +25 SMTP, +110 POP3, +143 IMAP; B: 1000 higher)", zh: "端口：基数 {base}（A：+25 SMTP、+110 POP3、+143 IMAP；B 再加 1000）"},
	"cli.banner.col.server":     {en: "server", zh: "服务器"},
	"cli.banner.col.domain":     {en: "domain", zh: "域名"},
	"cli.banner.col.users":      {en: "users (password)", zh: "用户（密码）"},
	"cli.banner.web":            {en: "web timeline: {url} (the ladder diagram, the mailboxes and the queue in your browser)", zh: "网页时间线：{url}（在浏览器里查看梯形图、邮箱和消息队列）"},
	"cli.banner.web.remote":     {en: "  from other machines: {url}", zh: "  从其他机器访问：{url}"},
	"cli.banner.web.failed":     {en: "web timeline: not started: {err} (choose another address with --web)", zh: "网页时间线：未能启动：{err}（请用 --web 换一个地址）"},
	"cli.banner.web.public": {
		en: "warning: the web timeline listens on {addr}, beyond this machine. Reading the mailboxes and the trace, and switching\n" +
			"  faults, need the token (on this machine too): give the address with the token only to those who should have it.\n" +
			"  Names other than this machine's addresses and hostname are refused (DNS rebinding); add one with --web-host NAME.\n" +
			"  The fault, queue and trace commands take the token as --token or MAILSCOPE_TOKEN.",
		zh: "警告：网页时间线监听在 {addr}，本机之外也能访问。读取邮箱和跟踪、切换故障都需要令牌（在本机上也一样），\n" +
			"  所以只把带令牌的地址交给应当拥有它的人。除本机地址和主机名之外的名字会被拒绝（防御 DNS 重绑定），用 --web-host NAME 添加。\n" +
			"  fault、queue、trace 命令用 --token 或环境变量 MAILSCOPE_TOKEN 提供令牌。",
	},
	"cli.banner.try":     {en: "Try it in a second terminal:", zh: "在第二个终端里试一试："},
	"cli.banner.started": {en: "Started in {took}. Every line of every session appears below, explained. Ctrl-C stops mailscope.", zh: "启动用时 {took}。每个会话的每一行都会显示在下面，并附有解释。按 Ctrl-C 停止 mailscope。"},
	"cli.stopping":       {en: "mailscope: stopping (sessions get 421/BYE; mail already accepted is on disk)", zh: "mailscope：正在停止（各会话收到 421/BYE；已接受的邮件都已保存到磁盘）"},

	// Messages and errors of the commands.
	"cli.err.lang":      {en: "--lang {value}: use en or zh", zh: "--lang {value}：请用 en 或 zh"},
	"cli.err.color":     {en: "--color {value}: use auto, always or never", zh: "--color {value}：请用 auto、always 或 never"},
	"cli.err.host":      {en: "--host {value} is not an IP address", zh: "--host {value} 不是 IP 地址"},
	"cli.err.port_base": {en: "--port-base {value} is out of range: 0 for the standard ports, or up to 60000", zh: "--port-base {value} 超出范围：0 表示标准端口，其他值最大为 60000"},
	"cli.err.speed":     {en: "--speed {value}: give a positive factor (1 is a person typing)", zh: "--speed {value}：请给出一个正数倍率（1 是人打字的速度）"},
	"cli.err.from":      {en: "--from {value}: lesson {lesson} has steps 1 to {steps}", zh: "--from {value}：课程 {lesson} 的步骤是 1 到 {steps}"},
	"cli.err.no_lesson": {en: "no lesson {lesson}: the lessons are {lessons} (mailscope lessons lists them)", zh: "没有课程 {lesson}：现有的课程是 {lessons}（mailscope lessons 会列出它们）"},
	"cli.err.in_use":    {en: "{err} (is a mailscope already running? Give its web address with --web to follow it)", zh: "{err}（是否已有一个 mailscope 在运行？用 --web 给出它的网页地址即可跟随它）"},
	"cli.err.running": {
		en: "mailscope is already running on the data directory {dir} (process {pid}).\n  web timeline: {url}\n  servers: {list}\n" +
			"Use that one: open its web timeline, telnet to its servers; mailscope trace, lesson, demo, queue and fault find it by themselves.\n" +
			"Stop it with Ctrl-C in its terminal, or give this one another data directory (--data DIR) for a second world.",
		zh: "mailscope 已经在数据目录 {dir} 上运行（进程 {pid}）。\n  网页时间线：{url}\n  服务器：{list}\n" +
			"请直接使用它：打开它的网页时间线，用 telnet 连接它的服务器；mailscope trace、lesson、demo、queue、fault 会自己找到它。\n" +
			"要停止它，在它的终端里按 Ctrl-C；要再开一个世界，请给这一个另一个数据目录（--data DIR）。",
	},
	"cli.err.running.starting": {en: "(still starting)", zh: "（仍在启动）"},
	"cli.err.several": {
		en: "several mailscope instances are running: {list}. Say which one with --data DIR (or --web ADDR)",
		zh: "有多个 mailscope 实例正在运行：{list}。请用 --data DIR（或 --web ADDR）指明要哪一个",
	},
	"cli.lang.mismatch": {
		en: "note: the running mailscope explains in {inst}; lines it explains appear in {inst}. For explanations in {lang}, start it with `mailscope up --lang {code}`",
		zh: "注意：正在运行的 mailscope 用{inst}解释；它解释的行会以{inst}显示。要得到{lang}解释，请用 `mailscope up --lang {code}` 启动它",
	},
	"cli.lang.name.en":           {en: "English", zh: "英文"},
	"cli.lang.name.zh":           {en: "Chinese", zh: "中文"},
	"cli.queue.status.deferred":  {en: "deferred", zh: "已推迟"},
	"cli.err.url_web":            {en: "give either --url or --web, not both", zh: "--url 和 --web 只能给一个"},
	"cli.err.stream":             {en: "the trace stream ended", zh: "跟踪流已结束"},
	"cli.err.unreachable":        {en: "cannot reach mailscope at {url} (is `mailscope up` running?): {err}", zh: "无法连接 {url} 上的 mailscope（`mailscope up` 是否在运行？）：{err}"},
	"cli.err.replay":             {en: "{file}: after {n} events: {err}", zh: "{file}：读完 {n} 个事件之后出错：{err}"},
	"cli.err.progress":           {en: "{path}: {err} (delete it to start the lessons afresh)", zh: "{path}：{err}（删除该文件即可重新开始所有课程）"},
	"cli.pprof.ignored":          {en: "MAILSCOPE_PPROF={value} ignored: give a loopback address like 127.0.0.1:6060", zh: "已忽略 MAILSCOPE_PPROF={value}：请给出本机回环地址，如 127.0.0.1:6060"},
	"cli.pprof.on":               {en: "profiler: {url}", zh: "性能分析器：{url}"},
	"cli.trace.following":        {en: "mailscope trace: following {url} (Ctrl-C stops)", zh: "mailscope trace：正在跟随 {url}（按 Ctrl-C 停止）"},
	"cli.queue.flushed":          {en: "flush {what}: {n} recipients are due now; watch the trace for the attempts", zh: "flush {what}：{n} 个收件人现在到期；请在跟踪中观察投递尝试"},
	"cli.queue.flushed.singular": {en: "flush {what}: {n} recipient is due now; watch the trace for the attempts", zh: "flush {what}：{n} 个收件人现在到期；请在跟踪中观察投递尝试"},
	"cli.queue.every":            {en: "every domain", zh: "所有域名"},
	"cli.queue.fault":            {en: "fault on server {server}: {fault}", zh: "服务器 {server} 的故障：{fault}"},
	"cli.queue.empty":            {en: "the queues are empty: every accepted message has been delivered", zh: "队列是空的：所有已接受的邮件都已投递"},
	"cli.queue.col.id":           {en: "id", zh: "编号"},
	"cli.queue.col.from":         {en: "from", zh: "发件人"},
	"cli.queue.col.to":           {en: "to", zh: "收件人"},
	"cli.queue.col.state":        {en: "status", zh: "状态"},
	"cli.queue.col.tries":        {en: "attempts", zh: "尝试次数"},
	"cli.queue.col.next":         {en: "next attempt", zh: "下次尝试"},
	"cli.queue.col.error":        {en: "last error", zh: "最近的错误"},
	"cli.queue.due":              {en: "{time} (due)", zh: "{time}（已到期）"},
	"cli.queue.in":               {en: "{time} (in {wait})", zh: "{time}（{wait} 后）"},
	"cli.fault.cleared":          {en: "server {server} behaves normally again", zh: "服务器 {server} 已恢复正常"},
	"cli.fault.set":              {en: "server {server} is now {fault}", zh: "服务器 {server} 现在处于 {fault} 状态"},
	"cli.lesson.servers":         {en: "servers: {list}", zh: "服务器：{list}"},
	"cli.lesson.web":             {en: "web timeline: {url}", zh: "网页时间线：{url}"},
	"cli.lesson.here":            {en: "this mailscope ({dir})", zh: "本进程中的 mailscope（{dir}）"},
	"cli.lesson.keep.web":        {en: "The servers keep running for the browser timeline ({url}); Ctrl-C stops them.", zh: "服务器继续运行，供浏览器中的时间线使用（{url}）；按 Ctrl-C 停止。"},
	"cli.lesson.keep":            {en: "The servers keep running; Ctrl-C stops them.", zh: "服务器继续运行；按 Ctrl-C 停止。"},

	// The lesson runner (mailscope lesson, mailscope demo, mailscope
	// lessons): the words around the lessons' own texts.
	"lesson.ui.lesson":          {en: "Lesson {lesson}: {title}", zh: "课程 {lesson}：{title}"},
	"lesson.ui.step":            {en: "Step {n}/{steps}: {title}", zh: "第 {n}/{steps} 步：{title}"},
	"lesson.ui.step.done":       {en: "✓ Step {n} done: {text}", zh: "✓ 第 {n} 步完成：{text}"},
	"lesson.ui.hint":            {en: "Hint: {text}", zh: "提示：{text}"},
	"lesson.ui.finished":        {en: "★ Lesson complete: {title}", zh: "★ 本课完成：{title}"},
	"lesson.ui.waiting":         {en: "(waiting for the trace to show that this step is done…)", zh: "（等待跟踪显示这一步已完成……）"},
	"lesson.ui.enter":           {en: "[Enter] next command", zh: "[回车] 下一条命令"},
	"lesson.ui.tls":             {en: "(TLS handshake: from here on the bytes on the wire are encrypted)", zh: "（TLS 握手：从这里开始，线路上的字节都是加密的）"},
	"lesson.ui.closed":          {en: "Connection closed by foreign host.", zh: "连接已被对方主机关闭。"},
	"lesson.ui.more":            {en: "… {n} more lines", zh: "……还有 {n} 行"},
	"lesson.ui.progress":        {en: "progress", zh: "进度"},
	"lesson.ui.steps":           {en: "steps", zh: "步数"},
	"lesson.ui.completed":       {en: "completed", zh: "已完成"},
	"lesson.ui.completed.again": {en: "✓ completed once; this run {done}/{steps}", zh: "✓ 曾经完成；这一遍 {done}/{steps}"},
	"lesson.ui.not.started":     {en: "not started", zh: "未开始"},
	"lesson.ui.resume":          {en: "Resuming at step {n} (use --restart to begin again).", zh: "从第 {n} 步继续（用 --restart 从头开始）。"},
	"lesson.ui.watching":        {en: "Watching the trace of {where}. Do the step in another terminal; Ctrl-C stops (progress is saved).", zh: "正在观察 {where} 的跟踪。请在另一个终端里完成这一步；按 Ctrl-C 结束（进度会保存）。"},
	"lesson.ui.demo.done":       {en: "Demo finished: every step was seen in the trace.", zh: "演示结束：跟踪中看到了每一步。"},
	"lesson.ui.col.lesson":      {en: "lesson", zh: "课程"},
	"lesson.ui.col.title":       {en: "title", zh: "标题"},
	"lesson.ui.try.lesson":      {en: "Start one with: mailscope lesson NAME   (or watch it: mailscope demo NAME)", zh: "开始一课：mailscope lesson 课程名   （或观看演示：mailscope demo 课程名）"},
	"lesson.ui.step.failed":     {en: "lesson {lesson} step {n} ({title}): {err}", zh: "课程 {lesson} 第 {n} 步（{title}）：{err}"},
	"lesson.ui.not.seen":        {en: "lesson {lesson} step {n} ({title}): the trace did not show it done: {err}", zh: "课程 {lesson} 第 {n} 步（{title}）：跟踪中没有看到这一步完成：{err}"},
	"lesson.ui.save.failed":     {en: "the lesson progress could not be saved: {err}", zh: "无法保存课程进度：{err}"},
	"lesson.ui.no.control":      {en: "this demo needs control of the world (faults, flush) but has none", zh: "这个演示需要控制这个世界（故障开关、清空队列），但没有得到控制权"},

	// Help: the commands.
	"cli.help.root.short": {en: "A teaching playground for email: real SMTP, POP3 and IMAP servers, every line traced and explained", zh: "电子邮件教学实验环境：真实的 SMTP、POP3 和 IMAP 服务器，每一行都被跟踪并解释"},
	"cli.help.root.long": {
		en: `mailscope runs a small simulated internet of mail servers on your machine:
server A for a.example (user alice) and server B for b.example (user bob), each
with real SMTP, POP3 and IMAP listeners. Every line that crosses a socket is
printed here, colored and explained: what the command does, what the reply
code means, and which RFC says so.

Start it, then open a second terminal and talk to a server by hand:

  mailscope                       # same as: mailscope up
  telnet 127.0.0.1 10025          # SMTP of server A (port 25 if mailscope may bind it)
    HELO laptop
    MAIL FROM:<alice@a.example>
    RCPT TO:<alice@a.example>
    DATA
    Subject: hi
    (empty line)
    hello
    .
    QUIT

The port layout from a base N: server A on N+25 (SMTP), N+110 (POP3), N+143
(IMAP); server B on N+1025, N+1110, N+1143. N is 0 (the standard ports) when
the process may bind them, else 10000.

The language of the explanations, messages and this help is --lang (en or
zh), else MAILSCOPE_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG: zh_CN.UTF-8
gives zh).`,
		zh: `mailscope 在你的机器上运行一个模拟的小型邮件互联网：服务器 A 负责 a.example
（用户 alice），服务器 B 负责 b.example（用户 bob），每台都有真实的 SMTP、POP3 和
IMAP 监听端口。每一条经过套接字的行都会在这里彩色显示并附上解释：命令做什么、
响应代码是什么意思、出自哪个 RFC。

启动它，然后打开第二个终端，手工和服务器对话：

  mailscope                       # 等同于：mailscope up
  telnet 127.0.0.1 10025          # 服务器 A 的 SMTP（mailscope 能绑定时为端口 25）
    HELO laptop
    MAIL FROM:<alice@a.example>
    RCPT TO:<alice@a.example>
    DATA
    Subject: hi
    （空行）
    hello
    .
    QUIT

端口按基数 N 排布：服务器 A 在 N+25（SMTP）、N+110（POP3）、N+143（IMAP）；
服务器 B 在 N+1025、N+1110、N+1143。进程能绑定标准端口时 N 为 0，否则为 10000。

解释、提示信息和本帮助的语言由 --lang（en 或 zh）决定，其次是环境变量
MAILSCOPE_LANG，再次是区域设置（LC_ALL、LC_MESSAGES、LANG：zh_CN.UTF-8 即为 zh）。`,
	},
	"cli.help.up.short": {en: "Start the world's mail servers and stream the explained trace (the default command)", zh: "启动这个世界的邮件服务器并输出带解释的跟踪（默认命令）"},
	"cli.help.up.long": {
		en: `up starts every server of the world (by default A for a.example and B for
b.example) with SMTP, POP3 and IMAP listeners, prints the live addresses, the
users and a first command to try, then streams every protocol line with its
explanation until you press Ctrl-C. Mail is kept in the data directory, so it
is still there after a restart.`,
		zh: `up 启动这个世界的每一台服务器（默认是负责 a.example 的 A 和负责 b.example 的 B），
各带 SMTP、POP3 和 IMAP 监听端口，打印实际监听的地址、用户和第一条可以试的命令，
然后输出每一条协议行及其解释，直到你按 Ctrl-C。邮件保存在数据目录中，重启后仍在。`,
	},
	"cli.help.version.short": {en: "Print mailscope's version", zh: "显示 mailscope 的版本"},
	"cli.help.trace.short":   {en: "Show the colored, explained trace of a running mailscope (for a second screen or another laptop)", zh: "显示正在运行的 mailscope 的彩色、带解释的跟踪（用于第二块屏幕或另一台电脑）"},
	"cli.help.trace.long": {
		en: `trace connects to the web timeline of a running mailscope (started with
mailscope up) and prints every event the way up prints it: colored, each line
explained. It first shows the most recent events, then follows live. When the
connection drops it reconnects and continues where it stopped.

  mailscope trace                                  # the instance on this machine
  mailscope trace --url http://192.168.1.10:8025   # the instructor's instance`,
		zh: `trace 连接到一个正在运行的 mailscope（用 mailscope up 启动）的网页时间线，
像 up 一样输出每个事件：彩色显示，每一行都有解释。它先显示最近的事件，然后实时跟随。
连接断开时会重新连接，从断开处继续。

  mailscope trace                                  # 本机上的实例
  mailscope trace --url http://192.168.1.10:8025   # 教师机上的实例`,
	},
	"cli.help.queue.short": {en: "List the outgoing queues of a running mailscope, with next-attempt times", zh: "列出正在运行的 mailscope 的外发消息队列及下次尝试的时间"},
	"cli.help.queue.long": {
		en: `queue shows what the servers of a running mailscope hold in their outgoing
queues: mail accepted with 250 but not yet delivered to the receiving server
(asynchronous sending). Each line is one recipient: its status (queued, held
by FUTURERELEASE, deferred after a failed attempt), the attempts so far, when
the next attempt comes, and the last error.

  mailscope queue                  # list
  mailscope queue flush            # try everything now
  mailscope queue flush b.example  # try mail for b.example now (like ETRN)`,
		zh: `queue 显示正在运行的 mailscope 各服务器外发消息队列中的内容：已用 250 接受、
但还没有投递到接收方服务器的邮件（异步发送）。每行是一个收件人：它的状态（queued
排队中、held 被 FUTURERELEASE 暂缓、deferred 尝试失败后推迟）、已尝试的次数、
下次尝试的时间和最近的错误。

  mailscope queue                  # 列出
  mailscope queue flush            # 现在就尝试投递全部邮件
  mailscope queue flush b.example  # 现在就尝试投递发往 b.example 的邮件（类似 ETRN）`,
	},
	"cli.help.queue.flush.short": {en: "Start delivery of queued mail now (for one domain, or all)", zh: "立即开始投递队列中的邮件（某个域名的，或全部）"},
	"cli.help.fault.short":       {en: "Make a server of a running mailscope misbehave, to watch retries and bounces", zh: "让正在运行的 mailscope 中的某台服务器出故障，以便观察重试和退信"},
	"cli.help.fault.long": {
		en: `fault switches a server's misbehaviour at run time, so the relay's queue,
retries and bounces can be seen:

  down      its SMTP port refuses connections (A keeps the mail and retries)
  up        the server listens again (same as clear)
  greylist  a first attempt gets 451 4.7.1, the retry is accepted
  slow      every reply waits a couple of seconds
  quota     recipients get 452 4.2.2 mailbox full (temporary: retried)
  reject    recipients get 550 5.1.1 (permanent: a bounce goes back)
  hold      a sending server holds its queue: no scheduled attempts until
            ETRN <domain> (RFC 1985) or mailscope queue flush asks for the
            mail, or the hold is cleared (Postfix's defer_transports)
  clear     back to normal

  mailscope fault B down
  mailscope fault B up
  mailscope fault A hold`,
		zh: `fault 在运行时切换服务器的故障，以便观察中继的消息队列、重试和退信：

  down      它的 SMTP 端口拒绝连接（A 保留邮件并重试）
  up        服务器重新监听（同 clear）
  greylist  第一次尝试得到 451 4.7.1，重试时被接受（灰名单）
  slow      每个响应都要等几秒
  quota     收件人得到 452 4.2.2 邮箱已满（暂时性失败：会重试）
  reject    收件人得到 550 5.1.1（永久性失败：退信给发件人）
  hold      发送方服务器暂停消息队列：不再按计划尝试投递，直到 ETRN <域名>
            （RFC 1985）或 mailscope queue flush 请求发送，或者清除这个故障
            （类似 Postfix 的 defer_transports）
  clear     恢复正常

  mailscope fault B down
  mailscope fault B up
  mailscope fault A hold`,
	},
	"cli.help.replay.short": {en: "Print a trace recorded with --record FILE, colored and explained", zh: "输出用 --record FILE 记录的跟踪，彩色显示并附解释"},
	"cli.help.replay.long": {
		en: `replay reads a JSON Lines trace written by mailscope up --record FILE and
prints it the way up does. With --speed it keeps the original pace (2 = twice as
fast); without, it prints everything at once.

  mailscope up --record lab1.jsonl     # record a lab session
  mailscope replay lab1.jsonl          # read it again later
  mailscope replay --speed 1 lab1.jsonl`,
		zh: `replay 读取 mailscope up --record FILE 写下的 JSON Lines 跟踪文件，像 up 一样输出。
用 --speed 时保持原来的节奏（2 = 两倍速）；不用时一次全部输出。

  mailscope up --record lab1.jsonl     # 记录一次实验
  mailscope replay lab1.jsonl          # 以后再看
  mailscope replay --speed 1 lab1.jsonl`,
	},
	"cli.help.lessons.short": {en: "List the guided lessons and your progress", zh: "列出引导式课程和你的进度"},
	"cli.help.lessons.long": {
		en: `lessons lists the guided lessons in the course's order, with how many of
their steps you have done (kept in the data directory).

  mailscope lessons
  mailscope lesson smtp-by-hand     # start one
  mailscope demo relay --speed 2    # watch one played by a scripted client`,
		zh: `lessons 按课程顺序列出引导式课程，以及每课你已完成的步数（保存在数据目录中）。

  mailscope lessons
  mailscope lesson smtp-by-hand     # 开始一课
  mailscope demo relay --speed 2    # 观看由脚本客户端演示的一课`,
	},
	"cli.help.lesson.short": {en: "Follow a guided lesson: type the commands in another terminal, the lesson ticks each step from the trace", zh: "跟着引导式课程学习：在另一个终端里输入命令，课程根据跟踪逐步打勾"},
	"cli.help.lesson.long": {
		en: `lesson guides you through one lesson (mailscope lessons lists them). It shows
the first step, watches the trace of every server, ticks each step when your
own session does it, explains the servers' replies and gives a hint when you
go wrong. Progress is saved in the data directory.

If a mailscope is already running (its web address answers), the lesson
attaches to it; otherwise it starts the world itself, with the same flags as
up, and the browser timeline shows the lesson too.

  mailscope lesson smtp-by-hand
  mailscope lesson imap --lang zh
  mailscope lesson relay --restart     # begin again from step 1

In a class (the instructor runs mailscope up --class), the class's server
checks your lesson from your own sessions: name it and your account, and
type the password from the class sheet when asked.

  mailscope lesson smtp-by-hand --server http://192.168.1.10:8025 --user s07`,
		zh: `lesson 带你学完一课（mailscope lessons 会列出所有课程）。它显示第一步，观察每台
服务器的跟踪，你自己的会话完成一步就打一个勾，解释服务器的响应，出错时给出提示。
进度保存在数据目录中。

如果已有一个 mailscope 在运行（它的网页地址有响应），课程就连接到它；否则课程
自己启动这个世界（参数与 up 相同），浏览器中的时间线也会显示课程。

  mailscope lesson smtp-by-hand
  mailscope lesson imap --lang zh
  mailscope lesson relay --restart     # 从第 1 步重新开始

在课堂上（教师运行 mailscope up --class），由课堂的服务器根据你自己的会话检查课程：
写上课程名和你的账号，提示时输入班级名单上的密码。

  mailscope lesson smtp-by-hand --server http://192.168.1.10:8025 --user s07`,
	},
	"cli.help.demo.short": {en: "Play a lesson's example commands as a scripted client, typing like a person (for lectures)", zh: "由脚本客户端像人一样逐字输入，演示一课的示例命令（用于课堂讲解）"},
	"cli.help.demo.long": {
		en: `demo plays the example commands of a lesson over real connections to the
servers, typing them at a human pace, so that the browser timeline fills live
while the class watches. Before each step it waits until the trace shows the
previous one done, and it explains each step as it completes.

It attaches to a running mailscope (its web address answers) or starts the
world itself, with the same flags as up; then the servers keep running after
the demo, for the browser, until Ctrl-C (--exit stops at once).

  mailscope demo relay --speed 4      # four times faster
  mailscope demo smtp-by-hand --step  # wait for Enter before each command
  mailscope demo imap --from 5 --lang zh`,
		zh: `demo 通过到服务器的真实连接演示一课的示例命令，以人打字的速度输入，让全班看着
浏览器中的时间线实时填满。每一步之前它都等到跟踪显示上一步已完成，每完成一步就给出解释。

它连接到正在运行的 mailscope（它的网页地址有响应），或者自己启动这个世界（参数与 up
相同）；这时演示结束后服务器继续运行，供浏览器使用，直到按 Ctrl-C（--exit 则立即停止）。

  mailscope demo relay --speed 4      # 四倍速
  mailscope demo smtp-by-hand --step  # 每条命令之前等待回车
  mailscope demo imap --from 5 --lang zh`,
	},

	// Help: the flags.
	"cli.flag.help":             {en: "help for {command}", zh: "显示 {command} 的帮助"},
	"cli.flag.data":             {en: "directory for the mail store, TLS certificate and progress", zh: "保存邮件存储、TLS 证书和学习进度的目录"},
	"cli.flag.world":            {en: "world file (YAML) describing servers, domains and users; default: the built-in world", zh: "描述服务器、域名和用户的世界文件（YAML）；默认使用内置的世界"},
	"cli.flag.host":             {en: "address to listen on (default 127.0.0.1, from the world)", zh: "监听的地址（默认 127.0.0.1，来自世界文件）"},
	"cli.flag.port-base":        {en: "port base N: A on N+25/N+110/N+143, B on N+1025/...; 0 = standard ports (default: standard ports if allowed, else 10000)", zh: "端口基数 N：A 在 N+25/N+110/N+143，B 在 N+1025/...；0 表示标准端口（默认：能用标准端口就用，否则为 10000）"},
	"cli.flag.web":              {en: "address of the web timeline (default 127.0.0.1:8025; 0.0.0.0:8025 for a classroom, then the token is needed)", zh: "网页时间线的地址（默认 127.0.0.1:8025；课堂上用 0.0.0.0:8025，这时需要令牌）"},
	"cli.flag.web-host":         {en: "a name under which the web timeline is reached (repeatable, added to the world's web_hosts); besides this machine's addresses and hostname, other names are refused (DNS rebinding)", zh: "访问网页时间线所用的名字（可重复，加入世界文件的 web_hosts）；除本机地址和主机名外，其他名字会被拒绝（防御 DNS 重绑定）"},
	"cli.flag.color":            {en: "color the console trace: auto, always or never (NO_COLOR is respected)", zh: "终端跟踪是否着色：auto、always 或 never（遵守 NO_COLOR）"},
	"cli.flag.lang":             {en: "language of explanations, messages and help: en or zh (default: MAILSCOPE_LANG, else the locale, LANG)", zh: "解释、提示信息和帮助的语言：en 或 zh（默认取 MAILSCOPE_LANG，其次是区域设置 LANG）"},
	"cli.flag.record":           {en: "also write every trace event to this file as JSON Lines", zh: "同时把每个跟踪事件以 JSON Lines 格式写入该文件"},
	"cli.flag.explain":          {en: "print a one-line explanation under each protocol line", zh: "在每条协议行下面打印一行解释"},
	"cli.flag.show-data":        {en: "print message bodies in full instead of a one-line summary", zh: "完整打印邮件内容，而不是一行摘要"},
	"cli.flag.quiet":            {en: "print only the start-up banner, not the trace (the web timeline and --record still get every event)", zh: "只打印启动信息，不打印跟踪（网页时间线和 --record 仍然得到每个事件）"},
	"cli.flag.lesson.server":    {en: "the class's web address (http://HOST:PORT): follow a lesson the class's server checks, with no servers here", zh: "课堂的网页地址（http://HOST:PORT）：跟随由课堂服务器检查的课程，本机不启动服务器"},
	"cli.flag.lesson.user":      {en: "your class account (with --server); the password is asked, or taken from MAILSCOPE_PASSWORD", zh: "你的班级账号（与 --server 一起用）；密码会提示输入，或取自 MAILSCOPE_PASSWORD"},
	"cli.flag.restart":          {en: "begin the lesson again from step 1", zh: "从第 1 步重新开始这一课"},
	"cli.flag.lesson.trace":     {en: "print the explained trace of every session (false: only the lesson and the replies it comments on)", zh: "打印每个会话带解释的跟踪（false：只打印课程和它评论的响应）"},
	"cli.flag.speed":            {en: "pace of the typing and pauses: 2 is twice as fast, 0.5 half as fast", zh: "打字和停顿的节奏：2 为两倍速，0.5 为半速"},
	"cli.flag.step":             {en: "wait for Enter before each command", zh: "每条命令之前等待回车"},
	"cli.flag.from":             {en: "first step to play (the earlier steps are taken as done)", zh: "从第几步开始演示（之前的步骤视为已完成）"},
	"cli.flag.exit":             {en: "when the demo started the servers itself, stop them as soon as it ends", zh: "如果服务器是演示自己启动的，演示一结束就停止它们"},
	"cli.flag.var":              {en: "set a lesson variable, like --var hold=5 (the HOLDFOR seconds of queue-retry-delay)", zh: "设置课程变量，如 --var hold=5（queue-retry-delay 一课中 HOLDFOR 的秒数）"},
	"cli.flag.lessons.data":     {en: "data directory holding the progress file", zh: "保存进度文件的数据目录"},
	"cli.flag.lessons.lang":     {en: "language: en or zh (default: MAILSCOPE_LANG, else the locale, LANG)", zh: "语言：en 或 zh（默认取 MAILSCOPE_LANG，其次是区域设置 LANG）"},
	"cli.flag.url":              {en: "address of the running mailscope (its web timeline)", zh: "正在运行的 mailscope 的地址（它的网页时间线）"},
	"cli.flag.token":            {en: "control token, needed when mailscope listens beyond loopback (default $MAILSCOPE_TOKEN)", zh: "控制令牌，mailscope 监听在本机回环地址之外时需要（默认取 $MAILSCOPE_TOKEN）"},
	"cli.flag.fault.web":        {en: "web address of the running mailscope, as given to up --web (default: the one running on --data, else 127.0.0.1:8025)", zh: "正在运行的 mailscope 的网页地址，与 up --web 相同（默认：在 --data 目录上运行的那个，否则 127.0.0.1:8025）"},
	"cli.flag.queue.web":        {en: "web address of the running mailscope, as given to up --web (default: the one running on --data, else 127.0.0.1:8025)", zh: "正在运行的 mailscope 的网页地址，与 up --web 相同（默认：在 --data 目录上运行的那个，否则 127.0.0.1:8025）"},
	"cli.flag.trace.web":        {en: "web address of the running mailscope, as given to up --web (default: the one running on --data, else 127.0.0.1:8025)", zh: "正在运行的 mailscope 的网页地址，与 up --web 相同（默认：在 --data 目录上运行的那个，否则 127.0.0.1:8025）"},
	"cli.flag.fault.data":       {en: "data directory of the running mailscope to talk to (it records its web address there)", zh: "要联系的正在运行的 mailscope 的数据目录（它在那里记下自己的网页地址）"},
	"cli.flag.queue.data":       {en: "data directory of the running mailscope to talk to (it records its web address there)", zh: "要联系的正在运行的 mailscope 的数据目录（它在那里记下自己的网页地址）"},
	"cli.flag.trace.data":       {en: "data directory of the running mailscope to talk to (it records its web address there)", zh: "要联系的正在运行的 mailscope 的数据目录（它在那里记下自己的网页地址）"},
	"cli.flag.trace.url":        {en: "address of the running mailscope's web timeline", zh: "正在运行的 mailscope 的网页时间线地址"},
	"cli.flag.trace.color":      {en: "color the trace: auto, always or never (NO_COLOR is respected)", zh: "跟踪是否着色：auto、always 或 never（遵守 NO_COLOR）"},
	"cli.flag.trace.replay":     {en: "how many recent events to show first (-1: all that are kept)", zh: "先显示多少个最近的事件（-1：保留的全部）"},
	"cli.flag.trace.token":      {en: "web token, needed when mailscope listens beyond loopback (default $MAILSCOPE_TOKEN)", zh: "网页令牌，mailscope 监听在本机回环地址之外时需要（默认取 $MAILSCOPE_TOKEN）"},
	"cli.flag.replay.color":     {en: "color: auto, always or never", zh: "是否着色：auto、always 或 never"},
	"cli.flag.replay.explain":   {en: "print the explanation under each line", zh: "在每行下面打印解释"},
	"cli.flag.replay.show-data": {en: "print message bodies in full", zh: "完整打印邮件内容"},
	"cli.flag.replay.speed":     {en: "replay at the recorded pace times this factor (0: all at once)", zh: "按记录时的节奏乘以该倍率重放（0：一次全部输出）"},
}
