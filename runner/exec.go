package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// Prepare builds the simulation cfg describes — cluster, engine, loaded
// workload — without starting any client, for programs that inspect or
// check the initial state (bench check --load-only). The caller ends it
// with Close.
func Prepare(ctx context.Context, cfg Config) (*Simulation, error) {
	r, err := Resolve(cfg)
	if err != nil {
		return nil, err
	}
	if !r.Engine.Simulated {
		return nil, badInput(fmt.Errorf("--engine: %s is a real database, not a simulation", r.Engine.Name))
	}
	return NewSimulation(ctx, r)
}

// Close ends every process of the simulation and releases the engine.
func (s *Simulation) Close() error {
	s.Kernel.Shutdown()
	return s.Engine.Close()
}

// execLimit bounds the virtual time one Exec may take: a process still
// running after an hour of virtual time is stuck (a lock never granted),
// and perpetual processes (GC loops, heartbeats) would otherwise keep the
// kernel running forever.
const execLimit = time.Hour

// execAttempts bounds how often Exec runs fn again after a retryable abort,
// execBackoff is the pause before each retry.
const (
	execAttempts = 100
	execBackoff  = 100 * time.Millisecond
)

// execStep is how much virtual time runs between checks of ctx.
const execStep = time.Second

// Exec runs fn as a new process of the simulation with a session of its own
// (a client in the first AZ that holds data) and runs the kernel until fn
// returns, then returns fn's error. Other processes run meanwhile as they
// would: clients still in flight after a run finish their transaction, and
// engines keep their background work. Exec is how a program reads or
// changes a simulated engine's state through the engine contract after
// load or after a run (inside Config.Observe), e.g. to check invariants.
// fn is run again, on a new session, after a retryable abort (a failover
// can roll back the check's transaction), so it must be safe to repeat.
func (s *Simulation) Exec(ctx context.Context, fn func(ctx context.Context, sess engines.Session) error) error {
	azs := s.ClientAZs()
	if len(azs) == 0 {
		return errors.New("exec: the topology has no AZ that holds data")
	}
	az := azs[0]
	for _, a := range azs { // after a permanent AZ or region loss, a client that survived
		if !s.Cluster.PlaceDown(a) {
			az = a
			break
		}
	}
	client := engines.Client{ID: -1, Region: s.Topology.RegionOf(az), AZ: az}
	sess, err := s.Engine.Session(ctx, client)
	if err != nil {
		return err
	}
	defer func() { sess.Close() }()
	k := s.Kernel
	var ferr error
	p := k.Spawn("exec", func(p *sim.Proc) {
		pctx := sim.WithProc(ctx, p)
		for attempt := 1; ; attempt++ {
			ferr = fn(pctx, sess)
			// A retryable abort (a failover rolled the transaction back)
			// is retried on a new connection, as a client would.
			if a, ok := engines.AsAbort(ferr); !ok || !a.Retryable || attempt == execAttempts {
				return
			}
			sess.Close()
			p.Sleep(execBackoff, sim.CatBackoff)
			if sess, ferr = s.Engine.Session(pctx, client); ferr != nil {
				return
			}
		}
	})
	// Stop the kernel the moment fn returns, so no more virtual time passes
	// than it took.
	p.Done().Then(func(struct{}) { k.Stop() })
	deadline := k.Now() + execLimit
	for !p.Done().Done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k.Pending() == 0 {
			return errors.New("exec: the process is blocked and nothing else is scheduled (a deadlock in the engine)")
		}
		if k.Now() >= deadline {
			return fmt.Errorf("exec: not finished after %v of virtual time", execLimit)
		}
		k.Run(min(k.Now()+execStep, deadline))
	}
	return ferr
}
