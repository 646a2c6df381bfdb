package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/sim"
)

const runExamples = `  bench run --engine occ --workload ycsb-a
  bench run --engine occ --workload ycsb-a --topology us-3 --clients 64 --duration 60s --seed 7 --out a.json
  bench run --engine dsql --workload ycsb --ops-per-txn 10 --write-frac 0.5 --theta 0.9 --records 100000
  bench run --engine occ --workload ycsb-b --rate 2000 --duration 30s      # open loop
  bench run --config scenario.yaml --seed 3                                # flags override the file
  bench run --engine occ --workload bank --topology region-3az --fault crash:us-east-1a@5s+10s --duration 30s --check`

func newRunCmd() *cobra.Command {
	var (
		out        string
		scenario   string
		quiet      bool
		check      bool
		cpuprofile string
		memprofile string
		histPath   string
		histLimit  int64
	)
	cmd := &cobra.Command{
		Use:     "run",
		Short:   "Run a workload against an engine and print a summary",
		Long:    "Run a workload against an engine and print a summary.\n\nFaults (--fault, repeatable; in a scenario file, a list under fault:):\n  " + sim.FaultSyntax,
		Example: runExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := runConfig(cmd.Flags(), scenario, runner.DefaultConfig())
			if err != nil {
				return usage(err)
			}
			if err := checkWritable("--out", out); err != nil {
				return usage(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if !quiet {
				cfg.Log = os.Stderr // wall-time runs: a progress line per interval
			}
			var cc *consistency
			if check {
				var err error
				if cc, err = newConsistency(ctx, &cfg); err != nil {
					return usage(err)
				}
			}
			closeHistory, err := historySink(&cfg, histPath, histLimit)
			if err != nil {
				return usage(err)
			}
			if !quiet && isTerminal(os.Stderr) {
				cfg.Progress = progressBar(os.Stderr)
			}
			if cpuprofile != "" {
				f, err := os.Create(cpuprofile)
				if err != nil {
					return usage(fmt.Errorf("--cpuprofile: %w", err))
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			if memprofile != "" {
				defer func() {
					if err := writeMemProfile(memprofile); err != nil {
						fmt.Fprintln(os.Stderr, "--memprofile:", err)
					}
				}()
			}
			res, err := runner.Run(ctx, cfg)
			if cfg.Progress != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			if cerr := closeHistory(); err == nil && cerr != nil {
				return fmt.Errorf("--history: %w", cerr)
			}
			if err != nil {
				return runError(ctx, err)
			}
			if err := report(cmd.OutOrStdout(), res, cfg, out); err != nil {
				return err
			}
			return cc.finish(cmd.OutOrStdout())
		},
	}
	cmd.SetContext(context.Background())
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVarP(&out, "out", "o", "", "write the results file (JSON, schema txbench.result/v1) here; checked to be writable before the run")
	fs.StringVar(&scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a Go CPU profile of bench itself here (go tool pprof; loading included)")
	fs.StringVar(&memprofile, "memprofile", "", "write a Go allocation profile of bench itself here after the run (go tool pprof)")
	historyFlags(fs, &histPath, &histLimit)
	fs.BoolVar(&check, "check", false, "after the run, check the workload's consistency conditions on the final state (tpcc: 3.3.2.1-12); exit 1 if one fails")
	addOptionFlags(fs)
	setOptionHelp(cmd)
	return cmd
}

// checkWritable makes sure a file can be created at path before any work
// starts, so a long run does not end in an unwritable output.
func checkWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s %s: is a folder", flag, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".bench-check-*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write there: %w", flag, path, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// runError maps an error of runner.Run to an exit code: bad input 2, an
// interrupt 130 (at any stage, loading included), anything else 1.
func runError(ctx context.Context, err error) error {
	var bad runner.BadInput
	if errors.As(err, &bad) {
		return usage(err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		return exitError{exitInterrupted}
	}
	return err
}

// report prints the summary and writes the results file; an interrupted
// run still writes what it measured.
func report(w io.Writer, res *runner.Result, cfg runner.Config, out string) error {
	setup, more := "", []string(nil)
	if len(res.Notes) > 0 {
		setup, more = res.Notes[0], res.Notes[1:]
	}
	fmt.Fprintf(w, "%s · %s · %s · %d clients · %s measured (%s) · seed %d\n",
		res.Engine, res.Workload, setup, cfg.Clients,
		time.Duration(res.DurationS*float64(time.Second)).Round(time.Millisecond), modeTime(res.Mode), res.Seed)
	runner.WriteSummary(w, res)
	for _, n := range more {
		fmt.Fprintln(w, "note: "+n)
	}
	if out != "" {
		if err := res.WriteFile(out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(w, "results written to %s\n", out)
	}
	if res.Partial {
		fmt.Fprintln(os.Stderr, "bench: interrupted; the figures cover the part of the run that finished")
		return exitError{exitInterrupted}
	}
	return nil
}

func modeTime(mode string) string {
	if mode == "simulated" {
		return "virtual time"
	}
	return "wall time"
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws one line on a terminal: virtual time done and commits.
func progressBar(w io.Writer) func(done, total time.Duration, committed int64) {
	const width = 30
	return func(done, total time.Duration, committed int64) {
		frac := float64(done) / float64(total)
		frac = min(max(frac, 0), 1)
		n := int(frac * width)
		fmt.Fprintf(w, "\r[%s%s] %3.0f%%  %v / %v virtual  %d committed\033[K",
			strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100,
			done.Round(time.Millisecond), total, committed)
	}
}

// writeMemProfile writes the allocation profile (pprof's allocs: every
// allocation since the start, sampled) to path.
func writeMemProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// The profile holds what the last finished collection saw; a run
	// often ends long after it (a 30 s YCSB-A run collects 4 times), so
	// one is run first, as runtime/pprof advises.
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
