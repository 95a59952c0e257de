package tracer

// cliCatalog holds what the command line tells an operator about mailscope
// itself (not about a protocol line). Texts with %s take arguments in the
// order given in the comment.
var cliCatalog = map[string]entry{
	// %s: the database file, %s: what is wrong with it.
	"store.damaged": {
		en: "the mail store %s is damaged (%s). mailscope will not start on it: mail accepted now might not be readable later. Move the file away (with its -wal and -shm files) to start with an empty store, or restore it from a copy.",
		zh: "邮件存储文件 %s 已损坏（%s）。mailscope 不会在它上面启动：现在接受的邮件以后可能无法读出。请把该文件（连同 -wal、-shm 文件）移到别处，以空的存储重新开始，或者从备份恢复。",
	},
	"store.truncated": {en: "the file is empty (0 bytes): it was truncated", zh: "文件是空的（0 字节）：它被截断了"},
}
