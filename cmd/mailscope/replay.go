package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailscope/mailscope/tracer"
)

func newReplayCmd() *cobra.Command {
	var color string
	var explain, showData bool
	var speed float64
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Print a trace recorded with --record FILE, colored and explained",
		Long: `replay reads a JSON Lines trace written by mailscope up --record FILE and
prints it the way up does. With --speed it keeps the original pace (2 = twice as
fast); without, it prints everything at once.

  mailscope up --record lab1.jsonl     # record a lab session
  mailscope replay lab1.jsonl          # read it again later
  mailscope replay --speed 1 lab1.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			out := cmd.OutOrStdout()
			useCol, err := useColor(color, out)
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
				return fmt.Errorf("%s: after %d events: %w", args[0], n, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&color, "color", "auto", "color: auto, always or never")
	f.BoolVar(&explain, "explain", true, "print the explanation under each line")
	f.BoolVar(&showData, "show-data", false, "print message bodies in full")
	f.Float64Var(&speed, "speed", 0, "replay at the recorded pace times this factor (0: all at once)")
	return cmd
}
