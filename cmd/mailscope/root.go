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
	class    string // --class N or a roster file (up only)
}

func newRootCmd() *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:           "mailscope",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd, o)
		},
	}
	addWorldFlags(root, o)
	addClassFlag(root, o)
	root.AddCommand(newUpCmd(o), newVersionCmd(), newTraceCmd(), newQueueCmd(), newFaultCmd(), newReplayCmd(), newLessonsCmd(), newLessonCmd(), newDemoCmd())
	// The help of every command and flag is in the catalog, in the
	// language of the environment, or of --lang when help is asked for.
	localize(root, pickLang(""))
	localizeHelp(root)
	return root
}

// addWorldFlags adds the flags of up (and of lesson and demo, which may
// start the world); their usage texts are the catalog's (localize).
func addWorldFlags(cmd *cobra.Command, o *options) {
	f := cmd.Flags()
	f.StringVar(&o.data, "data", defaultDataDir(), "")
	f.StringVar(&o.world, "world", "", "")
	f.StringVar(&o.host, "host", "", "")
	f.IntVar(&o.portBase, "port-base", -1, "")
	f.StringVar(&o.web, "web", "", "")
	f.StringArrayVar(&o.webHosts, "web-host", nil, "")
	f.StringVar(&o.color, "color", "auto", "")
	f.StringVar(&o.lang, "lang", "", "")
	f.StringVar(&o.record, "record", "", "")
	f.BoolVar(&o.explain, "explain", true, "")
	f.BoolVar(&o.showData, "show-data", false, "")
	f.BoolVar(&o.quiet, "quiet", false, "")
}

func newUpCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:  "up",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runUp(cmd, o) },
	}
	addWorldFlags(cmd, o)
	addClassFlag(cmd, o)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:  "version",
		Args: cobra.NoArgs,
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
