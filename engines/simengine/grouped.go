package simengine

import (
	"context"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// Grouped is what a simulated transaction keeps to run a set-oriented
// statement as one statement (engines.Grouper): while In is set, the row
// operations the statement makes pay no client round trip of their own.
type Grouped struct {
	In bool
}

// Statement runs body as one statement through the engine's own
// statement wrapper (its client round trip and statement CPU, once).
func (g *Grouped) Statement(ctx context.Context, statement func(ctx context.Context, body func(*sim.Proc) error) error,
	body func(ctx context.Context) error) error {
	if g.In {
		return body(ctx)
	}
	return statement(ctx, func(*sim.Proc) error {
		g.In = true
		defer func() { g.In = false }()
		return body(ctx)
	})
}

// Parallel runs a statement's n row operations as parallel requests
// (sim.FanOut), each in a process of its own; the error is the first
// abort, else the first error, by row.
func Parallel(ctx context.Context, n int, name string, fn func(ctx context.Context, i int) error) error {
	return engines.FirstError(sim.FanOut(sim.ProcFrom(ctx), n, name, func(c *sim.Proc, i int) error {
		return fn(sim.WithProc(ctx, c), i)
	}))
}
