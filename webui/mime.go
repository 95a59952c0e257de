package webui

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-8859-x, GB2312, GBK, ... text parts to UTF-8
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mailscope/mailscope/tracer"
)

// Bounds of the message viewer: a hostile message cannot make it parse or
// send without end.
const (
	maxRawShown   = 1 << 20   // octets of raw source sent
	maxTextShown  = 256 << 10 // decoded octets of one text part sent
	maxPartDepth  = 16
	maxParts      = 256
	maxPartOctets = 32 << 20 // decoded octets read from one part
)

// MessageView is the answer of GET /api/messages/{id}.
type MessageView struct {
	ID      string    `json:"id"`
	Server  string    `json:"server"`
	User    string    `json:"user"`
	Mailbox string    `json:"mailbox"`
	UID     uint32    `json:"uid"`
	Flags   []string  `json:"flags"`
	Date    time.Time `json:"date"`
	MsgID   string    `json:"msgid,omitempty"`
	Size    int       `json:"size"`

	Subject string  `json:"subject"`
	Headers []Field `json:"headers"`
	Tree    *Part   `json:"tree"`
	Raw     string  `json:"raw"`
	RawCut  bool    `json:"raw_truncated,omitempty"`
	Error   string  `json:"error,omitempty"` // why parsing stopped, if it did
	// ErrorMsg is Error as a catalog message, for the page to say in its
	// reader's language (the parser's own detail stays as it is).
	ErrorMsg *tracer.Msg `json:"error_msg,omitempty"`

	// HTMLPart is the path of the text/html part the preview shows
	// (GET /api/messages/{id}/html), "-" when there is none.
	HTMLPart string `json:"html_part"`
	// Remote lists what that HTML would fetch from elsewhere: the preview
	// blocks it all.
	Remote []RemoteRef `json:"remote"`
	// Attachments are the parts offered for download
	// (GET /api/messages/{id}/parts/{path}).
	Attachments []Attachment `json:"attachments"`
}

// Attachment is a part offered for download.
type Attachment struct {
	Path        string `json:"path"`
	Filename    string `json:"filename"` // as the download names it
	ContentType string `json:"content_type"`
	Size        int    `json:"size"` // decoded octets
}

// Field is one header field: the name, the value with RFC 2047 encoded
// words decoded, and the value as it was on the wire.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Raw   string `json:"raw,omitempty"` // only when it differs from Value
}

