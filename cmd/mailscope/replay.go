package main

import (
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/tracer"
)

func newReplayCmd() *cobra.Command {
	var color string
	var explain, showData bool
	var speed float64
	cmd := &cobra.Command{
		Use:  "replay FILE",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			out := cmd.OutOrStdout()
			lang := pickLang("")
			useCol, err := useColor(color, lang, out)
			if err != nil {
				return err
			}
			c := tracer.NewConsole(out, tracer.ConsoleOptions{Color: useCol, Explain: explain, Data: showData})
			var last time.Time
			n := 0
			err = tracer.ReadJSONL(f, func(e *tracer.Event) error {
				if speed > 0 && !last.IsZero() && e.Time.After(last) {
					c.Flush()
					time.Sleep(time.Duration(float64(e.Time.Sub(last)) / speed))
				}
				last = e.Time
				c.Print(e)
				n++
				return nil
			})
			c.Flush()
			if err != nil {
				return sayErr(lang, "cli.err.replay", err, "file", args[0], "n", strconv.Itoa(n))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&color, "color", "auto", "")
	f.BoolVar(&explain, "explain", true, "")
	f.BoolVar(&showData, "show-data", false, "")
	f.Float64Var(&speed, "speed", 0, "")
	return cmd
}
