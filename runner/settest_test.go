package runner_test

import (
	"context"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/settest"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
)

// The set-oriented statements and secondary indexes on every simulated
// engine (pg runs the same suite in its own tests).
func TestSetStatementsOnEverySimulatedEngine(t *testing.T) {
	settest.Register()
	for _, m := range engines.All() {
		if !m.Simulated {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			s, err := runner.Prepare(context.Background(), runnertest.Quick(t, m.Name, "settest", nil))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			settest.Run(t, func(fn func(ctx context.Context, sess engines.Session) error) error {
				return s.Exec(context.Background(), fn)
			})
		})
	}
}
