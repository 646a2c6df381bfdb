package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/isolation"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

const checkExamples = `  bench check --workload append                       # record a history on occ, find its isolation anomalies
  bench check --workload append --engine 2pc --key-dist hotkey
  bench check --workload register --engine pg --isolation repeatable-read
  bench check --from-history h.jsonl.gz --claim serializable   # judge a history bench run --history recorded
  bench check                                         # TPC-C, 1 warehouse: load, run 10s on occ, check 3.3.2.1-12
  bench check --load-only --warehouses 2              # the initial population only
  bench check --workload tpcc --scale 0.1 --clients 64 --duration 30s --seed 3
  bench run --workload tpcc --check                   # the same check after an ordinary run`

func newCheckCmd() *cobra.Command {
	var (
		out      string
		scenario string
		quiet    bool
		loadOnly bool
		// isolation checks
		claim, fromHistory, histPath string
		histLimit                    int64
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run a workload and check it: isolation anomalies in its history (append, register) or consistency conditions on the final state",
		Long: `check loads the workload into the engine and runs it as bench run would.

With --workload append or register it records every attempt (operations with
the values read and written, outcome, client times), then checks the history
for isolation anomalies (G0, G1a, G1b, G1c, G-single, G2-item, lost update, and
with real-time order for levels that promise it) and judges them against the
level the engine claims at its --isolation (or --claim): anomalies the level
forbids make the exit code 1; the ones it allows are reported as allowed.
Each class found is shown with a count and its smallest evidence.

With other workloads (unless --load-only) it reads the final state through the
engine in one read-only transaction and evaluates the workload's consistency
conditions (TPC-C: clause 3.3.2.1 to 3.3.2.12 on every warehouse; bank: the
total balance). Each condition is listed with pass, FAIL or skipped; the exit
code is 1 when any fails. It takes every option of bench run.`,
		Example: checkExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromHistory != "" {
				return checkHistoryFile(cmd.OutOrStdout(), fromHistory, claim)
			}
			base := runner.DefaultConfig()
			base.Workload = "tpcc" // the workload with consistency conditions
			cfg, _, err := runConfig(cmd.Flags(), scenario, base)
			if err != nil {
				return usage(err)
			}
			if err := checkWritable("--out", out); err != nil {
				return usage(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			w := cmd.OutOrStdout()
			iso, err := newIsoCheck(&cfg, claim)
			if err != nil {
				return usage(err)
			}
			if iso != nil {
				if loadOnly {
					return usage(fmt.Errorf("--load-only: %s is checked from the history of a run", cfg.Workload))
				}
				return runIsoCheck(ctx, w, &cfg, iso, out, histPath, histLimit, quiet)
			}
			if claim != "" {
				return usage(fmt.Errorf("--claim: %s has no history to judge (append and register have)", cfg.Workload))
			}
			cc, err := newConsistency(ctx, &cfg)
			if err != nil {
				return usage(err)
			}
			if loadOnly {
				if cc.real {
					return usage(fmt.Errorf("--load-only: %s is a real database; run the check after a run instead", cfg.Engine))
				}
				s, err := runner.Prepare(ctx, cfg)
				if err != nil {
					return interruptedOr(ctx, err)
				}
				defer s.Close()
				cc.observe(s.Workload, s.Exec, "after the load")
				return cc.finish(w)
			}
			if !quiet && isTerminal(os.Stderr) {
				cfg.Progress = progressBar(os.Stderr)
			}
			res, err := runner.Run(ctx, cfg)
			if cfg.Progress != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			if err != nil {
				return interruptedOr(ctx, err)
			}
			if err := report(w, res, cfg, out); err != nil {
				return err
			}
			return cc.finish(w)
		},
	}
	cmd.SetContext(context.Background())
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.BoolVar(&loadOnly, "load-only", false, "check the initial population without running any transaction")
	fs.StringVarP(&out, "out", "o", "", "write the run's results file (JSON, schema txbench.result/v1) here")
	fs.StringVar(&scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	fs.StringVar(&claim, "claim", "", "append, register: the isolation level to judge against (default: what the engine claims at --isolation): "+levelNames())
	fs.StringVar(&fromHistory, "from-history", "", "judge a history file (bench run --history) instead of running; needs --claim")
	historyFlags(fs, &histPath, &histLimit)
	addOptionFlags(fs)
	// TPC-C is the workload with consistency conditions to check.
	fs.Lookup("workload").DefValue = "tpcc"
	setOptionHelp(cmd)
	return cmd
}

func levelNames() string {
	names := make([]string, len(isolation.Levels))
	for i, l := range isolation.Levels {
		names[i] = string(l)
	}
	return strings.Join(names, "|")
}

// runIsoCheck runs, then judges the history.
func runIsoCheck(ctx context.Context, w io.Writer, cfg *runner.Config, iso *isoCheck, out, histPath string, histLimit int64, quiet bool) error {
	closeHistory, err := historySink(cfg, histPath, histLimit)
	if err != nil {
		return usage(err)
	}
	if !quiet && isTerminal(os.Stderr) {
		cfg.Progress = progressBar(os.Stderr)
	}
	res, err := runner.Run(ctx, *cfg)
	if cfg.Progress != nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if cerr := closeHistory(); err == nil && cerr != nil {
		return fmt.Errorf("--history: %w", cerr)
	}
	if err != nil {
		return interruptedOr(ctx, err)
	}
	if err := report(w, res, *cfg, out); err != nil {
		return err
	}
	if res.Partial {
		fmt.Fprintln(os.Stderr, "bench: interrupted; the isolation check did not run")
		return exitError{exitInterrupted}
	}
	return iso.finish(w)
}

// interruptedOr maps an error of runner.Run or Prepare to its exit code
// (see runError).
func interruptedOr(ctx context.Context, err error) error { return runError(ctx, err) }

// consistency checks a simulated run's final state through the workload's
// consistency conditions (workloads.Checker). newConsistency hooks it into
// cfg; finish prints the outcome.
type consistency struct {
	ctx              context.Context
	engine, workload string
	after            string // "after the run" or "after the load"
	ran              bool
	results          []workloads.CheckResult
	real             bool // a real database: --load-only is not offered
	err              error
}

// newConsistency verifies up front that the check can run — a simulated
// engine and a workload that has conditions — so a long run is not wasted,
// and sets cfg.Observe to check the state the run leaves.
func newConsistency(ctx context.Context, cfg *runner.Config) (*consistency, error) {
	r, err := runner.Resolve(*cfg)
	if err != nil {
		return nil, err
	}
	em, wm := r.Engine, r.Workload
	wl, err := r.NewWorkload()
	if err != nil {
		return nil, err
	}
	if _, ok := wl.(workloads.Checker); !ok {
		return nil, fmt.Errorf("--workload: %s has no consistency conditions to check (tpcc has)", wm.Name)
	}
	c := &consistency{ctx: ctx, engine: em.Name, workload: wm.Name}
	c.real = !em.Simulated
	cfg.AfterRun = func(wl workloads.Workload, exec runner.Executor) { c.observe(wl, exec, "after the run") }
	return c, nil
}

// observe reads the final state through the engine (in the simulation for
// simulated engines) and evaluates the workload's conditions.
func (c *consistency) observe(wl workloads.Workload, exec runner.Executor, after string) {
	c.ran, c.after = true, after
	if c.ctx.Err() != nil {
		c.err = c.ctx.Err()
		return
	}
	checker := wl.(workloads.Checker)
	c.err = exec(c.ctx, func(ctx context.Context, sess engines.Session) error {
		var err error
		c.results, err = checker.Check(ctx, sess)
		return err
	})
}

// finish prints every condition and returns an error (exit code 1) when one
// failed or the check could not run. A nil c does nothing.
func (c *consistency) finish(w io.Writer) error {
	if c == nil {
		return nil
	}
	if !c.ran || errors.Is(c.err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "bench: interrupted; the consistency check did not run to the end")
		return exitError{exitInterrupted}
	}
	if c.err != nil {
		return fmt.Errorf("consistency check: %w", c.err)
	}
	fmt.Fprintf(w, "consistency (%s, read through %s %s, one read-only transaction):\n", c.workload, c.engine, c.after)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var failed, skipped []string
	for _, r := range c.results {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.Status, r.Rule, r.Detail)
		switch r.Status {
		case workloads.CheckFail:
			failed = append(failed, r.Name)
		case workloads.CheckSkipped:
			skipped = append(skipped, r.Name)
		}
	}
	tw.Flush()
	if len(failed) > 0 {
		return fmt.Errorf("consistency check failed: %s (%d of %d)", strings.Join(failed, ", "), len(failed), len(c.results))
	}
	msg := fmt.Sprintf("all %d checks pass", len(c.results)-len(skipped))
	if len(skipped) > 0 {
		msg += fmt.Sprintf("; %s skipped (not applicable to this state)", strings.Join(skipped, ", "))
	}
	fmt.Fprintln(w, msg)
	return nil
}
