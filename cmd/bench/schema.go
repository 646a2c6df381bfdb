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
	"github.com/txbench/txbench/workloads"
)

// schemaFlags registers what schema and cleanup need: the engine, the
// workload and their options (the workload's options shape its tables).
func schemaFlags(fs *pflag.FlagSet, engine, workload *string, seed *uint64) {
	fs.SortFlags = false
	fs.StringVar(engine, "engine", "pg", "engine (only pg has SQL tables)")
	fs.StringVarP(workload, "workload", "w", "ycsb-a", "workload whose tables to use")
	fs.Uint64Var(seed, "seed", 1, "run seed (some workloads name tables or constants from it)")
	engines.RegisterFlags(fs)
	workloads.RegisterFlags(fs)
}

// schemaOf builds the workload and checks the engine is pg.
func schemaOf(fs *pflag.FlagSet, engine, workload string, seed uint64) (*engines.Schema, error) {
	em, err := engines.Lookup(engine)
	if err != nil {
		return nil, fmt.Errorf("--engine: %w", err)
	}
	if em.Name != "pg" {
		return nil, fmt.Errorf("--engine: %s keeps its tables in the simulation; only pg has SQL tables", em.Name)
	}
	wm, err := workloads.Lookup(workload)
	if err != nil {
		return nil, fmt.Errorf("--workload: %w", err)
	}
	wl, err := wm.New(fs, seed)
	if err != nil {
		return nil, err
	}
	s := wl.Schema()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func newSchemaCmd() *cobra.Command {
	var engine, workload string
	var seed uint64
	cmd := &cobra.Command{
		Use:     "schema",
		Short:   "Print the SQL DDL bench creates for a workload",
		Example: "  bench schema --engine pg --workload tpcc",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := schemaOf(cmd.Flags(), engine, workload, seed)
			if err != nil {
				return usage(err)
			}
			for _, ddl := range pg.DDL(s) {
				fmt.Fprintln(cmd.OutOrStdout(), ddl+";")
			}
			return nil
		},
	}
	schemaFlags(cmd.Flags(), &engine, &workload, &seed)
	return cmd
}

func newCleanupCmd() *cobra.Command {
	var engine, workload string
	var seed uint64
	cmd := &cobra.Command{
		Use:     "cleanup",
		Short:   "Drop the tables bench created for a workload on a real database",
		Example: "  bench cleanup --engine pg --dsn postgres://user@host/db --workload tpcc",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			s, err := schemaOf(fs, engine, workload, seed)
			if err != nil {
				return usage(err)
			}
			cfg, err := pg.ConfigFromFlags(fs)
			if err != nil {
				return usage(err)
			}
			s = runner.WithPartitionBarrier(s) // left by --partition runs
			ctx := context.Background()
			e, err := pg.Open(ctx, cfg, nil)
			if err != nil {
				return usage(err)
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
	schemaFlags(cmd.Flags(), &engine, &workload, &seed)
	return cmd
}
