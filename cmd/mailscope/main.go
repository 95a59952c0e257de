// Command mailscope runs a small simulated internet of mail servers whose
// every protocol line is traced and explained. Run it with no arguments to
// start the default world (servers A and B), then telnet to it.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "mailscope:", err)
		os.Exit(1)
	}
}
