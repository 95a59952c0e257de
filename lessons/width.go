package lessons

import (
	"sort"
	"strings"
	"unicode"
)

// wideRanges are the code points a terminal draws two columns wide: the
// East Asian Wide (W) and Fullwidth (F) blocks of Unicode Standard Annex
// #11 that the course's texts can contain (CJK ideographs and punctuation,
// kana, Hangul, full-width forms, the emoji drawn wide). Ambiguous (A)
// characters such as ★ and ○ count one column, as terminals in a non-CJK
// locale show them.
var wideRanges = [][2]rune{
	{0x1100, 0x115F},   // Hangul Jamo initial consonants
	{0x231A, 0x231B},   // watch, hourglass
	{0x2329, 0x232A},   // angle brackets
	{0x23E9, 0x23EC},   // emoji arrows
	{0x23F0, 0x23F0},   // alarm clock
	{0x23F3, 0x23F3},   // hourglass
	{0x25FD, 0x25FE},   // small squares
	{0x2614, 0x2615},   // umbrella, hot beverage
	{0x2648, 0x2653},   // zodiac
	{0x26A1, 0x26A1},   // high voltage
	{0x26D4, 0x26D4},   // no entry
	{0x2705, 0x2705},   // white heavy check mark
	{0x270A, 0x270B},   // fists
	{0x2728, 0x2728},   // sparkles
	{0x274C, 0x274C},   // cross mark
	{0x274E, 0x274E},   // negative squared cross mark
	{0x2753, 0x2755},   // question and exclamation ornaments
	{0x2757, 0x2757},   // heavy exclamation mark
	{0x2795, 0x2797},   // heavy plus, minus, division
	{0x27B0, 0x27B0},   // curly loop
	{0x27BF, 0x27BF},   // double curly loop
	{0x2B1B, 0x2B1C},   // large squares
	{0x2B50, 0x2B50},   // star emoji
	{0x2B55, 0x2B55},   // heavy circle
	{0x2E80, 0x303E},   // CJK radicals, Kangxi, CJK symbols and punctuation (、。「」)
	{0x3041, 0x33FF},   // kana, bopomofo, Hangul compatibility jamo, CJK compatibility
	{0x3400, 0x4DBF},   // CJK extension A
	{0x4E00, 0x9FFF},   // CJK unified ideographs
	{0xA000, 0xA4CF},   // Yi
	{0xA960, 0xA97F},   // Hangul Jamo extended A
	{0xAC00, 0xD7A3},   // Hangul syllables
	{0xF900, 0xFAFF},   // CJK compatibility ideographs
	{0xFE10, 0xFE19},   // vertical forms
	{0xFE30, 0xFE6F},   // CJK compatibility forms, small form variants
	{0xFF00, 0xFF60},   // full-width forms (：，（）！)
	{0xFFE0, 0xFFE6},   // full-width signs (￥)
	{0x1F300, 0x1F64F}, // pictographs, emoticons
	{0x1F680, 0x1F6FF}, // transport and map symbols
	{0x1F900, 0x1F9FF}, // supplemental symbols and pictographs
	{0x20000, 0x2FFFD}, // CJK extensions B to F
	{0x30000, 0x3FFFD}, // CJK extension G and beyond
}

// runeWidth is how many terminal columns r takes: 2 for East Asian wide
// and full-width characters, 0 for combining marks and zero-width
// characters, 1 for the rest.
func runeWidth(r rune) int {
	if r < 0x1100 {
		if r >= 0x300 && unicode.Is(unicode.Mn, r) {
			return 0
		}
		return 1
	}
	switch {
	case r == 0x200B, r == 0x200C, r == 0x200D, r == 0xFEFF:
		return 0
	case unicode.Is(unicode.Mn, r):
		return 0
	}
	lo, hi := 0, len(wideRanges)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < wideRanges[m][0]:
			hi = m
		case r > wideRanges[m][1]:
			lo = m + 1
		default:
			return 2
		}
	}
	return 1
}

// Width is how many terminal columns s takes in a monospaced terminal: a
// Chinese character or full-width punctuation mark counts two, as the
// terminal draws it. Text that lines up columns with spaces must pad by
// Width, not by bytes or runes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// Pad returns s followed by spaces up to w columns (s itself when it is
// already as wide).
func Pad(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// cell is a piece of a line laid out in columns: its text and the column
// where it starts.
type cell struct {
	text string
	col  int
}

// cells splits line at runs of two or more spaces, the way a text laid out
// side by side separates its columns (the leading indentation is the first
// cell's column).
func cells(line string) []cell {
	var out []cell
	col := 0
	for line != "" {
		t := strings.TrimLeft(line, " ")
		col += len(line) - len(t)
		line = t
		if line == "" {
			break
		}
		end := strings.Index(line, "  ")
		if end < 0 {
			end = len(line)
		}
		out = append(out, cell{text: line[:end], col: col})
		col += Width(line[:end])
		line = line[end:]
	}
	return out
}

// expandAligned expands the ${name} placeholders of a text that lays out
// columns with spaces (the side-by-side POP3 and IMAP commands of
// pop3-vs-imap) and keeps its columns aligned: an address longer than its
// placeholder first uses up the spaces after it, and a column moves right
// (on every line, so that it stays a column) only when fewer than two
// spaces would be left. Columns are measured with Width, so a line of
// Chinese lines up with a line of ASCII as the terminal shows them.
func expandAligned(s string, expand func(string) string) string {
	lines := strings.Split(s, "\n")
	rows := make([][]cell, len(lines))
	for i, l := range lines {
		rows[i] = cells(l)
	}
	// shift[col] is how far the column starting at col in the text moves.
	shift := map[int]int{}
	var cols []int
	for _, r := range rows {
		for _, c := range r {
			if _, ok := shift[c.col]; !ok {
				shift[c.col] = 0
				cols = append(cols, c.col)
			}
		}
	}
	sort.Ints(cols)
	// Columns left to right: a column moves at least as far as the
	// columns before it, and far enough that the cell before it on every
	// line keeps two spaces.
	for k, col := range cols {
		need := 0
		if k > 0 {
			need = shift[cols[k-1]]
		}
		for _, r := range rows {
			for j := 1; j < len(r); j++ {
				if r[j].col != col {
					continue
				}
				prev := r[j-1]
				end := prev.col + shift[prev.col] + Width(expand(prev.text))
				need = max(need, end+2-col)
			}
		}
		shift[col] = need
	}
	for i, r := range rows {
		if len(r) < 2 {
			lines[i] = expand(lines[i])
			continue
		}
		var b strings.Builder
		at := 0
		for _, c := range r {
			b.WriteString(strings.Repeat(" ", max(c.col+shift[c.col]-at, 0)))
			t := expand(c.text)
			b.WriteString(t)
			at = c.col + shift[c.col] + Width(t)
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}
