package runner

import (
	"context"
	"strings"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// DefaultFaultTimeout is the attempt timeout of a run with faults when
// --txn-timeout is not given: long enough for a failover (Spanner's 10 s
// leader lease would not fit in less), short enough that a client stuck on a
// crashed node gives up and reconnects.
const DefaultFaultTimeout = 15 * time.Second

// ReasonTimeout is an attempt cut off by the client's timeout; PostgreSQL
// reports a statement timeout as SQLSTATE 57014 (query_canceled).
const ReasonTimeout engines.Reason = "timeout(57014)"

// FaultList is the repeatable --fault option (pflag.Value): each Set adds one
// fault in sim.FaultSyntax.
type FaultList []sim.Fault

// Set parses one fault and appends it.
func (l *FaultList) Set(s string) error {
	f, err := sim.ParseFault(s)
	if err != nil {
		return err
	}
	*l = append(*l, f)
	return nil
}

// String lists the faults in canonical form, separated by spaces (a fault
// never contains one).
func (l *FaultList) String() string {
	parts := make([]string, len(*l))
	for i, f := range *l {
		parts[i] = f.String()
	}
	return strings.Join(parts, " ")
}

// Type names the value in help.
func (l *FaultList) Type() string { return "fault" }

// Repeatable tells a scenario file reader to Set each list item on its own
// instead of joining them with commas (a partition's sides use commas).
func (l *FaultList) Repeatable() bool { return true }

// timeout is the attempt timeout in force: the configured one, or the fault
// default when faults are scheduled.
func (c *Config) timeout() time.Duration {
	if c.TxnTimeout == 0 && len(c.Faults) > 0 {
		return DefaultFaultTimeout
	}
	return c.TxnTimeout
}

// simulatedFaults are the faults a simulated cluster takes (all but
// kill-connections).
func (c *Config) simulatedFaults() []sim.Fault {
	var out []sim.Fault
	for _, f := range c.Faults {
		if f.Kind != sim.FaultKillConnections {
			out = append(out, f)
		}
	}
	return out
}

// timedAttempt runs one attempt under the client's timeout; timedOut
// reports that the deadline cut it off. In the simulation the attempt runs as
// a child process and the client stops waiting for it at the deadline (the
// child may finish later, unseen, as a server finishes a statement whose
// client went away; its connection is abandoned); in wall time the attempt's
// context carries the deadline.
func (c *client) timedAttempt(ctx context.Context, t workloads.Txn, n int, first time.Duration) (info engines.TxnInfo, err error, timedOut bool) {
	d := c.cfg.timeout()
	if d <= 0 {
		info, err = c.attempt(ctx, t, n, first)
		return info, err, false
	}
	return c.boundedAttempt(ctx, t, n, first, d)
}

// boundedAttempt is timedAttempt with a timeout d > 0. (Apart, so that
// the results its child process sets do not make every attempt without a
// timeout allocate them.)
func (c *client) boundedAttempt(ctx context.Context, t workloads.Txn, n int, first, d time.Duration) (info engines.TxnInfo, err error, timedOut bool) {
	if _, simulated := c.clk.(simClock); !simulated {
		actx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		info, err = c.attempt(actx, t, n, first)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			return info, &engines.AbortError{Reason: ReasonTimeout, Retryable: true, Err: err}, true
		}
		return info, err, false
	}
	p := sim.ProcFrom(ctx)
	var ledger sim.Ledger
	// The attempt runs on a copy of the client with statement timings of
	// its own: an abandoned attempt must not touch the next one's.
	cc := *c
	cc.timed = timedTxn{}
	f := sim.Go(p.Kernel(), "attempt", func(cp *sim.Proc) struct{} {
		info, err = cc.attempt(sim.WithProc(ctx, cp), t, n, first)
		ledger = cp.Ledger()
		return struct{}{}
	})
	start := p.Now()
	if _, ok := sim.AwaitTimeout(p, f, d, sim.CatOther); !ok {
		c.timed.stmts = c.timed.stmts[:0]
		return engines.TxnInfo{}, engines.Abort(ReasonTimeout), true
	}
	c.timed.stmts, c.cut = cc.timed.stmts, cc.cut
	// The child did the waiting; book its time by category, as sim.FanOut
	// does, so the latency breakdown still shows where it went.
	p.Charge(sim.CatOther, -(p.Now() - start))
	for cat, v := range ledger {
		p.Charge(sim.Category(cat), v)
	}
	return info, err, false
}

// reconnect replaces a client's connection after a timeout: the old one is
// abandoned (its attempt may still be running), a new one is opened after a
// backoff with full jitter that doubles per consecutive timeout. Clients
// without a way to reconnect keep their connection.
func (c *client) reconnect(ctx context.Context) {
	if c.reopen == nil {
		return
	}
	limit := max(c.cfg.ReconnectBackoff, 10*c.cfg.BackoffMax)
	b := c.cfg.ReconnectBackoff
	for range c.timeouts {
		b = min(2*b, limit)
	}
	c.timeouts++
	if b > 0 && c.clk.sleep(ctx, time.Duration(c.rng.Int64N(int64(b)+1)), sim.CatBackoff) != nil {
		return
	}
	if s, err := c.reopen(ctx); err == nil {
		// Hanging up ends the abandoned attempt's transaction on the
		// server side (engines roll it back on Close).
		_ = c.sess.Close()
		c.sess = s
	}
}
