package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/reports"
	"github.com/txbench/txbench/validate"
)

const validateExamples = `  bench validate                       # every figure; results in validate-results/, report validate.html
  bench validate --quick               # the CI subset (under a minute)
  bench validate --out-dir v/ -o v.html`

func newValidateCmd() *cobra.Command {
	var (
		quick, md   bool
		outDir, out string
		duration    time.Duration
		parallel    int
		plan        *option.Set
	)
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Run the published set-ups and compare the models with the papers' figures",
		Long: `validate runs each published set-up the simulated engines are calibrated against
(Aurora DSQL Fig. 6, Spanner OSDI'12 Tables 3 and 4, the hot-key and lock laws, occ's
flat commit) and prints one line per figure: paper | model | ratio | band | result |
source. Magnitudes must be within ±15% where the paper's set-up can be matched,
normalised shapes within ±0.1, laws within 0.5–2×. Each set-up's results file goes
to --out-dir, and an HTML page with the table and a paper-vs-model chart to -o.
Exit code 1 when a figure is outside its band.`,
		Example: validateExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if duration < 0 {
				return usage(fmt.Errorf("--duration must not be negative, got %v", duration))
			}
			if err := plan.Check(); err != nil {
				return usage(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			w := cmd.OutOrStdout()
			o := validate.Options{Quick: quick, Duration: duration, Parallel: parallel,
				Progress: func(s string, i, n int) { fmt.Fprintf(os.Stderr, "[%d/%d] %s\n", i+1, n, s) }}
			res, err := validate.Run(ctx, o)
			if err != nil {
				return runError(ctx, err)
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return fmt.Errorf("--out-dir: %w", err)
			}
			var runs []reports.Run
			for _, s := range res.Setups {
				path := filepath.Join(outDir, s.Name+".json")
				if err := res.Results[s.Name].WriteFile(path); err != nil {
					return fmt.Errorf("--out-dir: %w", err)
				}
				runs = append(runs, reports.Run{Label: s.Name, Path: path, Result: res.Results[s.Name]})
			}
			write := reports.WriteValidationTable
			if md {
				write = reports.WriteValidationMarkdown
			}
			if err := write(w, res.Validation); err != nil {
				return err
			}
			v := res.Validation
			fmt.Fprintf(w, "%d of %d figures within their band; results in %s\n", v.Passed(), len(v.Figures), outDir)
			if out != "" {
				if err := writePlanReport(w, &reports.Report{Runs: runs, Validation: v}, out, ""); err != nil {
					return err
				}
			}
			if v.Passed() < len(v.Figures) {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.BoolVar(&quick, "quick", false, "only the quick subset (CI): a few figures, under a minute on two cores")
	fs.StringVar(&outDir, "out-dir", "validate-results", "write each set-up's results file here")
	fs.StringVarP(&out, "out", "o", "validate.html", "write the HTML page here (empty: none)")
	fs.BoolVar(&md, "markdown", false, "print the figure table as Markdown (as docs/models.md keeps it)")
	fs.DurationVar(&duration, "duration", 0, "measured time of every set-up (default: each set-up's own)")
	plan = planSet(fs, &parallel)
	return cmd
}
