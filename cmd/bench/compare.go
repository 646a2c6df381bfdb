package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/reports"
	"github.com/txbench/txbench/runner"
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
	plan     *option.Set // --parallel
	// given are the run options of the command line and scenario file.
	given map[string]string
}

// planFlags registers the run options exactly as `bench run` has them
// plus the options of a plan. The run's --engine gives way to --engines.
func planFlags(cmd *cobra.Command, po *planOptions, defaultOut string) {
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&po.engines, "engines", "", "engines to run, comma-separated names or aliases (default: every simulated engine)")
	fs.StringVarP(&po.out, "out", "o", defaultOut, "write the HTML report here")
	fs.StringVar(&po.outDir, "out-dir", po.outDir, "keep every run's results file (JSON) in this folder")
	fs.StringVar(&po.png, "png", "", "also write every chart as a PNG into this folder")
	fs.StringVar(&po.scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	fs.BoolVarP(&po.quiet, "quiet", "q", false, "no progress bar")
	po.plan = planSet(fs, &po.parallel)
	addOptionFlags(fs)
	_ = fs.MarkHidden("engine")
	setOptionHelp(cmd)
}

// prepare reads the run options of the command line and scenario file and
// checks that the outputs can be written, before any run.
func (po *planOptions) prepare(fs *pflag.FlagSet) error {
	if fs.Changed("engine") {
		return errors.New("--engine: this command runs several engines: use --engines")
	}
	var err error
	if po.given, err = givenOptions(fs, po.scenario); err != nil {
		return err
	}
	if err := po.plan.Check(); err != nil {
		return err
	}
	return checkWritable("--out", po.out)
}

// configFrom returns a plan's Config function: the options given on the
// command line or in the scenario file, then the point's own. An option
// of one of the plan's engines (or of simulated engines) is left out of
// the runs of the engines it does not apply to; one that applies to none
// is refused when the run is resolved.
func configFrom(given map[string]string, planEngines []string) func(map[string]string) (runner.Config, error) {
	catalog := runner.Catalog()
	return func(opts map[string]string) (runner.Config, error) {
		cfg := runner.DefaultConfig()
		cfg.Options = maps.Clone(given)
		maps.Copy(cfg.Options, opts)
		engine := cfg.Options["engine"]
		for name := range cfg.Options {
			if name == "engine" || appliesTo(catalog, name, engine) {
				continue
			}
			if slices.ContainsFunc(planEngines, func(e string) bool { return appliesTo(catalog, name, e) }) {
				delete(cfg.Options, name)
			}
		}
		return cfg, nil
	}
}

// appliesTo tells whether the option is the engine's own or one of the
// group (simulated engines, real databases) the engine belongs to.
func appliesTo(catalog []*option.Set, name, engine string) bool {
	m, err := engines.Lookup(engine)
	if err != nil {
		return false
	}
	owners := runner.Owners(catalog, name)
	for _, o := range owners {
		switch {
		case o == "engine "+m.Name,
			o == runner.OwnerSimulator && m.Simulated,
			o == runner.OwnerReal && !m.Simulated:
			return true
		case !strings.HasPrefix(o, "engine ") && o != runner.OwnerSimulator && o != runner.OwnerReal:
			return true // the runner's or a workload's
		}
	}
	return false
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
	current, started := 0, 0
	pl.Started = func(i int, p reports.Point) {
		current = i
		started++
		if bar {
			// By how many have started: a parallel plan starts its
			// points out of order (costliest first).
			drawPlanBar(os.Stderr, started-1, n, p.Label, 0)
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
			points, topo := reports.ComparePlan(names, po.given["topology"])
			pl := &reports.Plan{Points: points, Config: configFrom(po.given, names), OutDir: po.outDir, Parallel: po.parallel}
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
	planFlags(cmd, &po, "report.html")
	return cmd
}
