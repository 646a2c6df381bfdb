package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/reports"
)

const gateExamples = `  bench gate --baseline base.json --current cur.json
  bench gate --baseline a1.json,a2.json,a3.json,a4.json,a5.json --current b1.json,b2.json,b3.json,b4.json,b5.json
  bench gate --baseline base.json --current cur.json --config gate.yaml --format github --step-summary "$GITHUB_STEP_SUMMARY"`

func newGateCmd() *cobra.Command {
	var (
		baseline, current []string
		config, format    string
		stepSummary       string
	)
	cmd := &cobra.Command{
		Use:   "gate --baseline FILE[,FILE...] --current FILE[,FILE...]",
		Short: "Fail (exit 1) when the current results regress beyond limits against a baseline",
		Long: `gate compares current results against baseline results, metric by metric —
throughput, p50/p99 latency, abort rate, overall and per transaction type — and
exits 0 when every limit holds, 1 when any fails, 2 on bad input.

Simulated runs with the same seeds on both sides compare exactly (a simulation is
deterministic, so every difference is real). With several files per side the
comparison is statistical: medians with confidence intervals, and a metric fails
only when the Mann-Whitney U test finds a difference (p < alpha) beyond its limit,
so noise alone does not fail the gate.

Without --config: throughput may drop 5%, p50 and p99 may rise 10%, the abort rate
may rise 1 percentage point, overall and per type. A gate file (YAML):

  alpha: 0.05            # with several runs per side
  fail_on: regression    # or "change": beyond a limit in either direction fails
  overall: {throughput_drop: 5%, p50_increase: 10%, p99_increase: 10%, abort_rate_increase: 1pp}
  types:
    "*":       {p99_increase: 20%}            # every transaction type
    new_order: {p99_increase: 15%, throughput_drop: off}

Limits: throughput_drop, mean_increase, p50_increase, p95_increase, p99_increase,
p999_increase (relative: 5% or 0.05) and abort_rate_increase (1pp or 0.01).`,
		Example: gateExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(baseline) == 0 {
				return usage(errors.New("--baseline: required (one or more results files)"))
			}
			if len(current) == 0 {
				return usage(errors.New("--current: required (one or more results files)"))
			}
			switch format {
			case "text", "markdown", "github":
			default:
				return usage(fmt.Errorf("--format: want text, markdown or github, got %q", format))
			}
			cfg := reports.DefaultGateConfig()
			if config != "" {
				var err error
				if cfg, err = reports.LoadGateConfig(config); err != nil {
					return usage(fmt.Errorf("--config %w", err))
				}
			}
			base, err := reports.Load(baseline...)
			if err != nil {
				return usage(err)
			}
			cur, err := reports.Load(current...)
			if err != nil {
				return usage(err)
			}
			g, err := reports.Evaluate(base, cur, cfg)
			if err != nil {
				return usage(err)
			}
			out := cmd.OutOrStdout()
			switch format {
			case "markdown":
				err = g.WriteMarkdown(out)
			case "github":
				if err = g.WriteAnnotations(out); err == nil {
					err = g.WriteText(out)
				}
			default:
				err = g.WriteText(out)
			}
			if err != nil {
				return err
			}
			if stepSummary != "" {
				f, err := os.OpenFile(stepSummary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					return usage(fmt.Errorf("--step-summary: %w", err))
				}
				werr := g.WriteMarkdown(f)
				if err := errors.Join(werr, f.Close()); err != nil {
					return fmt.Errorf("--step-summary: %w", err)
				}
			}
			if !g.Passed() {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringSliceVar(&baseline, "baseline", nil, "baseline results files (comma-separated or repeated)")
	fs.StringSliceVar(&current, "current", nil, "current results files (comma-separated or repeated)")
	fs.StringVar(&config, "config", "", "gate file (YAML) with the limits (default: see above)")
	fs.StringVar(&format, "format", "text", "output: text, markdown (CI job summaries) or github (Actions annotations, then text)")
	fs.StringVar(&stepSummary, "step-summary", "", "also append the Markdown table to this file (e.g. $GITHUB_STEP_SUMMARY)")
	return cmd
}
