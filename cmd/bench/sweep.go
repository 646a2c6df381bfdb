package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/reports"
)

const sweepExamples = `  bench sweep --engines occ,2pc --workload ycsb --param theta=0,0.5,0.7,0.9,0.99
  bench sweep --engines occ --workload ycsb-a --param clients=1,4,16,64,256 --duration 5s
  bench sweep --workload ycsb --param rtt-scale=0.5,1,2,4 --out-dir rtt/
  bench sweep --workload ycsb-a --param topology=single-az,region-3az,us-3`

func newSweepCmd() *cobra.Command {
	po := planOptions{outDir: "sweep"}
	var param string
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run each engine over the values of one option; throughput, p99 and abort-rate curves in one report",
		Long: `sweep runs every engine at every value of one option (--param name=v1,v2,...) —
any option of bench run: theta, clients, rate, ops-per-txn, write-frac, rtt-scale,
topology, an engine's or a workload's own option — keeping every other option,
the seed and the topology fixed. Each point's results file is kept in --out-dir,
and one HTML report shows throughput, p99 and abort rate against the option, a
line per engine. bench report --sweep NAME re-draws the report from the files.`,
		Example: sweepExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if err := po.prepare(fs); err != nil {
				return usage(err)
			}
			if param == "" {
				return usage(errors.New("--param: required, e.g. --param theta=0,0.5,0.9"))
			}
			name, values, err := reports.ParseParam(param)
			if err != nil {
				return usage(err)
			}
			names, err := reports.ParseEngines(po.engines)
			if err != nil {
				return usage(err)
			}
			points := reports.SweepPlan(names, name, values, po.given["topology"])
			pl := &reports.Plan{Points: points, Config: configFrom(po.given, names), OutDir: po.outDir, Parallel: po.parallel}
			out := cmd.OutOrStdout()
			runs, interrupted, err := executePlan(cmd, pl, po.quiet)
			if err != nil {
				return usage(err)
			}
			if len(runs) > 0 {
				sw, err := reports.NewSweep(name, runs)
				if err != nil {
					return err
				}
				fmt.Fprintln(out)
				if err := sw.WriteTable(out); err != nil {
					return err
				}
				report := po.out
				if report == "" {
					report = filepath.Join(po.outDir, "report.html")
				}
				if err := writePlanReport(out, &reports.Report{Runs: runs, Sweep: sw}, report, po.png); err != nil {
					return err
				}
			}
			if interrupted {
				fmt.Fprintln(os.Stderr, "bench: interrupted; the report covers the points that finished")
				return exitError{exitInterrupted}
			}
			return nil
		},
	}
	cmd.SetContext(context.Background())
	fs := cmd.Flags()
	fs.StringVar(&param, "param", "", "the option to sweep and its values: name=v1,v2,... (any option of bench run)")
	planFlags(cmd, &po, "")
	fs.Lookup("out").Usage = "write the HTML report here (default: OUT-DIR/report.html)"
	return cmd
}
