// Package runner wires a workload to an engine: clients in a closed or open
// loop, retries with backoff, metrics, and the results file. Simulated
// engines run inside the sim kernel in virtual time; the same client loop
// drives real databases in wall time.
package runner

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// clock is the little a client loop needs from its runtime: the time, and a
// way to wait. The simulated runtime answers in virtual time; the real one
// in wall time.
type clock interface {
	now(ctx context.Context) time.Duration
	// sleep waits d (backoff or think time); it returns early with an error
	// when the run is over.
	sleep(ctx context.Context, d time.Duration, c sim.Category) error
	// ledger is the caller's blocked time by category, when known.
	ledger(ctx context.Context) (sim.Ledger, bool)
}

// client is one session and its workload generator.
type client struct {
	id      int
	cfg     *Config
	clk     clock
	sess    engines.Session
	gen     workloads.Client
	rng     *rand.Rand // backoff jitter
	rec     func(func(*Recorder))
	commits *atomic.Int64 // count of committed transactions, for progress
	active  *atomic.Int64 // transactions in flight (a run drains them before a check)
	stopped func() bool
	timed   timedTxn // times the current attempt's statements
	// cut: a simulated statement timeout abandoned the attempt's last
	// statement, so the connection must be replaced (boundedTxn).
	cut bool
	// reopen opens a new connection after a timeout (nil: keep the old one);
	// timeouts counts consecutive timeouts, for the reconnect backoff.
	reopen   func(ctx context.Context) (engines.Session, error)
	timeouts int
	// group is the client's group (region, or AZ in a one-region
	// topology), for the availability timeline.
	group string
	// The records being handed to rec and the calls that hand them over,
	// made once: rec runs them before it returns and the Recorder keeps
	// no reference, so a client reuses them instead of allocating a record,
	// a closure and a breakdown per attempt and transaction.
	attemptRec               AttemptRecord
	txnRec                   TxnRecord
	breakdown                sim.Ledger
	recordAttempt, recordTxn func(*Recorder)
}

// execute runs one logical transaction to commit or to giving up, starting
// no earlier than intended (its latency counts from intended either way).
func (c *client) execute(ctx context.Context, t workloads.Txn, intended time.Duration) {
	if c.active != nil {
		c.active.Add(1)
		defer c.active.Add(-1)
	}
	if c.recordAttempt == nil {
		c.recordAttempt = func(r *Recorder) { r.Attempt(c.attemptRec) }
		c.recordTxn = func(r *Recorder) { r.Txn(c.txnRec) }
	}
	before, haveLedger := c.clk.ledger(ctx)
	first := c.clk.now(ctx)
	backoff := c.cfg.Backoff
	attempts := 0
	committed := false
	participants := 0
	cutOff := false // an attempt or a statement was cut off and may run on
	for attempts < c.cfg.MaxAttempts {
		attempts++
		start := c.clk.now(ctx)
		actx, rec := ctx, workloads.AttemptRecord(nil)
		if r, ok := t.(workloads.Recorded); ok && c.cfg.History != nil {
			rec = r.NewAttempt()
			actx = workloads.WithAttempt(ctx, rec)
		}
		info, err, timedOut := c.timedAttempt(actx, t, attempts, first)
		cutOff = cutOff || timedOut || c.cut
		if err != nil && ctx.Err() != nil {
			// Interrupted (Ctrl-C), not failed: the attempt and its
			// transaction are left out of the figures.
			return
		}
		end := c.clk.now(ctx)
		ar := AttemptRecord{Type: t.Type(), End: end, Latency: end - start, Committed: err == nil, Participants: info.Participants, Statements: c.timed.stmts, Group: c.group}
		retry := false
		if err != nil {
			if a, ok := engines.AsAbort(err); ok {
				ar.Reason, ar.Table, ar.Key = string(a.Reason), a.Table, a.Key
				retry = a.Retryable
			} else {
				ar.Reason = "error: " + err.Error()
			}
		}
		ar.Retried = retry && attempts < c.cfg.MaxAttempts && !c.stopped()
		c.attemptRec = ar
		if rec != nil {
			ht := historyTxn(c.id, attempts, rec, start, end, timedOut, err)
			c.rec(func(r *Recorder) {
				c.recordAttempt(r)
				c.cfg.History.Add(ht)
			})
		} else {
			c.rec(c.recordAttempt)
		}
		if err == nil {
			committed, participants = true, info.Participants
			break
		}
		if timedOut || c.cut {
			c.reconnect(ctx)
		} else {
			c.timeouts = 0
		}
		if !retry || attempts == c.cfg.MaxAttempts || c.stopped() {
			break
		}
		// Exponential backoff with full jitter.
		d := time.Duration(c.rng.Int64N(int64(backoff) + 1))
		if c.clk.sleep(ctx, d, sim.CatBackoff) != nil {
			break
		}
		backoff = min(2*backoff, c.cfg.BackoffMax)
	}
	end := c.clk.now(ctx)
	tr := TxnRecord{Type: t.Type(), End: end, Latency: end - intended, Committed: committed, Attempts: attempts, Participants: participants, Group: c.group}
	if haveLedger {
		after, _ := c.clk.ledger(ctx)
		d := after.Sub(before)
		// Time spent queued before the first attempt (open loop) is
		// waiting, not work; attribute it so the breakdown adds up.
		d[sim.CatQueue] += first - intended
		c.breakdown = d
		tr.Breakdown = &c.breakdown
	}
	c.txnRec = tr
	c.rec(c.recordTxn)
	if committed {
		c.commits.Add(1)
	}
	if r, ok := c.gen.(workloads.Releaser); ok && !cutOff {
		r.Release(t)
	}
}

