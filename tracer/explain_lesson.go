package tracer

// lessonCatalog holds the lesson runner's words added for issue 14 (the
// pace of steps a student watches rather than types); the runner's older
// words are in cliCatalog under lesson.ui.
var lessonCatalog = map[string]entry{
	"lesson.ui.pace": {
		en: "[Enter] when you have read this: the trace goes on from here",
		zh: "[回车] 读完后按回车：跟踪从这里继续显示",
	},
}
