package main

import (
	"github.com/spf13/cobra"

	"github.com/txbench/txbench/reports"
)

const reportExamples = `  bench report a.json -o report.html
  bench report occ.json 2pc.json sharded.json -o compare.html --png charts/
  bench report --sweep theta sweep/*.json -o theta.html     # re-draw a sweep from its files`

func newReportCmd() *cobra.Command {
	var (
		out, png, title, sweep string
	)
	cmd := &cobra.Command{
		Use:   "report RESULTS.json...",
		Short: "Turn results files into one self-contained HTML report (and PNG charts)",
		Long: `report reads results files (bench run --out, compare/sweep --out-dir, merged files)
and writes one HTML file that works offline: the configuration, a summary table per
transaction type and run, and charts — latency by percentile, throughput and p99
over time, abort rate by reason, the latency breakdown and the most contended rows.
Every file is validated first: a truncated, corrupt or foreign file is an error
naming it (exit code 2).`,
		Example: reportExamples,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := reports.Load(args...)
			if err != nil {
				return usage(err)
			}
			rep := &reports.Report{Title: title, Runs: runs}
			if sweep != "" {
				if rep.Sweep, err = reports.NewSweep(sweep, runs); err != nil {
					return usage(err)
				}
			}
			return writePlanReport(cmd.OutOrStdout(), rep, out, png)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVarP(&out, "out", "o", "report.html", "write the HTML report here")
	fs.StringVar(&png, "png", "", "also write every chart as a PNG into this folder")
	fs.StringVar(&title, "title", "", "the report's title (default: the workload and the runs)")
	fs.StringVar(&sweep, "sweep", "", "draw the runs as a sweep over this option (e.g. theta): curves per engine")
	return cmd
}
