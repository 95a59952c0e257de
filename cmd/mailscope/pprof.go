package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
)

// startPprof serves Go's profiler on $MAILSCOPE_PPROF (a loopback address
// such as 127.0.0.1:6060) when it is set: for measuring mailscope under
// load (scripts/bench, BENCHMARKS.md). It is off by default.
func startPprof(out io.Writer) {
	addr := os.Getenv("MAILSCOPE_PPROF")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(out, say(pickLang(""), "cli.pprof.ignored", "value", strconv.Quote(addr)))
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(out, "MAILSCOPE_PPROF: %v\n", err)
		return
	}
	fmt.Fprintln(out, say(pickLang(""), "cli.pprof.on", "url", "http://"+l.Addr().String()+"/debug/pprof/"))
	go http.Serve(l, mux)
}
