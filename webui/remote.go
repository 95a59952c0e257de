package webui

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// RemoteRef is one thing an HTML part would fetch from elsewhere when
// rendered: an image, a stylesheet, a frame, a background. The preview
// loads none of them (its Content-Security-Policy allows nothing remote).
type RemoteRef struct {
	Tag   string `json:"tag"` // img, link, css url(), ...
	URL   string `json:"url"`
	Pixel bool   `json:"pixel,omitempty"` // an image of at most 1x1 or hidden: a tracking pixel
}

// maxRemoteRefs bounds the list.
const maxRemoteRefs = 100

var (
	// An HTML start tag with its attributes (HTML's tokenizer is kinder
	// to broken markup; this errs on the side of listing more).
	tagRE = regexp.MustCompile(`(?is)<([a-z][a-z0-9]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>`)
	// One attribute: name = "value" | 'value' | value.
	attrRE = regexp.MustCompile(`(?is)([a-z][a-z0-9_:-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)`)
	// A CSS url(...) or @import "...".
	cssURLRE = regexp.MustCompile(`(?is)url\(\s*("[^"]*"|'[^']*'|[^)\s]*)\s*\)|@import\s+("[^"]*"|'[^']*')`)
)

// fetchAttrs are the attributes whose URL a browser loads by itself, by
// tag ("" for any tag). A link a reader must click (<a href>) is not one.
var fetchAttrs = map[string][]string{
	"":       {"src", "background", "poster", "srcset", "data", "lowsrc", "dynsrc"},
	"link":   {"href"},
	"image":  {"href", "xlink:href"}, // SVG
	"use":    {"href", "xlink:href"},
	"object": {"codebase"},
}

// RemoteRefs lists the remote URLs (http, https, protocol-relative, ftp)
// that the HTML in src would load when rendered, in order, each once.
func RemoteRefs(src string) []RemoteRef {
	out := []RemoteRef{}
	seen := map[string]bool{}
	add := func(tag, u string, pixel bool) {
		u = strings.TrimSpace(unquote(u))
		if !isRemote(u) || seen[u] || len(out) >= maxRemoteRefs {
			return
		}
		seen[u] = true
		if len(u) > 2000 {
			u = u[:2000]
		}
		out = append(out, RemoteRef{Tag: tag, URL: u, Pixel: pixel})
	}
	for _, m := range tagRE.FindAllStringSubmatch(src, -1) {
		tag := strings.ToLower(m[1])
		attrs := map[string]string{}
		var order []string
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			name := strings.ToLower(a[1])
			if _, ok := attrs[name]; !ok {
				order = append(order, name)
			}
			attrs[name] = html.UnescapeString(unquote(a[2]))
		}
		pixel := tag == "img" && isPixel(attrs)
		for _, name := range order {
			if !loads(tag, name) {
				continue
			}
			if name == "srcset" {
				for _, c := range strings.Split(attrs[name], ",") {
					if f := strings.Fields(c); len(f) > 0 {
						add(tag+" srcset", f[0], pixel)
					}
				}
				continue
			}
			add(tag, attrs[name], pixel)
		}
		// <meta http-equiv="refresh" content="0; url=..."> would send the
		// frame there by itself (the preview takes the tag out).
		if tag == "meta" && strings.EqualFold(strings.TrimSpace(attrs["http-equiv"]), "refresh") {
			if _, u, ok := strings.Cut(attrs["content"], "="); ok {
				add("meta refresh", u, false)
			}
		}
		if st, ok := attrs["style"]; ok {
			for _, u := range cssURLs(st) {
				add(tag+" style", u, false)
			}
		}
	}
	// Style sheets inside <style> elements.
	lower := strings.ToLower(src)
	for i := 0; ; {
		j := strings.Index(lower[i:], "<style")
		if j < 0 {
			break
		}
		start := i + j
		end := strings.Index(lower[start:], "</style")
		if end < 0 {
			end = len(lower) - start
		}
		for _, u := range cssURLs(src[start : start+end]) {
			add("style", u, false)
		}
		i = start + end
		if i >= len(lower) {
			break
		}
		i++
	}
	return out
}

func loads(tag, attr string) bool {
	for _, a := range fetchAttrs[""] {
		if a == attr {
			return true
		}
	}
	for _, a := range fetchAttrs[tag] {
		if a == attr {
			return true
		}
	}
	return false
}

func cssURLs(css string) []string {
	var out []string
	for _, m := range cssURLRE.FindAllStringSubmatch(css, -1) {
		if m[1] != "" {
			out = append(out, m[1])
		} else if m[2] != "" {
			out = append(out, m[2])
		}
	}
	return out
}

// isPixel says whether an <img> is made not to be seen: 0 or 1 pixel wide
// or high, or hidden by its style.
func isPixel(attrs map[string]string) bool {
	tiny := func(v string) bool {
		v = strings.TrimSuffix(strings.TrimSpace(v), "px")
		n, err := strconv.Atoi(v)
		return err == nil && n <= 1
	}
	if tiny(attrs["width"]) || tiny(attrs["height"]) {
		return true
	}
	st := strings.ReplaceAll(strings.ToLower(attrs["style"]), " ", "")
	return strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") ||
		strings.Contains(st, "width:1px") || strings.Contains(st, "height:1px") ||
		strings.Contains(st, "width:0") || strings.Contains(st, "height:0")
}

// isRemote says whether u names a resource on another machine.
func isRemote(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "//") || strings.HasPrefix(l, "ftp://")
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// metaRE finds <meta> tags with an http-equiv attribute.
var metaRE = regexp.MustCompile(`(?is)<meta\b(?:[^>"']|"[^"]*"|'[^']*')*\bhttp-equiv\b(?:[^>"']|"[^"]*"|'[^']*')*>`)

// stripMetaEquiv takes out every <meta http-equiv> of an HTML preview: a
// refresh would navigate the sandboxed frame to a remote address by itself
// (a sandbox stops scripts, not that), and the others (a Content-Security-
// Policy, a cookie) have no business in a preview.
func stripMetaEquiv(b []byte) []byte {
	return metaRE.ReplaceAll(b, nil)
}
