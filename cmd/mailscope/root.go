package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

// options are the flags shared by the commands that start or watch a world.
type options struct {
	data     string
	world    string
	host     string
	portBase int
	web      string
	webHosts []string
	color    string
	lang     string
	record   string
	explain  bool
	showData bool
	quiet    bool
}

func newRootCmd() *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "mailscope",
		Short: "A teaching playground for email: real SMTP, POP3 and IMAP servers, every line traced and explained",
		Long: `mailscope runs a small simulated internet of mail servers on your machine:
server A for a.example (user alice) and server B for b.example (user bob), each
with real SMTP, POP3 and IMAP listeners. Every line that crosses a socket is
printed here, colored and explained: what the command does, what the reply
code means, and which RFC says so.

Start it, then open a second terminal and talk to a server by hand:

  mailscope                       # same as: mailscope up
  telnet 127.0.0.1 10025          # SMTP of server A (port 25 if mailscope may bind it)
    HELO laptop
    MAIL FROM:<alice@a.example>
    RCPT TO:<alice@a.example>
    DATA
    Subject: hi
    (empty line)
    hello
    .
    QUIT

The port layout from a base N: server A on N+25 (SMTP), N+110 (POP3), N+143
(IMAP); server B on N+1025, N+1110, N+1143. N is 0 (the standard ports) when
the process may bind them, else 10000.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd, o)
		},
	}
	addWorldFlags(root, o)
	root.AddCommand(newUpCmd(o), newVersionCmd(), newTraceCmd(), newQueueCmd(), newFaultCmd(), newReplayCmd(), newLessonsCmd(), newLessonCmd(), newDemoCmd())
	return root
}

func addWorldFlags(cmd *cobra.Command, o *options) {
	f := cmd.Flags()
	f.StringVar(&o.data, "data", defaultDataDir(), "directory for the mail store, TLS certificate and progress")
	f.StringVar(&o.world, "world", "", "world file (YAML) describing servers, domains and users; default: the built-in world")
	f.StringVar(&o.host, "host", "", "address to listen on (default 127.0.0.1, from the world)")
	f.IntVar(&o.portBase, "port-base", -1, "port base N: A on N+25/N+110/N+143, B on N+1025/...; 0 = standard ports (default: standard ports if allowed, else 10000)")
	f.StringVar(&o.web, "web", "", "address of the web timeline (default 127.0.0.1:8025; 0.0.0.0:8025 for a classroom, then the token is needed)")
	f.StringArrayVar(&o.webHosts, "web-host", nil, "a name under which the web timeline is reached (repeatable, added to the world's web_hosts); besides this machine's addresses and hostname, other names are refused (DNS rebinding)")
	f.StringVar(&o.color, "color", "auto", "color the console trace: auto, always or never (NO_COLOR is respected)")
	f.StringVar(&o.lang, "lang", "", "language of explanations: en or zh (default: from LANG)")
	f.StringVar(&o.record, "record", "", "also write every trace event to this file as JSON Lines")
	f.BoolVar(&o.explain, "explain", true, "print a one-line explanation under each protocol line")
	f.BoolVar(&o.showData, "show-data", false, "print message bodies in full instead of a one-line summary")
	f.BoolVar(&o.quiet, "quiet", false, "print only the start-up banner, not the trace (the web timeline and --record still get every event)")
}

func newUpCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the world's mail servers and stream the explained trace (the default command)",
		Long: `up starts every server of the world (by default A for a.example and B for
b.example) with SMTP, POP3 and IMAP listeners, prints the live addresses, the
users and a first command to try, then streams every protocol line with its
explanation until you press Ctrl-C. Mail is kept in the data directory, so it
is still there after a restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runUp(cmd, o) },
	}
	addWorldFlags(cmd, o)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mailscope's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
		},
	}
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("mailscope %s %s/%s %s", v, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// defaultDataDir is a per-user data directory: $XDG_DATA_HOME/mailscope,
// ~/.local/share/mailscope, or the OS's config directory elsewhere.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "mailscope")
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "mailscope")
		}
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "mailscope")
	}
	return ".mailscope"
}
