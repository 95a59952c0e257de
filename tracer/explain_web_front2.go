package tracer

// webFront2Catalog holds the web page's words for a queue mark's countdown
// once its time has passed (issue 15): the ladder says what came next, or
// that the attempt is due or overdue, as the queue view does; never
// "trying now" for good.
var webFront2Catalog = map[string]entry{
	"web.cd.due":     {en: "due since {d}", zh: "已到期 {d}"},
	"web.cd.overdue": {en: "overdue by {d}: no attempt yet", zh: "已超时 {d}：还没有开始尝试"},
	"web.cd.then":    {en: "{step} {d} later", zh: "{d}后{step}"},
}
