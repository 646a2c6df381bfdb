package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/runner"
)

func newMergeCmd() *cobra.Command {
	var (
		out          string
		allowMissing bool
	)
	cmd := &cobra.Command{
		Use:   "merge A.json B.json [...] -o ALL.json",
		Short: "Merge the results of processes that drove one database together (--partition i/n)",
		Long: `merge combines results files written by several bench processes that ran at
the same time against one database (each with --partition i/n on its own
machine) into the results of one run: counters summed, histograms merged (so
percentiles are exact), throughput over the longest measured duration,
timelines aligned by each process's wall-clock start, and workload figures
(tpmC, efficiency) recomputed from the merged counts.`,
		Example: "  bench merge part0.json part1.json part2.json -o all.json",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usage(errors.New("-o/--out: name the merged results file"))
			}
			var parts []*runner.Result
			for _, p := range args {
				r, err := runner.ReadResult(p)
				if err != nil {
					return usage(err)
				}
				parts = append(parts, r)
			}
			if err := runner.CheckParts(args, parts, allowMissing); err != nil {
				return usage(err)
			}
			merged, err := runner.Merge(parts)
			if err != nil {
				return usage(err)
			}
			if err := merged.WriteFile(out); err != nil {
				return fmt.Errorf("-o: %w", err)
			}
			runner.WriteSummary(cmd.OutOrStdout(), merged)
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d results into %s\n", len(parts), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the merged results file")
	cmd.Flags().BoolVar(&allowMissing, "allow-missing", false, "merge even when some partitions' files are not given (the totals cover only the parts given)")
	return cmd
}
