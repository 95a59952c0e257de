package webui

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailscope/mailscope/tracer"
)

// TestBrowserTrim: past 50,000 events the page lets the oldest go (it
// keeps 40,000) without building its rows again. The rows, their places
// and the view stay right: a page following the newest shows the newest,
// and a reader scrolled up to an older line still sees that line.
func TestBrowserTrim(t *testing.T) {
	inst, _, base := newWorldBus(t, Options{}, "127.0.0.1:0")
	pg := newPageSize(t, 1280, 720)
	pg.deadline = time.Now().Add(3 * time.Minute)
	pg.step("loading the page", chromedp.Navigate(base+"/"))
	pg.wait("the websocket", `document.body.dataset.ws === "open"`)

	// Published in chunks the page takes in before the next: a live
	// viewer's queue holds fewer than 50,000.
	publish := func(n int) uint64 {
		for range n / 10000 {
			for i := 0; i < 10000; i++ {
				inst.Bus.Publish(&tracer.Event{Kind: tracer.KindLine, Session: "A-smtp-7", Server: "A", Proto: "smtp", Dir: tracer.C2S, Text: "NOOP"})
			}
			pg.waitUpTo("the page to take the events in", `window.__mailscope.lastSeq >= `+strconv.FormatUint(inst.Bus.Seq(), 10)+` && !window.__mailscope.incoming.length`, time.Minute)
		}
		return inst.Bus.Seq()
	}
	// consistent checks the rows against the events: every event is a row
	// (a NOOP line is one), each a unit high, the first at the top.
	consistent := func(when string) {
		t.Helper()
		if got := pg.eval(`(() => {
			const S = window.__mailscope;
			if (S.events.length > 50000 || S.events.length < 40000) return "events " + S.events.length;
			if (S.rows.length !== S.events.length) return "rows " + S.rows.length + " for events " + S.events.length;
			if (S.rows[0] !== S.events[0]) return "the first row is not the oldest event";
			if (S.tops.length !== S.rows.length + 1 || S.tops[0] !== 0 || S.tops[S.tops.length - 1] !== S.rows.length) return "tops " + S.tops[0] + ".." + S.tops[S.tops.length - 1] + " (" + S.tops.length + ") for " + S.rows.length + " rows";
			return "ok";
		})()`); got != "ok" {
			t.Errorf("%s: %s", when, got)
		}
	}
	// inView says whether the row of seq is drawn inside the ladder's
	// visible part.
	inView := func(seq uint64) bool {
		return pg.eval(`(() => {
			const r = document.querySelector('#rows .row[data-seq="`+strconv.FormatUint(seq, 10)+`"]');
			if (!r) return "no";
			const a = r.getBoundingClientRect(), l = document.querySelector("#ladder").getBoundingClientRect();
			return a.top >= l.top - 1 && a.bottom <= l.bottom + 1 ? "yes" : "no";
		})()`) == "yes"
	}

	// A sampler after each frame: the ladder is never blank while the
	// page holds rows (a trim took the drawn rows away, and a follow that
	// waited in a burst left nothing drawn for a quarter of a second).
	pg.eval(`(() => {
		window.__blank = 0;
		const look = () => { const S = window.__mailscope; if (S.rows.length && !document.querySelector("#rows .row")) window.__blank++; };
		const loop = () => { setTimeout(look, 0); requestAnimationFrame(loop); };
		requestAnimationFrame(loop);
		return "";
	})()`)
	newest := publish(60000)
	consistent("following the newest")
	if n := pg.eval(`String(window.__blank)`); n != "0" {
		t.Errorf("the ladder was blank after %s frames of the burst", n)
	}
	pg.waitUpTo("the newest row in view", `document.querySelector('#rows .row[data-seq="`+strconv.FormatUint(newest, 10)+`"]') !== null`, 10*time.Second)
	if !inView(newest) {
		t.Errorf("following the newest after a trim: event %d not in view", newest)
	}

	// A reader scrolls up to an older line; the next trim takes the rows
	// above it away, and the line stays where the reader left it.
	older := newest - 2000
	pg.eval(`(() => {
		const S = window.__mailscope, i = S.rows.findIndex(e => e.seq === ` + strconv.FormatUint(older, 10) + `);
		const l = document.querySelector("#ladder");
		l.scrollTop = S.tops[i] * parseFloat(getComputedStyle(document.body).getPropertyValue("--row-h")) - 100;
		return "";
	})()`)
	pg.waitUpTo("the older row in view", `document.querySelector('#rows .row[data-seq="`+strconv.FormatUint(older, 10)+`"]') !== null && !document.querySelector("#autoscroll").checked`, 10*time.Second)
	before := pg.eval(`String(Math.round(document.querySelector('#rows .row[data-seq="` + strconv.FormatUint(older, 10) + `"]').getBoundingClientRect().top))`)
	publish(20000)
	consistent("scrolled up")
	pg.waitUpTo("the older row drawn again", `document.querySelector('#rows .row[data-seq="`+strconv.FormatUint(older, 10)+`"]') !== null`, 10*time.Second)
	if !inView(older) {
		t.Fatalf("after a trim, the line the reader scrolled to (event %d) left the view", older)
	}
	if after := pg.eval(`String(Math.round(document.querySelector('#rows .row[data-seq="` + strconv.FormatUint(older, 10) + `"]').getBoundingClientRect().top))`); after != before {
		t.Errorf("after a trim the line the reader scrolled to moved from y=%s to y=%s", before, after)
	}

	// A reader on one of the oldest lines, the ones the next trims would
	// take: the rows from the first in view stay (the view did jump to the
	// top and drift), and go once the page follows again.
	oldest := pg.eval(`String(window.__mailscope.rows[60].seq)`)
	pg.eval(`(() => {
		const l = document.querySelector("#ladder");
		l.scrollTop = 50 * parseFloat(getComputedStyle(document.body).getPropertyValue("--row-h"));
		return "";
	})()`)
	pg.waitUpTo("the oldest lines in view", `document.querySelector('#rows .row[data-seq="`+oldest+`"]') !== null && !document.querySelector("#autoscroll").checked`, 10*time.Second)
	before = pg.eval(`String(Math.round(document.querySelector('#rows .row[data-seq="` + oldest + `"]').getBoundingClientRect().top))`)
	publish(20000)
	pg.waitUpTo("the oldest line drawn again", `document.querySelector('#rows .row[data-seq="`+oldest+`"]') !== null`, 10*time.Second)
	if after := pg.eval(`String(Math.round(document.querySelector('#rows .row[data-seq="` + oldest + `"]').getBoundingClientRect().top))`); after != before {
		t.Errorf("a trim past the line the reader is on moved it from y=%s to y=%s", before, after)
	}
	if got := pg.eval(`String(window.__mailscope.events.length <= 50000 && window.__mailscope.rows.length > window.__mailscope.events.length)`); got != "true" {
		t.Errorf("the trims under the reader: %s", pg.eval(`"events " + window.__mailscope.events.length + ", rows " + window.__mailscope.rows.length`))
	}
	pg.eval(`(() => { const a = document.querySelector("#autoscroll"); a.checked = true; a.dispatchEvent(new Event("change")); return ""; })()`)
	newest = publish(20000)
	consistent("following again")
	pg.waitUpTo("the newest row in view again", `document.querySelector('#rows .row[data-seq="`+strconv.FormatUint(newest, 10)+`"]') !== null`, 10*time.Second)
	if !inView(newest) {
		t.Errorf("following again after a trim: event %d not in view", newest)
	}

	// The scroll bar dragged to the very top: the first rows are drawn
	// (a scroll to 0 was taken for the page's own, none pending: -1).
	pg.eval(`(() => { document.querySelector("#ladder").scrollTop = 5000; return ""; })()`)
	pg.waitUpTo("the reader's scroll taken", `!document.querySelector("#autoscroll").checked`, 10*time.Second)
	pg.eval(`(() => { document.querySelector("#ladder").scrollTop = 0; return ""; })()`)
	pg.waitUpTo("the first row drawn at the top", `document.querySelector('#rows .row[data-seq="' + window.__mailscope.rows[0].seq + '"]') !== null`, 10*time.Second)
}
