package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/pg"
	"github.com/txbench/txbench/internal/dsn"
	"github.com/txbench/txbench/runner"
)

// schemaFlags registers what schema and cleanup need: the run options
// (the engine, the workload and their options; the workload's options
// shape its tables) and a scenario file.
func schemaFlags(cmd *cobra.Command, scenario *string) {
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(scenario, "config", "", "scenario YAML: option names as keys (flags given on the command line win)")
	addOptionFlags(fs)
	fs.Lookup("engine").DefValue = "pg"
	setOptionHelp(cmd)
}

// schemaOf resolves the options (engine pg unless told otherwise), builds
// the workload and checks the engine is pg.
func schemaOf(fs *pflag.FlagSet, scenario string) (*engines.Schema, *runner.Resolved, error) {
	base := runner.DefaultConfig()
	base.Engine = "pg"
	_, r, err := runConfig(fs, scenario, base)
	if err != nil {
		return nil, nil, err
	}
	if r.Engine.Name != "pg" {
		return nil, nil, fmt.Errorf("--engine: %s keeps its tables in the simulation; only pg has SQL tables", r.Engine.Name)
	}
	wl, err := r.NewWorkload()
	if err != nil {
		return nil, nil, err
	}
	s := wl.Schema()
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	return s, r, nil
}

func newSchemaCmd() *cobra.Command {
	var scenario string
	cmd := &cobra.Command{
		Use:     "schema",
		Short:   "Print the SQL DDL bench creates for a workload",
		Example: "  bench schema --engine pg --workload tpcc",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, err := schemaOf(cmd.Flags(), scenario)
			if err != nil {
				return usage(err)
			}
			for _, ddl := range pg.DDL(s) {
				fmt.Fprintln(cmd.OutOrStdout(), ddl+";")
			}
			return nil
		},
	}
	schemaFlags(cmd, &scenario)
	return cmd
}

func newCleanupCmd() *cobra.Command {
	var scenario string
	cmd := &cobra.Command{
		Use:     "cleanup",
		Short:   "Drop the tables bench created for a workload on a real database",
		Example: "  bench cleanup --engine pg --dsn postgres://user@host/db --workload tpcc",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, r, err := schemaOf(cmd.Flags(), scenario)
			if err != nil {
				return usage(err)
			}
			cfg := pg.DefaultConfig()
			cfg.DSN, cfg.Isolation, cfg.Conns = r.Value("dsn"), r.Value("isolation"), 1
			s = runner.WithPartitionBarrier(s) // left by --partition runs
			ctx := context.Background()
			e, err := pg.Open(ctx, cfg, nil)
			if err != nil {
				return err // an unreachable server is a failure, not bad input
			}
			defer e.Close()
			if err := e.Drop(ctx, s); err != nil {
				return fmt.Errorf("dropping tables on %s: %w", dsn.Redact(cfg.DSN), err)
			}
			for i := len(s.Tables) - 1; i >= 0; i-- {
				fmt.Fprintf(cmd.OutOrStdout(), "dropped %s\n", s.Tables[i].Name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "on %s\n", dsn.Redact(cfg.DSN))
			return nil
		},
	}
	schemaFlags(cmd, &scenario)
	return cmd
}
