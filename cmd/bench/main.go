// Command bench runs transactional workloads against simulated and real
// databases and reports latency, throughput and aborts. See README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	// Every engine and workload registers itself.
	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/pg"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	_ "github.com/txbench/txbench/workloads/bank"
	_ "github.com/txbench/txbench/workloads/listappend"
	_ "github.com/txbench/txbench/workloads/register"
	_ "github.com/txbench/txbench/workloads/tpcc"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

// Exit codes: 0 success, 1 a failure while running, 2 bad input, 130 the
// run was interrupted (partial results were still written).
const (
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks bad input (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// exitError carries a specific exit code after the message was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	tuneGC()
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs one command line and returns the exit code; an error is
// printed as one line on stderr.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "bench: "+oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// oneLine folds a joined multi-error into one line.
func oneLine(s string) string { return strings.Join(strings.Split(strings.TrimSpace(s), "\n"), "; ") }

// isCobraUsage recognises cobra's and pflag's own parse errors, which are
// bad input too.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "invalid argument", "unknown command", "flag needs an argument", "accepts ", "requires "} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "bench",
		Short: "Compare database concurrency-control strategies, simulated and real",
		Long: `bench runs YCSB and TPC-C style workloads against simulated engines that model
Aurora DSQL (occ), Spanner (2pc) and Aurora Limitless (sharded) message by message
in a deterministic discrete-event simulation, and against real PostgreSQL-compatible
databases, and reports latency, throughput, retries and aborts by reason.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newEnginesCmd(), newWorkloadsCmd(), newVersionCmd(), newCheckCmd(),
		newReportCmd(), newCompareCmd(), newSweepCmd(), newGateCmd(), newSchemaCmd(), newCleanupCmd(), newMergeCmd(), newValidateCmd())
	return root
}