// historyTxn is the history entry of one attempt, from its record. An
// error returned by the commit itself leaves the outcome unknown when the
// client lost the answer (the connection, or an error that is no abort),
// as does a timeout; any other error is a definite abort.
func historyTxn(client, attempt int, rec workloads.AttemptRecord, start, end time.Duration, timedOut bool, err error) history.Txn {
	ht := history.Txn{Client: client, Attempt: attempt, Invoke: start, Complete: end, Outcome: history.Committed, Ops: rec.Ops()}
	if err != nil {
		ht.Outcome, ht.Reason = history.Aborted, err.Error()
		a, isAbort := engines.AsAbort(err)
		if isAbort {
			ht.Reason = string(a.Reason)
		}
		var ce commitError
		atCommit := errors.As(err, &ce)
		if timedOut || atCommit && (!isAbort || a.Reason == engines.ReasonConnection || a.Reason == engines.ReasonStatementTimeout) {
			ht.Outcome = history.Unknown
		}
	}
	return ht
}

// commitError marks an error the commit itself returned: the client may
// not know whether the transaction committed.
type commitError struct{ error }

func (e commitError) Unwrap() error { return e.error }

// attempt runs the statements and commits; any failure rolls back. An
// error from the commit is wrapped in commitError.
func (c *client) attempt(ctx context.Context, t workloads.Txn, n int, first time.Duration) (engines.TxnInfo, error) {
	single := false
	if s, ok := t.(workloads.SingleStatement); ok {
		single = s.SingleStatement()
	}
	c.timed.clk = c.clk
	c.timed.reset(nil)
	if c.cfg.OneShot {
		ctx = workloads.WithOneShot(ctx)
	}
	tx, err := c.sess.Begin(ctx, engines.TxnOptions{Type: t.Type(), ReadOnly: t.ReadOnly(), SingleStatement: single, Attempt: n, FirstStart: first, OneShot: c.cfg.OneShot})
	if err != nil {
		return engines.TxnInfo{}, err
	}
	c.timed.reset(tx)
	defer func() { c.timed.Txn = nil }() // not kept past the attempt; its timings are
	var run engines.Txn = &c.timed
	c.cut = false
	if _, simulated := c.clk.(simClock); simulated && c.cfg.StatementTimeout > 0 {
		b := &boundedTxn{timedTxn: &c.timed, limit: c.cfg.StatementTimeout}
		defer func() { c.cut = b.cut }()
		run = b
	}
	if err := t.Run(ctx, run); err != nil {
		if _, aborted := engines.AsAbort(err); !aborted {
			_ = tx.Rollback(ctx)
		}
		return engines.TxnInfo{}, err
	}
	if err := run.Commit(ctx); err != nil {
		return engines.TxnInfo{}, commitError{err}
	}
	var info engines.TxnInfo
	if it, ok := tx.(engines.InfoTxn); ok {
		info = it.Info()
	}
	return info, nil
}
