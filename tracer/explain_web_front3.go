package tracer

// webFront3Catalog holds the page's names of the operator's queue steps
// (a queue mark on the ladder starts with the step's name in the reader's
// words, "retry now", 立即重试, never the internal key "retry-now") and
// where a search found a message by an attachment's file name.
var webFront3Catalog = map[string]entry{
	"web.m.search.in.attachment": {en: "an attachment's file name", zh: "附件的文件名"},
	"web.step.retry-now":         {en: "retry now", zh: "立即重试"},
	"web.step.bounce-now":        {en: "bounce now", zh: "立即退信"},
}
