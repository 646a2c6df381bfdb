package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/reports"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

const compareExamples = `  bench compare --engines occ,2pc --workload ycsb-a
  bench compare --workload ycsb --theta 0.9 --topology us-3 --clients 64 -o skew.html --out-dir skew/
  bench compare --config scenario.yaml --png charts/        # every chart also as a PNG`

// planOptions are the options of a command that runs a plan of runs
// (compare, sweep) besides the run options themselves.
type planOptions struct {
	engines  string
	out      string
	outDir   string
	png      string
	scenario string
	quiet    bool
	parallel int
}

// planFlags registers the run options exactly as `bench run` has them
// (runFlags, every engine's and workload's options) plus the options of a
// plan. The run's --engine gives way to --engines.
func planFlags(fs *pflag.FlagSet, po *planOptions, defaultOut string) {
	fs.SortFlags = false
	var cfg runner.Config // the values are read back by name, see configFrom
	fs.StringVar(&po.engines, "engines", "", "engines to run, comma-separated names or aliases (default: every simulated engine)")
	runFlags(fs, &cfg)
	_ = fs.MarkHidden("engine")
	fs.StringVarP(&po.out, "out", "o", defaultOut, "write the HTML report here")
	fs.StringVar(&po.outDir, "out-dir", po.outDir, "keep every run's results file (JSON) in this folder")
	fs.StringVar(&po.png, "png", "", "also write every chart as a PNG into this folder")
	fs.StringVar(&po.scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	fs.BoolVarP(&po.quiet, "quiet", "q", false, "no progress bar")
	fs.IntVar(&po.parallel, "parallel", runtime.NumCPU(), "simulated runs at once (results are the same as one at a time; runs on a real database always go one at a time)")
	engines.RegisterFlags(fs)
	workloads.RegisterFlags(fs)
}

// prepare applies the scenario file and checks the options shared by every
// run of the plan.
func (po *planOptions) prepare(fs *pflag.FlagSet) error {
	if fs.Changed("engine") {
		return errors.New("--engine: this command runs several engines: use --engines")
	}
	if err := applyOptions(fs, po.scenario); err != nil {
		return err
	}
	if po.parallel < 1 {
		return fmt.Errorf("--parallel must be at least 1, got %d", po.parallel)
	}
	return nil
}

// configFrom returns a plan's Config function: each call builds a fresh
// flag set with every run option (as `bench run` registers them), copies
// the options given on the command line or in the scenario file, then sets
// the point's own. A fresh set per run keeps runs independent and keeps
// the plan's own flags out of each results file's config.
func configFrom(given *pflag.FlagSet) func(map[string]string) (runner.Config, error) {
	return func(opts map[string]string) (runner.Config, error) {
		var cfg runner.Config
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		runFlags(fs, &cfg)
		engines.RegisterFlags(fs)
		workloads.RegisterFlags(fs)
		var errs []error
		given.Visit(func(f *pflag.Flag) {
			if fs.Lookup(f.Name) == nil || f.Name == "engine" {
				return
			}
			if err := fs.Set(f.Name, flagText(f)); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %v", f.Name, err))
			}
		})
		for _, name := range slices.Sorted(maps.Keys(opts)) {
			v := opts[name]
			if fs.Lookup(name) == nil {
				errs = append(errs, fmt.Errorf("--param: unknown option %q (see bench run --help)", name))
				continue
			}
			if err := fs.Set(name, v); err != nil {
				errs = append(errs, fmt.Errorf("--param %s=%s: %v", name, v, err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return cfg, err
		}
		cfg.Flags = fs
		return cfg, nil
	}
}

// flagText is a flag's value as Set accepts it back (a slice prints as
// "[a,b]" but is set from "a,b").
func flagText(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// executePlan runs a plan with a progress bar on a terminal and a line per
// finished run on stdout. On Ctrl-C it returns what finished and
// interrupted = true.
func executePlan(cmd *cobra.Command, pl *reports.Plan, quiet bool) (runs []reports.Run, interrupted bool, err error) {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdout := cmd.OutOrStdout()
	n := len(pl.Points)
	bar := !quiet && isTerminal(os.Stderr)
	current := 0
	pl.Started = func(i int, p reports.Point) {
		current = i
		if bar {
			drawPlanBar(os.Stderr, i, n, p.Label, 0)
		}
	}
	if bar && pl.Parallel <= 1 {
		pl.Progress = func(done, total time.Duration, _ int64) {
			drawPlanBar(os.Stderr, current, n, pl.Points[current].Label, float64(done)/float64(total))
		}
	}
	pl.Finished = func(i int, r reports.Run) {
		if bar {
			fmt.Fprint(os.Stderr, "\r\033[K")
		}
		fmt.Fprintf(stdout, "[%d/%d] %s\n", i+1, n, r.Headline())
	}
	runs, err = pl.Run(ctx)
	if bar {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if errors.Is(err, context.Canceled) {
		return runs, true, nil
	}
	return runs, false, err
}

// drawPlanBar draws one line: runs done out of all, and the current run.
func drawPlanBar(w io.Writer, i, n int, label string, frac float64) {
	const width = 24
	overall := (float64(i) + min(max(frac, 0), 1)) / float64(n)
	k := int(overall * width)
	fmt.Fprintf(w, "\r[%s%s] %d/%d  %s %3.0f%%\033[K", strings.Repeat("=", k), strings.Repeat(" ", width-k), i+1, n, label, 100*frac)
}

// writePlanReport writes the report of a plan's runs and says where.
func writePlanReport(w io.Writer, rep *reports.Report, out, png string) error {
	pngs, err := rep.WriteFile(out, png)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	fmt.Fprintf(w, "report written to %s\n", out)
	if len(pngs) > 0 {
		fmt.Fprintf(w, "%d charts written to %s\n", len(pngs), png)
	}
	return nil
}

func newCompareCmd() *cobra.Command {
	var po planOptions
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Run the same workload, seed and topology on several engines; one report, side by side",
		Long: `compare runs the same workload with the same options, seed and topology on each
engine in turn and writes one HTML report with the engines side by side. Every
option of bench run is accepted (see bench run --help). Without --topology the
engines all run on the first engine's default topology; each keeps its own clock
uncertainty unless --epsilon is given.`,
		Example: compareExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if err := po.prepare(fs); err != nil {
				return usage(err)
			}
			names, err := reports.ParseEngines(po.engines)
			if err != nil {
				return usage(err)
			}
			topo, _ := fs.GetString("topology")
			points, topo := reports.ComparePlan(names, topo)
			pl := &reports.Plan{Points: points, Config: configFrom(fs), OutDir: po.outDir, Parallel: po.parallel}
			out := cmd.OutOrStdout()
			if topo == "" {
				topo = "each engine's default"
			}
			fmt.Fprintf(out, "comparing %s on topology %s\n", strings.Join(names, ", "), topo)
			runs, interrupted, err := executePlan(cmd, pl, po.quiet)
			if err != nil {
				return usage(err)
			}
			if len(runs) > 0 {
				fmt.Fprintln(out)
				if err := reports.WriteSummaryTable(out, runs); err != nil {
					return err
				}
				if err := writePlanReport(out, &reports.Report{Runs: runs}, po.out, po.png); err != nil {
					return err
				}
			}
			if interrupted {
				fmt.Fprintln(os.Stderr, "bench: interrupted; the report covers the runs that finished")
				return exitError{exitInterrupted}
			}
			return nil
		},
	}
	cmd.SetContext(context.Background())
	planFlags(cmd.Flags(), &po, "report.html")
	return cmd
}
