package tracer

// panelsCatalog holds the texts of the queue panel (history, schedule,
// give-up time, retry now and bounce now, what each fault does), of the
// message view's sandboxed HTML preview, attachments and search, and the
// queue events and CLI lines of the operator's actions.
var panelsCatalog = map[string]entry{
	// Queue events of the operator's actions.
	"queue.retrynow": {
		en:  "retry now: an operator made attempt {n} for {rcpt} due at once in {server}'s queue (mailscope queue retry, or the page's button), without waiting for the retry schedule; ETRN does the same for a whole domain",
		zh:  "立即重试：操作员让 {server} 的消息队列中发给 {rcpt} 的第 {n} 次尝试立即到期（用命令行或页面上的按钮），不再等待重试计划；ETRN 对整个域名做同样的事",
		rfc: "RFC 5321 section 4.5.4.1",
	},
	"queue.bouncenow": {
		en:  "bounce now: an operator gave up on {rcpt} in {server}'s queue after {attempts} attempts, before the give-up time; the sender gets the same bounce as when the queue gives up by itself",
		zh:  "立即退信：操作员在尝试 {attempts} 次之后、放弃时间到来之前，放弃了 {server} 的消息队列中发给 {rcpt} 的邮件；发件人收到的退信与消息队列自己放弃时的完全一样",
		rfc: "RFC 5321 section 4.5.4.1",
	},
	"queue.bouncenow.singular": {
		en:  "bounce now: an operator gave up on {rcpt} in {server}'s queue after {attempts} attempt, before the give-up time; the sender gets the same bounce as when the queue gives up by itself",
		zh:  "立即退信：操作员在尝试 {attempts} 次之后、放弃时间到来之前，放弃了 {server} 的消息队列中发给 {rcpt} 的邮件；发件人收到的退信与消息队列自己放弃时的完全一样",
		rfc: "RFC 5321 section 4.5.4.1",
	},
	"queue.bouncenow.noattempt": {en: "none (no attempt yet)", zh: "无（还没有尝试过）"},

	// The CLI's queue actions.
	"cli.help.queue.retry.short": {
		en: "Try a queued message again now: mailscope queue retry ID (the id as mailscope queue lists it)",
		zh: "现在就重新尝试投递队列中的一封邮件：mailscope queue retry ID（编号即 mailscope queue 列出的编号）",
	},
	"cli.help.queue.bounce.short": {
		en: "Give up on a queued message now: the sender gets the bounce the queue sends at its give-up time",
		zh: "现在就放弃队列中的一封邮件：发件人收到的退信与消息队列到放弃时间时发送的相同",
	},
	"cli.queue.retried":          {en: "retry {id}: {n} recipients are due now; watch the trace for the attempt", zh: "重试 {id}：{n} 个收件人现在到期；请在跟踪中观察投递尝试"},
	"cli.queue.retried.singular": {en: "retry {id}: {n} recipient is due now; watch the trace for the attempt", zh: "重试 {id}：{n} 个收件人现在到期；请在跟踪中观察投递尝试"},
	"cli.queue.bounced":          {en: "bounce {id}: {n} recipients bounced; a delivery status notification (RFC 3464) goes to the sender", zh: "退信 {id}：{n} 个收件人已退信；一封投递状态通知（RFC 3464）发给发件人"},
	"cli.queue.bounced.singular": {en: "bounce {id}: {n} recipient bounced; a delivery status notification (RFC 3464) goes to the sender", zh: "退信 {id}：{n} 个收件人已退信；一封投递状态通知（RFC 3464）发给发件人"},
	"cli.queue.notqueue":         {en: "{id} is not waiting in a queue (already sent or bounced, being delivered right now, or held until its release time)", zh: "{id} 不在消息队列中等待（已经发出或已退信、正在投递，或暂缓到它的发送时间）"},

	// The fault switches: what each does. "up" is the CLI's word for no
	// fault (mailscope fault B up).
	"web.fault.up":            {en: "up", zh: "正常"},
	"web.fault.does.up":       {en: "up: the server behaves normally and accepts mail", zh: "正常：服务器正常工作，接收邮件"},
	"web.fault.does.down":     {en: "down: its SMTP port refuses connections; senders keep the mail queued and retry on their schedule", zh: "宕机：它的 SMTP 端口拒绝连接；发件方把邮件留在消息队列中，按重试计划重试"},
	"web.fault.does.greylist": {en: "greylist: a sender's first attempt gets 451 4.7.1 (try later); a retry after a short wait is accepted (RFC 6647)", zh: "灰名单：发件方的第一次尝试得到 451 4.7.1（稍后再试）；稍等之后的重试被接受（RFC 6647）"},
	"web.fault.does.slow":     {en: "slow: every reply waits a while, like a busy or distant server; mail still arrives", zh: "缓慢：每个响应都要等一会儿，像一台繁忙或遥远的服务器；邮件仍会到达"},
	"web.fault.does.quota":    {en: "quota: recipients get 452 4.2.2 mailbox full, a temporary failure: senders retry", zh: "邮箱已满：收件人得到 452 4.2.2 邮箱已满，这是暂时性失败：发件方会重试"},
	"web.fault.does.reject":   {en: "reject: recipients get 550 5.1.1, a permanent failure: senders bounce at once", zh: "拒收：收件人得到 550 5.1.1，这是永久性失败：发件方立即退信"},
	"web.fault.does.hold":     {en: "hold queue: this server makes no scheduled delivery attempt (it still accepts mail) until ETRN, a flush or retry now asks, or the hold is cleared", zh: "暂停消息队列：这台服务器不再按计划尝试投递（仍然接收邮件），直到 ETRN、立即投递或立即重试提出请求，或者清除这个故障"},

	// The queue panel.
	"web.q.retry":          {en: "Retry now", zh: "立即重试"},
	"web.q.retry.title":    {en: "Make the next delivery attempt of this recipient due now", zh: "让这个收件人的下一次投递尝试立即到期"},
	"web.q.bouncenow":      {en: "Bounce now", zh: "立即退信"},
	"web.q.bounce.confirm": {en: "Bounce now? Click again", zh: "确定立即退信？请再点一次"},
	"web.q.bounce.title":   {en: "Give up on this recipient now: the sender gets a bounce (a delivery status notification)", zh: "现在放弃这个收件人：发件人会收到退信（投递状态通知）"},
	"web.q.retried":        {en: "{rcpt}: the next attempt is due now", zh: "{rcpt}：下一次尝试现在到期"},
	"web.q.bounced":        {en: "{rcpt}: bounced; the sender gets a delivery status notification", zh: "{rcpt}：已退信；发件人会收到投递状态通知"},
	"web.q.actionerr":      {en: "{rcpt}: {err}", zh: "{rcpt}：{err}"},
	"web.q.history":        {en: "history", zh: "历史"},
	"web.q.nohistory":      {en: "no attempt yet", zh: "还没有尝试"},
	"web.q.h.attempt":      {en: "{time} attempt via {hop}: {reply}", zh: "{time} 经 {hop} 尝试：{reply}"},
	"web.q.h.noreply":      {en: "no reply", zh: "没有响应"},
	"web.q.h.retry-now":    {en: "{time} retry now (an operator)", zh: "{time} 立即重试（操作员）"},
	"web.q.h.bounce-now":   {en: "{time} bounce now (an operator): {reply}", zh: "{time} 立即退信（操作员）：{reply}"},
	"web.q.schedule":       {en: "coming attempts", zh: "接下来的尝试"},
	"web.q.giveup":         {en: "gives up at {time}", zh: "{time} 放弃"},
	"web.q.nogiveup":       {en: "never gives up", zh: "永不放弃"},
	"web.q.in":             {en: "in {wait}", zh: "{wait}后"},
	"web.q.due":            {en: "due since {wait}: the worker takes it at its next run", zh: "已到期 {wait}：队列程序下次运行时处理"},
	"web.q.overdue":        {en: "overdue by {wait}: no attempt started (is its server's queue held, or the receiving server slow?)", zh: "已超时 {wait}：还没有开始尝试（是不是它的服务器暂停了消息队列，或接收方服务器很慢？）"},
	"web.q.delivering":     {en: "an attempt is under way", zh: "正在尝试投递"},
	"web.q.done":           {en: "Finished: delivered and bounced", zh: "已结束：已投递和已退信"},
	"web.q.doneempty":      {en: "Nothing finished yet.", zh: "还没有结束的邮件。"},
	"web.q.sentat":         {en: "delivered at {time}", zh: "{time} 已投递"},
	"web.q.bouncedat":      {en: "bounced at {time}", zh: "{time} 已退信"},
	"web.q.when":           {en: "when", zh: "时间"},
	"web.q.actions":        {en: "actions", zh: "操作"},
	"web.q.faultdoes":      {en: "server {server}: {does}", zh: "服务器 {server}：{does}"},
	"web.q.needcontrol":    {en: "Only the instructor (the control token, or this machine) can do this.", zh: "只有教师（持有控制令牌，或在本机上）才能这样做。"},
	"web.q.giveupnote":     {en: "the queue bounces what it has not delivered {giveup} after it was queued", zh: "消息队列会把排队 {giveup} 后仍未投递的邮件退回"},
	// A wait in the queue's schedule, said as the page says times
	// ("2m 30s", "1 分钟"), never as Go writes a duration ("2m30s", "1m0s").
	"web.q.span.h":                {en: "{h}h", zh: "{h} 小时"},
	"web.q.span.m":                {en: "{m}m", zh: "{m} 分钟"},
	"web.q.list.sep":              {en: ", ", zh: "、"},
	"web.q.retrysched":            {en: "retry schedule (waits between attempts): {waits}", zh: "重试计划（两次尝试之间的等待）：{waits}"},
	"web.q.attemptcount":          {en: "{n} attempts", zh: "{n} 次尝试"},
	"web.q.attemptcount.singular": {en: "{n} attempt", zh: "{n} 次尝试"},
	"web.q.col.recipient":         {en: "recipient", zh: "收件人"},

	// The message view: the sandboxed HTML preview, attachments, search.
	"web.m.preview": {
		en: "HTML preview: sandboxed (no scripts, no forms), nothing remote loaded",
		zh: "HTML 预览：在沙箱中显示（不运行脚本，不提交表单），不加载任何远程内容",
	},
	"web.m.preview.none": {en: "no HTML part", zh: "没有 HTML 部分"},
	"web.m.preview.links": {
		en: "Links are not followed in the preview: clicking one does nothing. Hover over a link to see the address it really leads to.",
		zh: "预览中的链接不会被打开：点击链接不会有任何效果。把鼠标停在链接上，可以看到它真正指向的地址。",
	},
	"web.m.blocked":      {en: "Remote content blocked ({n})", zh: "已阻止的远程内容（{n}）"},
	"web.m.blocked.none": {en: "No remote content: this HTML loads nothing from elsewhere.", zh: "没有远程内容：这段 HTML 不从别处加载任何东西。"},
	"web.m.blocked.item": {en: "{tag}: {url}", zh: "{tag}：{url}"},
	"web.m.blocked.pixel": {
		en: "{tag}: {url} (a tracking pixel: a tiny image whose address is unique to this message)",
		zh: "{tag}：{url}（跟踪像素：一张极小的图片，它的地址专属于这封邮件）",
	},
	"web.m.pixelnote": {
		en: "Why blocked: had the viewer loaded these, the sender's web server would have learned that this mail was opened, when (every time it is opened again), from which IP address (so roughly where, and through which network), and with which mail program (the User-Agent). A remote image with an address unique to each recipient, often 1×1 pixel, exists for nothing else. Mail clients block remote content by default for this reason.",
		zh: "为什么阻止：如果查看器加载了这些内容，发件方的网页服务器就会知道这封邮件被打开了、在什么时间打开（以后每次再打开也会知道）、从哪个 IP 地址打开（从而大致知道在哪里、通过哪个网络），以及用的是哪个邮件程序（User-Agent）。地址专属于每个收件人的远程图片（常常只有 1×1 像素）就是为此而存在的。正因如此，邮件客户端默认阻止远程内容。",
	},
	"web.m.attachments":         {en: "Attachments", zh: "附件"},
	"web.m.download":            {en: "Download {name} ({type}, {n} octets)", zh: "下载 {name}（{type}，{n} 字节）"},
	"web.m.search":              {en: "Search", zh: "搜索"},
	"web.m.search.label":        {en: "Search this user's messages (subject, from, to, body)", zh: "搜索这个用户的邮件（主题、发件人、收件人、消息体）"},
	"web.m.search.none":         {en: "No message matches {q}.", zh: "没有邮件匹配 {q}。"},
	"web.m.search.n":            {en: "{n} messages match {q}", zh: "{n} 封邮件匹配 {q}"},
	"web.m.search.n.singular":   {en: "{n} message matches {q}", zh: "{n} 封邮件匹配 {q}"},
	"web.m.search.cut":          {en: "{n} messages match {q} (only the first shown; narrow the search)", zh: "{n} 封邮件匹配 {q}（只显示前面的；请缩小搜索范围）"},
	"web.m.search.cut.singular": {en: "{n} message matches {q} (only the first shown; narrow the search)", zh: "{n} 封邮件匹配 {q}（只显示前面的；请缩小搜索范围）"},
	"web.m.search.clear":        {en: "Show all", zh: "显示全部"},
	"web.m.search.where":        {en: "found in {where}", zh: "匹配位置：{where}"},
	"web.m.search.sep":          {en: ", ", zh: "、"},
	"web.m.search.in.subject":   {en: "subject", zh: "主题"},
	"web.m.search.in.from":      {en: "from", zh: "发件人"},
	"web.m.search.in.to":        {en: "to", zh: "收件人"},
	"web.m.search.in.body":      {en: "body", zh: "消息体"},
}
