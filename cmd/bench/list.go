package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/workloads"
)

func newEnginesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "engines",
		Short: "List the engines with their aliases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ENGINE\tALIASES\tKIND\tDEFAULTS\tDESCRIPTION")
			for _, m := range engines.All() {
				kind, defaults := "real", "-"
				if m.Simulated {
					kind = "simulated"
					defaults = fmt.Sprintf("topology %s, ε %s", m.DefaultTopology, m.DefaultEpsilon)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(m.Aliases), kind, defaults, m.Description)
			}
			return w.Flush()
		},
	}
}

func newWorkloadsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "workloads",
		Short: "List the workloads with their aliases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "WORKLOAD\tALIASES\tDESCRIPTION")
			for _, m := range workloads.All() {
				fmt.Fprintf(w, "%s\t%s\t%s\n", m.Name, orDash(m.Aliases), m.Description)
			}
			return w.Flush()
		},
	}
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			rev := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bench %s (revision %s, %s)\n", version, rev, runtime.Version())
		},
	}
}

const version = "0.1.0"
