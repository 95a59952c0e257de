package tracer

// imap16Catalog holds the texts of issue 16's IMAP changes: the folder
// name that is not valid modified UTF-7, and the ID command (RFC 2971).
var imap16Catalog = map[string]entry{
	// ID (RFC 2971), answered in front of imapserver (servers/imap/id.go).
	"imap.data.ID": {
		en:  "* ID: the server's own name, the answer to the client's ID; the client's fields were read, and change nothing.",
		zh:  "* ID：服务器自己的名称，是对客户端 ID 的回答；客户端发来的字段已读取，不改变任何东西。",
		rfc: "RFC 2971 section 3.2"},
	"imap.tagged.OK.ID": {
		en:  "Tagged OK: ID is done; the session stays in the state it was in.",
		zh:  "带标签的 OK：ID 完成；会话保持原来的状态。",
		rfc: "RFC 2971 section 3.1"},

	// A folder name that is not valid modified UTF-7 (servers/imap/mutf7.go).
	"diag.imap.mutf7": {
		en: "The folder name {name} is not valid modified UTF-7: {why}. The server did not run the command on it.",
		zh: "文件夹名 {name} 不是有效的修改版 UTF-7：{why}。服务器没有对它执行这条命令。"},
	"diag.imap.mutf7.hint": {
		en:  "IMAP folder names travel in modified UTF-7: letters, digits and other printable ASCII stand for themselves, but & begins an encoded run of non-ASCII characters (&AOQ- is ä) that - ends. To write & itself, write &-: CREATE \"Tom &- Jerry\" makes the folder Tom & Jerry. Your mail client does this encoding for you.",
		zh:  "IMAP 文件夹名以修改版 UTF-7 传输：字母、数字等可打印 ASCII 字符代表自身，但 & 开始一段编码的非 ASCII 字符（&AOQ- 是 ä），由 - 结束。要写 & 本身，请写 &-：CREATE \"Tom &- Jerry\" 创建名为 Tom & Jerry 的文件夹。邮件客户端会替你完成这种编码。",
		rfc: "RFC 3501 section 5.1.3"},
}
