package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailscope/mailscope/tracer"
)

// say renders the catalog text key (tracer/explain_cli.go) in lang, with
// its {name} arguments given as name, value pairs. Everything the command
// line tells its user comes through say, in English and Chinese.
func say(lang, key string, kv ...string) string {
	return tracer.NewExplainer(lang).Format(tracer.M(key, kv...))
}

// textError is an error whose message comes from the catalog and which
// still wraps the error it explains (errors.Is finds EADDRINUSE in it).
type textError struct {
	msg string
	err error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.err }

// sayErr is say for an error; err, when not nil, is its {err} argument and
// is wrapped.
func sayErr(lang, key string, err error, kv ...string) error {
	if err != nil {
		kv = append(kv, "err", err.Error())
	}
	return &textError{msg: say(lang, key, kv...), err: err}
}

// pickLang returns the language of the command line: the --lang flag, else
// MAILSCOPE_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG; a value
// starting with zh, like zh_CN.UTF-8, is Chinese). Anything else is English.
func pickLang(flag string) string {
	switch flag {
	case "en", "zh":
		return flag
	case "":
	default:
		return "en"
	}
	if l := strings.ToLower(os.Getenv("MAILSCOPE_LANG")); l != "" {
		return pickLang(l[:min(len(l), 2)])
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// checkLang refuses a --lang other than en or zh (in the language the
// environment asks for, since the flag's is unknown).
func checkLang(flag string) error {
	if flag != "" && flag != "en" && flag != "zh" {
		return sayErr(pickLang(""), "cli.err.lang", nil, "value", strconv.Quote(flag))
	}
	return nil
}

// helpKey is the catalog name of a command: "root", "queue.flush".
func helpKey(c *cobra.Command) string {
	if !c.HasParent() {
		return "root"
	}
	p := strings.Fields(c.CommandPath())
	return strings.Join(p[1:], ".")
}

// localize sets the help of root and every command under it, and the
// usage of their flags, from the catalog in lang: cli.help.KEY.short and
// .long, and cli.flag.KEY.NAME or else cli.flag.NAME. Cobra's own words
// (Usage:, Flags:, its help and completion commands) stay as cobra writes
// them.
func localize(root *cobra.Command, lang string) {
	x := tracer.NewExplainer(lang)
	text := func(key string) (string, bool) {
		if !tracer.HasKey(key, "en") {
			return "", false
		}
		return x.Text(key), true
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		k := helpKey(c)
		if t, ok := text("cli.help." + k + ".short"); ok {
			c.Short = t
		}
		if t, ok := text("cli.help." + k + ".long"); ok {
			c.Long = t
		}
		c.InitDefaultHelpFlag()
		set := func(f *pflag.Flag) {
			if f.Name == "help" {
				f.Usage = x.Format(tracer.M("cli.flag.help", "command", c.Name()))
			} else if t, ok := text("cli.flag." + k + "." + f.Name); ok {
				f.Usage = t
			} else if t, ok := text("cli.flag." + f.Name); ok {
				f.Usage = t
			}
		}
		c.Flags().VisitAll(set)
		c.PersistentFlags().VisitAll(set)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// localizeHelp makes root's help follow a --lang given on the command
// line (mailscope up --lang zh --help): cobra has parsed the flags by the
// time it shows help.
func localizeHelp(root *cobra.Command) {
	show := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if f := c.Flags().Lookup("lang"); f != nil && f.Changed {
			localize(c.Root(), pickLang(f.Value.String()))
		}
		show(c, args)
	})
}
