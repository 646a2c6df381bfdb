package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

const runExamples = `  bench run --engine occ --workload ycsb-a
  bench run --engine occ --workload ycsb-a --topology us-3 --clients 64 --duration 60s --seed 7 --out a.json
  bench run --engine dsql --workload ycsb --ops-per-txn 10 --write-frac 0.5 --theta 0.9 --records 100000
  bench run --engine occ --workload ycsb-b --rate 2000 --duration 30s      # open loop
  bench run --config scenario.yaml --seed 3                                # flags override the file
  bench run --engine occ --workload bank --topology region-3az --fault crash:us-east-1a@5s+10s --duration 30s --check`

// runFlags binds the runner's options to a Config.
func runFlags(fs *pflag.FlagSet, c *runner.Config) {
	d := runner.DefaultConfig()
	*c = d
	fs.StringVar(&c.Engine, "engine", d.Engine, "engine to run (see: bench engines)")
	fs.StringVarP(&c.Workload, "workload", "w", d.Workload, "workload to run (see: bench workloads)")
	fs.Uint64Var(&c.Seed, "seed", d.Seed, "run seed: same seed and options give the same simulated result")
	fs.StringVar(&c.Topology, "topology", "", "simulated cluster: single-az, region-3az, us-3, global-3 or a YAML file (default: the engine's)")
	fs.BoolVar(&c.Jitter, "jitter", d.Jitter, "log-normal network jitter (--jitter=false: every message takes half the median RTT)")
	fs.StringVar(&c.Epsilon, "epsilon", "", "clock uncertainty ε, e.g. 20us, 4ms or sawtooth:1ms-7ms/30s (default: the engine's)")
	fs.Float64Var(&c.RTTScale, "rtt-scale", d.RTTScale, "multiply every network round trip by this factor")
	fs.DurationVar(&c.NetDelay, "net-delay", d.NetDelay, "add this one-way delay to every message between two simulated nodes (Deneva's network-delay experiment)")
	fs.IntVarP(&c.Clients, "clients", "c", d.Clients, "closed loop: concurrent clients; open loop: connections serving arrivals")
	fs.Float64Var(&c.Rate, "rate", d.Rate, "open loop: Poisson arrivals per second (0 = closed loop)")
	fs.DurationVar(&c.Think, "think", d.Think, "closed loop: think time between a client's transactions")
	fs.DurationVar(&c.Warmup, "warmup", d.Warmup, "time excluded from the summary at the start")
	fs.DurationVarP(&c.Duration, "duration", "d", d.Duration, "measured time after warmup (virtual time for simulated engines)")
	fs.DurationVar(&c.Interval, "interval", d.Interval, "timeline resolution")
	fs.IntVar(&c.MaxAttempts, "max-attempts", d.MaxAttempts, "attempts per transaction before giving up (retryable aborts only)")
	fs.DurationVar(&c.Backoff, "backoff", d.Backoff, "first retry backoff; doubles per retry, full jitter")
	fs.DurationVar(&c.BackoffMax, "backoff-max", d.BackoffMax, "retry backoff cap")
	fs.BoolVar(&c.Reuse, "reuse", false, "real databases: keep the data a previous run loaded when it is verified to be this workload's load, unchanged")
	fs.Var(&c.Faults, "fault", "simulated: schedule a failure, repeatable: KIND:TARGET@START[+DURATION] with kinds crash, partition, slow, epsilon= (pg: kill-connections); see the list above")
	fs.DurationVar(&c.TxnTimeout, "txn-timeout", d.TxnTimeout, "client-side attempt timeout, as a driver's statement timeout: a timed-out attempt fails as timeout(57014) and is retried on a new connection (0 = none; runs with --fault default to "+runner.DefaultFaultTimeout.String()+")")
	fs.DurationVar(&c.ReconnectBackoff, "reconnect-backoff", d.ReconnectBackoff, "first wait before reconnecting after a timeout; doubles per consecutive timeout, full jitter")
	fs.DurationVar(&c.AvailabilityInterval, "availability-interval", d.AvailabilityInterval, "resolution of the availability timeline (runs with --fault)")
	fs.Var(&c.Partition, "partition", "real databases: drive share i of n (clients with id ≡ i mod n, and the workload's share of keys); run n processes and bench merge their results")
}

func newRunCmd() *cobra.Command {
	var (
		cfg        runner.Config
		out        string
		scenario   string
		quiet      bool
		check      bool
		cpuprofile string
	)
	cmd := &cobra.Command{
		Use:     "run",
		Short:   "Run a workload against an engine and print a summary",
		Long:    "Run a workload against an engine and print a summary.\n\nFaults (--fault, repeatable; in a scenario file, a list under fault:):\n  " + sim.FaultSyntax,
		Example: runExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if err := applyOptions(fs, scenario); err != nil {
				return usage(err)
			}
			cfg.Flags = fs
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
			res, err := runner.Run(ctx, cfg)
			if cfg.Progress != nil {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			if err != nil {
				return usage(err)
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
	runFlags(fs, &cfg)
	fs.StringVarP(&out, "out", "o", "", "write the results file (JSON, schema txbench.result/v1) here")
	fs.StringVar(&scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a Go CPU profile of bench itself here")
	_ = fs.MarkHidden("cpuprofile")
	fs.BoolVar(&check, "check", false, "after the run, check the workload's consistency conditions on the final state (tpcc: 3.3.2.1-12); exit 1 if one fails")
	engines.RegisterFlags(fs)
	workloads.RegisterFlags(fs)
	return cmd
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

// checkNegatives rejects negative values for unsigned-looking options before
// they reach typed parsing with a less helpful message.
func checkNegatives(fs *pflag.FlagSet) error {
	var errs []error
	fs.Visit(func(f *pflag.Flag) {
		if strings.HasPrefix(f.Value.String(), "-") && f.Value.Type() != "string" {
			errs = append(errs, fmt.Errorf("--%s must not be negative, got %s", f.Name, f.Value.String()))
		}
	})
	return errors.Join(errs...)
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