// Part is one node of the MIME tree (RFC 2045 section 5, RFC 2046 section 5.1).
type Part struct {
	Path        string            `json:"path"` // "", "1", "1.2": IMAP's section numbers
	ContentType string            `json:"content_type"`
	Params      map[string]string `json:"params,omitempty"`
	Encoding    string            `json:"encoding"` // Content-Transfer-Encoding, "7bit" when absent
	Charset     string            `json:"charset,omitempty"`
	Disposition string            `json:"disposition,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	Headers     []Field           `json:"headers"`
	Size        int               `json:"size"`           // decoded octets
	Text        *string           `json:"text,omitempty"` // decoded text of text/* parts
	TextCut     bool              `json:"text_truncated,omitempty"`
	Error       string            `json:"error,omitempty"`
	ErrorMsg    *tracer.Msg       `json:"error_msg,omitempty"` // Error as a catalog message
	Parts       []*Part           `json:"parts,omitempty"`
}

// mimeError returns what went wrong as English text (Error) and as a
// catalog message (ErrorMsg); the argument "err" is the parser's own words.
func mimeError(key string, kv ...string) (string, *tracer.Msg) {
	m := tracer.M(key, kv...)
	return tracer.NewExplainer("en").Format(m), m
}

// ParseMessage parses a stored message for the viewer. It never fails: what
// cannot be parsed is reported in Error fields and the raw source is always
// there.
func ParseMessage(raw []byte) *MessageView {
	v := &MessageView{Size: len(raw), Headers: []Field{}}
	shown := raw
	if len(shown) > maxRawShown {
		shown, v.RawCut = shown[:maxRawShown], true
	}
	v.Raw = string(shown)
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		v.Error, v.ErrorMsg = mimeError("web.mime.notmessage", "err", err.Error())
		return v
	}
	v.Headers = fields(ent.Header)
	mh := mail.Header{Header: ent.Header}
	if s, err := mh.Subject(); err == nil {
		v.Subject = s
	} else {
		v.Subject = ent.Header.Get("Subject")
	}
	n := 0
	v.Tree = walk(ent, err, "", 0, &n)
	v.HTMLPart, v.Remote, v.Attachments = "-", []RemoteRef{}, []Attachment{}
	if h := firstHTML(v.Tree); h != nil {
		v.HTMLPart = h.Path
		if h.Text != nil {
			v.Remote = RemoteRefs(*h.Text)
		}
	}
	v.Attachments = attachments(v.Tree, v.HTMLPart, v.Attachments)
	return v
}

// firstHTML is the first text/html part of the tree (depth first), the
// one a mail client shows of a multipart/alternative (RFC 2046 section
// 5.1.4 puts the richest last; a client that renders HTML picks it).
func firstHTML(p *Part) *Part {
	if p == nil {
		return nil
	}
	if p.ContentType == "text/html" && len(p.Parts) == 0 {
		return p
	}
	for _, c := range p.Parts {
		if h := firstHTML(c); h != nil {
			return h
		}
	}
	return nil
}

// attachments lists the leaf parts that are not the message's text: those
// with a file name or an attachment disposition, and every non-text part
// (RFC 2183 section 2.2), except the part the preview shows.
func attachments(p *Part, htmlPath string, out []Attachment) []Attachment {
	if p == nil {
		return out
	}
	if len(p.Parts) > 0 && !strings.HasPrefix(p.ContentType, "message/") {
		for _, c := range p.Parts {
			out = attachments(c, htmlPath, out)
		}
		return out
	}
	text := strings.HasPrefix(p.ContentType, "text/") && p.Disposition != "attachment" && p.Filename == ""
	if p.Path == "" || text || p.Path == htmlPath && p.ContentType == "text/html" {
		return out
	}
	return append(out, Attachment{Path: p.Path, Filename: downloadName(p.Filename, p.Path), ContentType: p.ContentType, Size: p.Size})
}

// downloadName is a file name that is safe to offer: the last element of
// name, without control characters, path separators or leading dots,
// bounded; "part-PATH.bin" when nothing is left.
func downloadName(name, path string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ':' || r == '"' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|' ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == utf8.RuneError {
			return -1 // control and bidi characters, and those file systems refuse
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 100 {
		name = string(r[len(r)-100:])
	}
	if name == "" {
		return "part-" + path + ".bin"
	}
	return name
}

// walk builds the tree of one entity. Paths are IMAP's section numbers
// (RFC 9051 section 6.4.5): the message itself has none, the parts of a
// multipart at path P are P.1, P.2 (the top's are 1, 2), and the message
// inside a message/rfc822 part keeps its part's path.
func walk(ent *message.Entity, entErr error, path string, depth int, n *int) *Part {
	*n++
	ct, params, _ := ent.Header.ContentType()
	if ct == "" {
		ct = "text/plain" // RFC 2045 section 5.2
	}
	p := &Part{Path: path, ContentType: ct, Params: params, Headers: fields(ent.Header),
		Encoding: strings.ToLower(ent.Header.Get("Content-Transfer-Encoding"))}
	if p.Encoding == "" {
		p.Encoding = "7bit"
	}
	p.Charset = params["charset"]
	if d, dp, err := ent.Header.ContentDisposition(); err == nil {
		p.Disposition = d
		p.Filename = dp["filename"]
	}
	if p.Filename == "" {
		p.Filename = params["name"]
	}
	if entErr != nil && !message.IsUnknownCharset(entErr) && !message.IsUnknownEncoding(entErr) {
		p.Error, p.ErrorMsg = mimeError("web.mime.error", "err", entErr.Error())
	} else if entErr != nil {
		p.Error, p.ErrorMsg = mimeError("web.mime.undecoded", "err", entErr.Error())
	}
	if mr := ent.MultipartReader(); mr != nil {
		i := 0
		for {
			child, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if child == nil {
				p.Error, p.ErrorMsg = mimeError("web.mime.multipart", "err", err.Error())
				break
			}
			i++
			if depth >= maxPartDepth || *n >= maxParts {
				p.Error, p.ErrorMsg = mimeError("web.mime.toomany")
				break
			}
			p.Parts = append(p.Parts, walk(child, err, childPath(path, i), depth+1, n))
		}
		return p
	}
	body, err := io.ReadAll(io.LimitReader(ent.Body, maxPartOctets))
	if err != nil && p.Error == "" {
		p.Error, p.ErrorMsg = mimeError("web.mime.decoding", "err", err.Error())
	}
	p.Size = len(body)
	switch {
	case strings.HasPrefix(ct, "text/"):
		shown := body
		if len(shown) > maxTextShown {
			shown, p.TextCut = shown[:maxTextShown], true
		}
		t := string(shown)
		if !utf8.ValidString(t) {
			t = strings.ToValidUTF8(t, "\uFFFD")
		}
		p.Text = &t
	case ct == "message/rfc822" && depth < maxPartDepth:
		inner, ierr := message.Read(bytes.NewReader(body))
		if inner != nil {
			p.Parts = append(p.Parts, walk(inner, ierr, path, depth+1, n))
		}
	}
	return p
}

// childPath numbers the i-th part of the multipart at parent.
func childPath(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

// fields lists header fields in order, decoded.
func fields(h message.Header) []Field {
	out := []Field{}
	fs := h.Fields()
	for fs.Next() {
		f := Field{Name: fs.Key(), Value: fs.Value()}
		if t, err := fs.Text(); err == nil && t != f.Value {
			f.Raw, f.Value = f.Value, t
		}
		out = append(out, f)
	}
	return out
}

// summary returns the From, To and Subject of a message for a listing,
// reading the header only.
func summary(raw []byte) (from, to, subject string) {
	h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(bytes.NewReader(raw), 64<<10)))
	if err != nil && !errors.Is(err, io.EOF) && h.Len() == 0 {
		return "", "", ""
	}
	mh := mail.Header{Header: message.Header{Header: h}}
	get := func(k string) string {
		if t, err := mh.Text(k); err == nil {
			return t
		}
		return mh.Get(k)
	}
	return get("From"), get("To"), get("Subject")
}
