package tracer

// webPresentCatalog holds the texts of the web timeline's presenter mode
// (issue 15): the mode's buttons, the stepping and play-back controls, the
// relative-time column, the export and the themes. The page reads them
// through GET /api/catalog with the rest of webCatalog.
var webPresentCatalog = map[string]entry{
	"web.present":        {en: "Present", zh: "演示"},
	"web.present.title":  {en: "Presenter mode for a projector (key p): the ladder gets the width, whole arrow labels with their explanations, step through with the arrow keys", zh: "投影演示模式（按 p 键）：梯形图占满宽度，箭头标签完整显示并附上解释，用方向键逐行讲解"},
	"web.theme.title":    {en: "Colours: light, dark or high contrast", zh: "配色：浅色、深色或高对比度"},
	"web.theme.light":    {en: "Light", zh: "浅色"},
	"web.theme.dark":     {en: "Dark", zh: "深色"},
	"web.theme.contrast": {en: "High contrast", zh: "高对比度"},

	"web.lane.clientn": {en: "client {n} of {name}", zh: "{name} 的客户端 {n}"},

	"web.lesson.close": {en: "Close the lesson panel (it opens again with the next lesson)", zh: "关闭课程面板（下一个课程开始时会再次打开）"},
	"web.fold.open":    {en: "show the {n} more lines of this reply", zh: "展开这条回复的另外 {n} 行"},
	"web.fold.close":   {en: "fold the reply's lines into one arrow again", zh: "把这条回复的多行重新折叠成一个箭头"},

	"web.p.bar":           {en: "presenter controls", zh: "演示控制"},
	"web.p.prev":          {en: "◀ Line", zh: "◀ 上一行"},
	"web.p.prev.title":    {en: "The previous line (Up or Left arrow)", zh: "上一行（上方向键或左方向键）"},
	"web.p.next":          {en: "Line ▶", zh: "下一行 ▶"},
	"web.p.next.title":    {en: "The next line (Down or Right arrow)", zh: "下一行（下方向键或右方向键）"},
	"web.p.session":       {en: "Next session", zh: "下一个会话"},
	"web.p.session.title": {en: "Jump to the next session's first line (key n)", zh: "跳到下一个会话的第一行（按 n 键）"},
	"web.p.message":       {en: "Next message", zh: "下一封邮件"},
	"web.p.message.title": {en: "Jump to the next message's first line (key m)", zh: "跳到下一封邮件的第一行（按 m 键）"},
	"web.p.play":          {en: "▶ Play", zh: "▶ 播放"},
	"web.p.pause":         {en: "❚❚ Pause", zh: "❚❚ 暂停"},
	"web.p.scrub":         {en: "Step through the lines", zh: "逐行浏览"},
	"web.p.live":          {en: "Live", zh: "实时"},
	"web.p.live.title":    {en: "Stop stepping and follow the newest lines again (Escape)", zh: "停止逐行讲解，重新跟随最新的行（Esc 键）"},
	"web.p.why":           {en: "Explanations", zh: "解释"},
	"web.p.why.title":     {en: "Write each arrow's explanation under it", zh: "在每个箭头下方写出它的解释"},
	"web.p.panels":        {en: "Panels", zh: "侧栏"},
	"web.p.panels.title":  {en: "Show the sessions, explanation and lesson panels beside the ladder", zh: "在梯形图旁显示会话、解释和课程侧栏"},
	"web.p.svg":           {en: "SVG", zh: "SVG"},
	"web.p.png":           {en: "PNG", zh: "PNG"},
	"web.p.export":        {en: "Export the lines in view, with their explanations, as a picture for slides", zh: "把可见的行连同解释导出为图片，用于幻灯片"},
	"web.p.keys":          {en: "← → step · n next session · m next message · s this session only · Enter explanation · Esc live · p leave", zh: "← → 逐行 · n 下一个会话 · m 下一封邮件 · s 只看本会话 · Enter 解释 · Esc 实时 · p 退出"},
	"web.p.pos":           {en: "line {n} of {total}", zh: "第 {n} 行，共 {total} 行"},
	"web.p.later":         {en: "{d} later", zh: "{d} 之后"},
	"web.p.ms":            {en: "+{n} ms", zh: "+{n} 毫秒"},
	"web.p.s":             {en: "+{n} s", zh: "+{n} 秒"},
}
