package tracer

// webCatalog holds every text of the web timeline's page (tabs, labels,
// buttons, marks, column heads, hints, the lesson panel, tooltips and
// errors) and the explanations of the webmail's own HTTP exchanges. The page
// reads it through GET /api/catalog, together with every other catalog, so
// that it can render events in its reader's language. Texts name their
// arguments in braces, as Msg texts do; the page inserts the values as text.
var webCatalog = map[string]entry{
	// The page's frame.
	"web.title":             {en: "mailscope · web timeline", zh: "mailscope · 网页时间线"},
	"web.tabs":              {en: "views", zh: "视图"},
	"web.tab.timeline":      {en: "Timeline", zh: "时间线"},
	"web.tab.messages":      {en: "Messages", zh: "邮件"},
	"web.tab.queue":         {en: "Queue & faults", zh: "消息队列与故障"},
	"web.lang":              {en: "Language", zh: "语言"},
	"web.lang.en":           {en: "Show the page in English", zh: "用英文显示本页"},
	"web.lang.zh":           {en: "Show the page in Chinese", zh: "用中文显示本页"},
	"web.status.connecting": {en: "connecting…", zh: "正在连接…"},
	"web.status.live":       {en: "live", zh: "实时"},
	"web.status.closed":     {en: "disconnected: retrying in {s}s", zh: "连接已断开：{s} 秒后重试"},
	"web.large":             {en: "Large type", zh: "大字体"},
	"web.large.title":       {en: "Large type for a classroom projector", zh: "大字体，适合教室里的投影仪"},
	"web.login": {
		en: "This mailscope listens beyond its machine: the trace, the mailboxes and the fault switches need the token that mailscope up printed. Open the address it printed, or enter the token:",
		zh: "这个 mailscope 在本机之外也可访问：跟踪、邮箱和故障开关都需要 mailscope up 打印的令牌。请打开它打印的地址，或在这里输入令牌：",
	},
	"web.login.failed": {en: "That token is not this mailscope's.", zh: "这个令牌不属于这个 mailscope。"},
	"web.login.open":   {en: "Open", zh: "打开"},
	"web.login.status": {en: "token needed", zh: "需要令牌"},
	"web.loading":      {en: "loading…", zh: "正在加载…"},
	"web.octets":       {en: "{n} octets", zh: "{n} 字节"},
	// An RFC reference's section, as Chinese writes it: "RFC 5321 第 4.1.1.1 节".
	"web.rfc.section": {en: "section {sec}", zh: "第 {sec} 节"},

	// The timeline's toolbar.
	"web.f.server":      {en: "server", zh: "服务器"},
	"web.f.protocol":    {en: "protocol", zh: "协议"},
	"web.f.session":     {en: "session", zh: "会话"},
	"web.f.msgid":       {en: "follow message", zh: "跟踪邮件"},
	"web.f.all":         {en: "all", zh: "全部"},
	"web.f.none":        {en: "none", zh: "不跟踪"},
	"web.proto.smtp":    {en: "SMTP (push)", zh: "SMTP（推）"},
	"web.proto.pop3":    {en: "POP3 (pull)", zh: "POP3（拉）"},
	"web.proto.imap":    {en: "IMAP (pull)", zh: "IMAP（拉）"},
	"web.proto.http":    {en: "HTTP (webmail, pull)", zh: "HTTP（网页邮件，拉）"},
	"web.proto.none":    {en: "queue, lookups, notes", zh: "消息队列、查询和通知"},
	"web.pause":         {en: "Pause", zh: "暂停"},
	"web.resume":        {en: "Resume", zh: "继续"},
	"web.autoscroll":    {en: "auto-scroll", zh: "自动滚动"},
	"web.counts":        {en: "{shown} of {total} events", zh: "显示 {shown} 个事件，共 {total} 个"},
	"web.counts.paused": {en: "paused, {n} new", zh: "已暂停，{n} 个新事件"},

	// The ladder.
	"web.sessions":      {en: "Sessions", zh: "会话"},
	"web.ladder":        {en: "ladder diagram of the trace", zh: "跟踪的梯形图"},
	"web.empty":         {en: "Waiting for the first line. Open a terminal and talk to a server, for example {cmd}, or fetch a message in the Messages tab.", zh: "正在等待第一行。打开一个终端和服务器对话，例如 {cmd}，或者在“邮件”标签页里读取一封邮件。"},
	"web.lane.server":   {en: "server {name}", zh: "服务器 {name}"},
	"web.lane.client":   {en: "client of {name}", zh: "{name} 的客户端"},
	"web.lane.side":     {en: "{users}'s side", zh: "{users} 一方"},
	"web.event":         {en: "event {seq}", zh: "事件 {seq}"},
	"web.skipped":       {en: "skipped {n} events: this page fell behind or they are older than the kept history", zh: "跳过了 {n} 个事件：本页跟不上，或者它们早于保留的历史"},
	"web.data.expand":   {en: "expand the message body", zh: "展开消息体"},
	"web.data.collapse": {en: "collapse the message body", zh: "收起消息体"},
	"web.data.summary":  {en: "data: {lines} lines, {size} octets", zh: "数据：{lines} 行，{size} 字节"},
	"web.data.missing":  {en: "(the body is not in this event)", zh: "（这个事件里没有消息体）"},
	"web.connect":       {en: "connect {peer}", zh: "连接 {peer}"},
	"web.emptyline":     {en: "(empty line)", zh: "（空行）"},
	"web.closed":        {en: "✕ {session} closed", zh: "✕ {session} 已关闭"},
	"web.next":          {en: "next try in {d}", zh: "{d}后重试"},
	"web.trying":        {en: "trying now", zh: "正在重试"},
	"web.dur.now":       {en: "now", zh: "现在"},
	"web.dur.s":         {en: "{s}s", zh: "{s} 秒"},
	"web.dur.ms":        {en: "{m}m {s}s", zh: "{m} 分 {s} 秒"},
	"web.dur.hm":        {en: "{h}h {m}m", zh: "{h} 小时 {m} 分"},

	// What kind of event a row is.
	"web.kind.open":       {en: "open", zh: "连接"},
	"web.kind.close":      {en: "close", zh: "关闭"},
	"web.kind.line":       {en: "line", zh: "协议行"},
	"web.kind.data":       {en: "data", zh: "数据"},
	"web.kind.state":      {en: "state", zh: "状态"},
	"web.kind.queue":      {en: "queue", zh: "消息队列"},
	"web.kind.lookup":     {en: "lookup", zh: "查询"},
	"web.kind.fault":      {en: "fault", zh: "故障"},
	"web.kind.lesson":     {en: "lesson", zh: "课程"},
	"web.kind.tls":        {en: "TLS", zh: "TLS"},
	"web.kind.http":       {en: "HTTP", zh: "HTTP"},
	"web.kind.note":       {en: "note", zh: "通知"},
	"web.kind.skipped":    {en: "skipped", zh: "跳过"},
	"web.kind.diagnostic": {en: "diagnostic", zh: "诊断"},
	// A diagnostic event (tracer.KindDiagnostic) in the ladder and the
	// explanation panel.
	"web.diag.label": {en: "diagnostic", zh: "诊断"},
	"web.diag.head":  {en: "A likely mistake: what happened, then what to do", zh: "可能的错误：先说发生了什么，再说怎么做"},

	// The steps of the outgoing queue (queue.go), as marks on a lane.
	"web.step.queued":          {en: "queued", zh: "已进入消息队列"},
	"web.step.held":            {en: "held", zh: "暂缓发送"},
	"web.step.released":        {en: "released", zh: "已放行"},
	"web.step.attempt":         {en: "attempt", zh: "尝试投递"},
	"web.step.deferred":        {en: "deferred", zh: "已推迟"},
	"web.step.delivered":       {en: "delivered", zh: "已投递"},
	"web.step.delivered-local": {en: "delivered", zh: "已投递到本地邮箱"},
	"web.step.bounced":         {en: "bounced", zh: "已退信"},
	"web.step.flush":           {en: "flush", zh: "立即投递"},
	"web.step.recovered":       {en: "recovered", zh: "已恢复"},

	// Session states. SMTP's and IMAP's names are mailscope's and RFC
	// 9051's (section 3); POP3's are RFC 1939's own words (section 3), kept
	// beside the course's terms.
	"web.state.connected":         {en: "connected", zh: "已连接"},
	"web.state.greeted":           {en: "greeted", zh: "已问候"},
	"web.state.mail":              {en: "mail", zh: "已给出发件人"},
	"web.state.rcpt":              {en: "rcpt", zh: "已给出收件人"},
	"web.state.data":              {en: "data", zh: "接收邮件内容"},
	"web.state.not-authenticated": {en: "not authenticated", zh: "未认证"},
	"web.state.authenticated":     {en: "authenticated", zh: "已认证"},
	"web.state.selected":          {en: "selected", zh: "已选择"},
	"web.state.logout":            {en: "logout", zh: "注销"},
	"web.state.AUTHORIZATION":     {en: "AUTHORIZATION", zh: "AUTHORIZATION（授权状态）"},
	"web.state.TRANSACTION":       {en: "TRANSACTION", zh: "TRANSACTION（事务状态）"},
	"web.state.UPDATE":            {en: "UPDATE", zh: "UPDATE（更新状态）"},

	// Flags the framers set (event.go): the badge and its tooltip.
	"web.badge.bare-lf":     {en: "bare-lf", zh: "单独 LF"},
	"web.badge.bare-cr":     {en: "bare-cr", zh: "单独 CR"},
	"web.badge.8bit":        {en: "8bit", zh: "8 位字节"},
	"web.badge.dot-stuffed": {en: "dot-stuffed", zh: "点填充"},
	"web.badge.masked":      {en: "masked", zh: "已遮盖"},
	"web.badge.too-long":    {en: "too-long", zh: "过长"},
	"web.badge.nul":         {en: "nul", zh: "NUL"},
	"web.badge.encrypted":   {en: "encrypted", zh: "已加密"},
	"web.flag.bare-lf": {
		en:  "the line ended in LF alone, not CRLF (RFC 5321 section 2.3.8 requires CRLF)",
		zh:  "这一行只以 LF 结尾，而不是 CRLF（RFC 5321 第 2.3.8 节要求 CRLF）",
		rfc: "RFC 5321 section 2.3.8",
	},
	"web.flag.bare-cr": {en: "a CR not followed by LF inside the line", zh: "行内有一个后面不跟 LF 的 CR"},
	"web.flag.8bit": {
		en:  "bytes above 127 in a session that did not declare 8BITMIME (RFC 6152)",
		zh:  "会话没有声明 8BITMIME，却出现了大于 127 的字节（RFC 6152）",
		rfc: "RFC 6152",
	},
	"web.flag.dot-stuffed": {
		en:  "a body line began with a dot, so the client put one more dot in front; the server removes it again (RFC 5321 section 4.5.2)",
		zh:  "消息体中这一行以点开头，所以客户端在行首多加了一个点（点填充），服务器收下时再去掉它（RFC 5321 第 4.5.2 节）",
		rfc: "RFC 5321 section 4.5.2",
	},
	"web.flag.masked":    {en: "credentials hidden by mailscope: the real wire carries them readable", zh: "凭据已被 mailscope 遮盖：真实线路上它们是可读的"},
	"web.flag.too-long":  {en: "longer than the protocol allows; the text shown is cut", zh: "超过了协议允许的长度；显示的文本已截断"},
	"web.flag.nul":       {en: "a NUL byte crossed the wire", zh: "线路上出现了一个 NUL 字节"},
	"web.flag.encrypted": {en: "bytes after a TLS upgrade that the tap could not read", zh: "TLS 升级之后的字节，跟踪点无法读取"},

	// The explanation panel.
	"web.x.title":     {en: "Explanation", zh: "解释"},
	"web.x.hint":      {en: "Click an arrow to see what the line means, which RFC defines it, and the session's state before and after.", zh: "点击一个箭头，查看这一行的含义、定义它的 RFC，以及会话在这一行前后的状态。"},
	"web.x.c2s":       {en: "client → server", zh: "客户端 → 服务器"},
	"web.x.s2c":       {en: "server → client", zh: "服务器 → 客户端"},
	"web.x.rfc":       {en: "RFC", zh: "RFC"},
	"web.x.class":     {en: "reply class", zh: "响应类别"},
	"web.x.code":      {en: "response code", zh: "响应代码"},
	"web.x.enh":       {en: "enhanced code", zh: "增强状态代码"},
	"web.x.state":     {en: "state", zh: "状态"},
	"web.x.start":     {en: "(start)", zh: "（开始）"},
	"web.x.unchanged": {en: " (unchanged)", zh: "（未变）"},
	"web.x.flag":      {en: "flag {flag}", zh: "标记 {flag}"},
	"web.x.server":    {en: "server", zh: "服务器"},
	"web.x.hop":       {en: "hop", zh: "中继路径"},
	"web.x.client":    {en: "client", zh: "客户端"},
	"web.x.msgid":     {en: "message id", zh: "邮件编号"},
	"web.x.size":      {en: "size", zh: "大小"},
	"web.x.sizelines": {en: "{size} octets, {lines} lines", zh: "{size} 字节，{lines} 行"},
	"web.x.time":      {en: "time", zh: "时间"},
	"web.x.event":     {en: "event", zh: "事件"},
	"web.x.eventkind": {en: "#{seq} ({kind})", zh: "#{seq}（{kind}）"},
	// What a mark or a row says after its name: "deferred: ..." ("推迟：...").
	"web.colon":    {en: "{name}: {text}", zh: "{name}：{text}"},
	"web.x.follow": {en: "Follow message {id}", zh: "跟踪邮件 {id}"},
	"web.x.only":   {en: "Only session {id}", zh: "只看会话 {id}"},
	"web.x.bytes":  {en: "The bytes", zh: "原始字节"},
	"web.x.cut": {
		en: "The first {cut} of {size} octets: a trace event keeps the start of a message. The whole message is in the Messages view.",
		zh: "这是 {size} 字节中的前 {cut}：跟踪事件只保留邮件的开头。完整的邮件在“邮件”视图里。",
	},
	// Event attributes (queue.go's Attr names), as the panel lists them.
	"web.attr.step":         {en: "step", zh: "步骤"},
	"web.attr.diag":         {en: "mistake", zh: "错误类型"},
	"web.attr.rcpt":         {en: "recipient", zh: "收件人"},
	"web.attr.rcpts":        {en: "recipients", zh: "收件人"},
	"web.attr.queue_id":     {en: "queue id", zh: "队列编号"},
	"web.attr.user":         {en: "user", zh: "用户"},
	"web.attr.mailbox":      {en: "mailbox", zh: "邮箱"},
	"web.attr.uid":          {en: "UID", zh: "UID"},
	"web.attr.attempt":      {en: "attempt", zh: "第几次尝试"},
	"web.attr.next_attempt": {en: "next attempt", zh: "下次尝试"},
	"web.attr.to":           {en: "to", zh: "目标服务器"},
	"web.attr.error":        {en: "error", zh: "错误"},
	"web.attr.domain":       {en: "domain", zh: "域名"},
	"web.attr.fault":        {en: "fault", zh: "故障"},
	"web.attr.mode":         {en: "mode", zh: "模式"},
	"web.attr.command":      {en: "command", zh: "命令"},
	"web.attr.status":       {en: "status", zh: "状态代码"},
	"web.attr.size":         {en: "size", zh: "大小"},
	"web.attr.content_type": {en: "content type", zh: "内容类型"},
	"web.attr.preview_cut":  {en: "preview cut at", zh: "预览截断于"},

	// The session list.
	"web.s.only":      {en: "show only this session", zh: "只显示这个会话"},
	"web.s.hop":       {en: "hop {hop}", zh: "中继 {hop}"},
	"web.s.from":      {en: "from {peer}", zh: "来自 {peer}"},
	"web.s.lines":     {en: "{n} lines", zh: "{n} 行"},
	"web.s.closed":    {en: "closed", zh: "已关闭"},
	"web.s.open":      {en: "open", zh: "进行中"},
	"web.s.download":  {en: "download the transcript as {format}", zh: "下载会话记录（{format}）"},
	"web.s.fmt.text":  {en: "text", zh: "纯文本"},
	"web.s.fmt.md":    {en: "Markdown (for a lab report)", zh: "Markdown（用于实验报告）"},
	"web.s.fmt.jsonl": {en: "JSON Lines", zh: "JSON Lines"},

	// The lesson panel.
	"web.lesson":       {en: "lesson", zh: "课程"},
	"web.lesson.title": {en: "Lesson: {title}", zh: "课程：{title}"},
	"web.lesson.step":  {en: "step {n}", zh: "第 {n} 步"},
	"web.lesson.done":  {en: "★ Lesson complete", zh: "★ 课程完成"},

	// A session's transcript in Markdown, for a lab report (webui's
	// WriteMarkdown), in the instance's language.
	"web.md.session": {en: "Session {id}", zh: "会话 {id}"},
	"web.md.server":  {en: "server: {server}, protocol: {proto}", zh: "服务器：{server}，协议：{proto}"},
	"web.md.hop":     {en: "hop: {hop} (server {actor} is the client)", zh: "中继：{hop}（服务器 {actor} 是客户端）"},
	"web.md.client":  {en: "client: {peer}", zh: "客户端：{peer}"},
	"web.md.msgids":  {en: "message ids: {ids}", zh: "邮件编号：{ids}"},
	"web.md.span":    {en: "from {start} to {end}", zh: "从 {start} 到 {end}"},
	"web.md.time":    {en: "time", zh: "时间"},
	"web.md.who":     {en: "who", zh: "发送方"},
	"web.md.line":    {en: "line", zh: "协议行"},
	"web.md.meaning": {en: "meaning", zh: "含义"},
	"web.md.body":    {en: "{text} (event {seq})", zh: "{text}（事件 {seq}）"},

	// The messages view (the webmail).
	"web.m.server":     {en: "server", zh: "服务器"},
	"web.m.user":       {en: "user", zh: "用户"},
	"web.m.refresh":    {en: "Refresh", zh: "刷新"},
	"web.m.hint":       {en: "Every request of this webmail is an HTTP event in the timeline: pull, like POP3 and IMAP.", zh: "这个网页邮件的每个请求都是时间线上的一个 HTTP 事件：和 POP3、IMAP 一样是拉。"},
	"web.m.pick":       {en: "Pick a message.", zh: "请选择一封邮件。"},
	"web.m.nosubject":  {en: "(no subject)", zh: "（无主题）"},
	"web.m.nofrom":     {en: "(no From)", zh: "（没有 From）"},
	"web.m.empty":      {en: "empty", zh: "空"},
	"web.m.errboxes":   {en: "Could not read the mailboxes: {err}", zh: "无法读取邮箱：{err}"},
	"web.m.errmessage": {en: "Could not read the message: {err}", zh: "无法读取邮件：{err}"},
	"web.m.traceid":    {en: "trace id {id}", zh: "跟踪编号 {id}"},
	"web.m.follow":     {en: "Follow {id} in the timeline", zh: "在时间线中跟踪 {id}"},
	"web.m.headers":    {en: "Header fields (RFC 5322)", zh: "头部行（RFC 5322）", rfc: "RFC 5322 section 2.2"},
	"web.m.onwire":     {en: "on the wire: {raw}", zh: "线路上的原文：{raw}"},
	"web.m.mime":       {en: "MIME tree (RFC 2045, 2046)", zh: "MIME 结构树（RFC 2045、2046）", rfc: "RFC 2046 section 5.1"},
	"web.m.decoded":    {en: "Decoded text", zh: "解码后的文本"},
	"web.m.notext":     {en: "no text parts", zh: "没有文本部分"},
	"web.m.raw":        {en: "Raw source", zh: "原始内容"},
	"web.m.rawcut":     {en: "Raw source (first 1 MiB)", zh: "原始内容（前 1 MiB）"},
	"web.m.part":       {en: "part {path}", zh: "第 {path} 部分"},
	"web.m.whole":      {en: "message", zh: "整封邮件"},
	"web.m.encoding":   {en: "transfer encoding {enc}", zh: "传输编码 {enc}"},
	"web.m.decsize":    {en: "{n} octets decoded", zh: "解码后 {n} 字节"},
	"web.m.file":       {en: "file {name}", zh: "文件 {name}"},
	"web.m.texthead":   {en: "{part}: {type}", zh: "{part}：{type}"},
	"web.m.textdec":    {en: "{part}: {type}, decoded from {enc}", zh: "{part}：{type}，由 {enc} 解码"},
	"web.m.htmlsrc":    {en: " (as source only; not rendered)", zh: "（只显示源码，不渲染）"},
	"web.m.cut":        {en: "[… cut]", zh: "[… 已截断]"},

	// The HTML part the preview renders: its source here, rendered above.
	"web.m.htmlsrc.shown": {en: " (as source; rendered above in the sandboxed preview, with remote content blocked)", zh: "（此处显示源码；上方的沙箱预览渲染了它，并阻止了远程内容）"},

	// Why the message viewer could not show a part (webui/mime.go); {err}
	// is the MIME parser's own detail.
	"web.mime.notmessage": {en: "not a message: {err}", zh: "这不是一封邮件：{err}"},
	"web.mime.error":      {en: "{err}", zh: "无法解析这一部分：{err}"},
	"web.mime.undecoded":  {en: "{err} (shown undecoded)", zh: "{err}（按原样显示，未解码）"},
	"web.mime.multipart":  {en: "multipart: {err}", zh: "multipart 结构有误：{err}"},
	"web.mime.toomany":    {en: "too many nested parts: the rest is not shown", zh: "嵌套的部分太多：其余部分不再显示"},
	"web.mime.decoding":   {en: "decoding: {err}", zh: "解码出错：{err}"},

	// The queue and the fault switches.
	"web.q.faults":           {en: "Faults of the receiving servers", zh: "接收方服务器的故障"},
	"web.q.queue":            {en: "Queue", zh: "消息队列"},
	"web.q.domain":           {en: "domain", zh: "域名"},
	"web.q.all":              {en: "all domains", zh: "所有域名"},
	"web.q.flush":            {en: "Flush now (like ETRN)", zh: "立即投递（类似 ETRN）"},
	"web.q.message":          {en: "message", zh: "邮件"},
	"web.q.server":           {en: "server", zh: "服务器"},
	"web.q.from":             {en: "from", zh: "发件人"},
	"web.q.to":               {en: "to", zh: "收件人"},
	"web.q.status":           {en: "status", zh: "状态"},
	"web.q.attempts":         {en: "attempts", zh: "尝试次数"},
	"web.q.next":             {en: "next attempt", zh: "下次尝试"},
	"web.q.error":            {en: "last error", zh: "最近的错误"},
	"web.q.empty":            {en: "The queue is empty: mail to local users is delivered at once; mail for another domain waits here until the receiving server takes it.", zh: "消息队列是空的：发给本地用户的邮件会立即投递；发往其他域名的邮件在这里等待，直到接收方服务器收下它。"},
	"web.q.err":              {en: "Could not read the queue: {err}", zh: "无法读取消息队列：{err}"},
	"web.q.bounce":           {en: "<> (bounce)", zh: "<>（退信）"},
	"web.q.faulton":          {en: "server {server}: fault {fault} switched on", zh: "服务器 {server}：已打开故障“{fault}”"},
	"web.q.faultoff":         {en: "server {server}: no fault", zh: "服务器 {server}：无故障"},
	"web.q.flushed":          {en: "flush {domain}: {n} recipients to try now", zh: "立即投递 {domain}：现在尝试 {n} 个收件人"},
	"web.q.flushed.singular": {en: "flush {domain}: {n} recipient to try now", zh: "立即投递 {domain}：现在尝试 {n} 个收件人"},
	"web.qs.queued":          {en: "queued", zh: "排队中"},
	"web.qs.deferred":        {en: "deferred", zh: "已推迟"},
	"web.qs.delivering":      {en: "delivering", zh: "投递中"},
	"web.qs.sent":            {en: "sent", zh: "已发出"},
	"web.qs.bounced":         {en: "bounced", zh: "已退信"},
	"web.qs.held":            {en: "held", zh: "暂缓发送"},
	"web.qs.hold":            {en: "on hold (until ETRN)", zh: "队列暂停（等待 ETRN）"},
	"web.fault.none":         {en: "none", zh: "无故障"},
	"web.fault.down":         {en: "down", zh: "宕机"},
	"web.fault.greylist":     {en: "greylist", zh: "灰名单"},
	"web.fault.slow":         {en: "slow", zh: "缓慢"},
	"web.fault.quota":        {en: "quota", zh: "邮箱已满"},
	"web.fault.reject":       {en: "reject", zh: "拒收"},
	"web.fault.hold":         {en: "hold queue", zh: "暂停消息队列"},

	// What the web server answers a request it refuses (webui/access.go);
	// the page and the CLI show it.
	"web.err.host": {
		en: "mailscope does not answer to the name {name} (a defence against DNS rebinding): open it by this machine's address, or start it with --web-host {flag} to accept that name",
		zh: "mailscope 不接受主机名 {name}（防御 DNS 重绑定）：请用本机地址打开，或用 --web-host {flag} 启动 mailscope 以接受这个名字",
	},
	"web.err.origin": {
		en: "refused: a control action must come from mailscope's own page, not from {why}",
		zh: "已拒绝：控制操作只能来自 mailscope 自己的页面，而不是 {why}",
	},
	"web.err.token": {
		en: "this mailscope listens beyond its machine: reading the trace and the mail, and every control action, need the token. Open the address that mailscope up printed (/?token=...), or send Authorization: Bearer TOKEN (the CLI: --token or MAILSCOPE_TOKEN)",
		zh: "这个 mailscope 的网页在本机之外也可访问：读取跟踪和邮件、以及所有控制操作都需要令牌。请打开 mailscope up 打印的地址（/?token=...），或发送 Authorization: Bearer TOKEN（命令行：--token 或 MAILSCOPE_TOKEN）",
	},
	"web.err.loopback": {
		en: "control actions are accepted from this machine only (loopback); start mailscope with a web token to allow them from elsewhere",
		zh: "控制操作只接受来自本机（环回地址）的请求；要从别处使用，请给 mailscope 设置网页令牌",
	},
	"web.err.bearer": {
		en: "control actions from another machine need the header Authorization: Bearer TOKEN",
		zh: "来自其他机器的控制操作需要头部 Authorization: Bearer TOKEN",
	},

	// The webmail's own exchanges, traced as HTTP (webui/httptrace.go).
	"http.request": {
		en:  "The webmail pulls from server {server} over HTTP: one request, answered by one response carrying one object. Compare POP3 and IMAP (also pull) with SMTP (push).",
		zh:  "网页邮件通过 HTTP 从服务器 {server} 拉取：一个请求，一个响应，每个响应只带一个对象。可与同为拉协议的 POP3、IMAP 以及推协议 SMTP 对比。",
		rfc: "RFC 9110 section 9.3.1",
	},
	"http.response.ok": {
		en:  "{status}: the response carries the requested object, {size} octets. The connection may stay open for the next request, but each response holds one object.",
		zh:  "{status}：响应携带所请求的对象，共 {size} 字节。连接可以保持给下一个请求使用，但每个响应只带一个对象。",
		rfc: "RFC 9110 section 15",
	},
	"http.response.error": {
		en:  "{status}: the response carries an error message, {size} octets. The connection may stay open for the next request, but each response holds one object.",
		zh:  "{status}：响应携带一条错误信息，共 {size} 字节。连接可以保持给下一个请求使用，但每个响应只带一个对象。",
		rfc: "RFC 9110 section 15",
	},
}

// CatalogTexts returns every catalog text in lang ("en" or "zh"; anything
// else is English), falling back to English where a text is missing, and
// the RFC section of each key that has one: what the web page needs to
// render its own words and the events' prose in its reader's language.
func CatalogTexts(lang string) (texts, rfcs map[string]string) {
	x := NewExplainer(lang)
	texts, rfcs = map[string]string{}, map[string]string{}
	for _, k := range Keys() {
		t, rfc, _ := x.text(k)
		texts[k] = t
		if rfc != "" {
			rfcs[k] = rfc
		}
	}
	return texts, rfcs
}
