package tracer

// dashboardCatalog holds the texts of the instructor's class dashboard
// (issue 17, classroom mode): the Class tab of the web page, a row per
// student from GET /api/class/progress. Replies are 响应 and the queue
// is the 消息队列, as in lessons/glossary.md.
var dashboardCatalog = map[string]entry{
	"web.tab.class":      {en: "Class", zh: "班级"},
	"web.d.title":        {en: "Class dashboard", zh: "班级总览"},
	"web.d.hint":         {en: "Every student's sessions, error replies and diagnostics, refreshed every few seconds. A student is stuck when they are connected and nothing happened for {idle} minutes, or when {n} or more error replies and diagnostics came within {window} minutes.", zh: "每个学生的会话、错误响应和诊断，每几秒刷新一次。学生已连接但 {idle} 分钟内没有任何进展，或 {window} 分钟内出现 {n} 次以上错误响应和诊断时，标记为卡住。"},
	"web.d.student":      {en: "Student", zh: "学生"},
	"web.d.signedin":     {en: "Signed in from", zh: "登录地址"},
	"web.d.sessions":     {en: "Sessions (open)", zh: "会话（进行中）"},
	"web.d.last":         {en: "Last activity", zh: "最近活动"},
	"web.d.errors":       {en: "Error replies", zh: "错误响应"},
	"web.d.diags":        {en: "Diagnostics", zh: "诊断"},
	"web.d.lesson":       {en: "Lesson and step", zh: "课程与步骤"},
	"web.d.state":        {en: "State", zh: "状态"},
	"web.d.show":         {en: "Show", zh: "展示"},
	"web.d.present":      {en: "Present their newest session", zh: "在投影上展示其最新会话"},
	"web.d.no":           {en: "not signed in", zh: "未登录"},
	"web.d.never":        {en: "never", zh: "从未"},
	"web.d.ago":          {en: "{n} s ago", zh: "{n} 秒前"},
	"web.d.step":         {en: "{lesson}: step {step} of {steps}", zh: "{lesson}：第 {step} 步，共 {steps} 步"},
	"web.d.ok":           {en: "working", zh: "进行中"},
	"web.d.stuck.idle":   {en: "⚠ STUCK: no progress", zh: "⚠ 卡住：没有进展"},
	"web.d.stuck.errors": {en: "⚠ STUCK: repeated errors", zh: "⚠ 卡住：反复出错"},
	"web.d.csv":          {en: "Download the class's progress (CSV)", zh: "下载班级进度（CSV）"},
	"web.d.actions":      {en: "For the whole class", zh: "全班操作"},
	"web.d.fault":        {en: "Fault", zh: "故障"},
	"web.d.faultall":     {en: "Switch it on for every server", zh: "在所有服务器上开启"},
	"web.d.hold":         {en: "Pause the message queue (hold on every server)", zh: "暂停消息队列（所有服务器 hold）"},
	"web.d.clear":        {en: "Clear every fault", zh: "清除所有故障"},
	"web.d.done":         {en: "Done: {fault} on {n} servers.", zh: "完成：{n} 台服务器已设为 {fault}。"},
	"web.d.failed":       {en: "Refused: {err}", zh: "被拒绝：{err}"},
	"web.d.none":         {en: "No class runs (mailscope up --class N starts one).", zh: "当前没有班级（用 mailscope up --class N 开始）。"},
	"web.d.count":        {en: "{n} students, {stuck} stuck.", zh: "共 {n} 名学生，{stuck} 名卡住。"},
}
