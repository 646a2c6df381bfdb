package enginetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/txbench/txbench/engines"
)

// Step is one statement (or the commit or rollback) of one of a script's
// transactions. Do returns the statement's result as text ("0", "none",
// "[2 3 5]") so that outcomes compare alike on every engine.
type Step struct {
	Txn  int
	Name string
	Do   func(ctx context.Context, tx engines.Txn) (string, error)
	// ends: the step commits or rolls back.
	ends bool
}

// Script is an interleaving of concurrent transactions: transaction i runs
// in client i's session; it begins at its first step.
type Script struct {
	Steps    []Step
	ReadOnly map[int]bool
}

// Outcome is what one step did.
type Outcome struct {
	Val string
	Err error
	// Skipped: the transaction had already aborted, the step did not run.
	Skipped bool
	// Blocked: the step had not finished within the block timeout after
	// it was issued (it waited for a lock).
	Blocked bool
}

// Outcomes are a script's, by step.
type Outcomes []Outcome

// Committed reports whether transaction txn's steps all succeeded
// (results like ErrNotFound count as success; aborts do not).
func (o Outcomes) Committed(s Script, txn int) bool {
	for i, st := range s.Steps {
		if st.Txn == txn && (o[i].Skipped || isAbort(o[i].Err)) {
			return false
		}
	}
	return true
}

func isAbort(err error) bool {
	_, ok := engines.AsAbort(err)
	return ok
}

var errSkipped = errors.New("the transaction had already aborted")

// Run plays the script on w: steps are issued in order; each waits for the
// previous one to finish or block. It returns every step's outcome once
// every transaction has ended.
func (w *World) Run(s Script) (Outcomes, error) {
	out := make(Outcomes, len(s.Steps))
	issued := make([]event, len(s.Steps))
	done := make([]event, len(s.Steps))
	txns := map[int][]int{}
	var order []int
	for i, st := range s.Steps {
		issued[i], done[i] = w.rt.event(), w.rt.event()
		if _, seen := txns[st.Txn]; !seen {
			order = append(order, st.Txn)
		}
		txns[st.Txn] = append(txns[st.Txn], i)
	}
	var setupErr error
	for _, id := range order {
		sess, err := w.Engine.Session(context.Background(), engines.Client{ID: id, AZ: w.azs[id%len(w.azs)]})
		if err != nil {
			return nil, err
		}
		steps := txns[id]
		w.rt.spawn(fmt.Sprintf("client-%d", id), func(ctx context.Context) {
			defer sess.Close()
			var tx engines.Txn
			aborted := false
			for _, i := range steps {
				issued[i].wait(ctx, 0)
				switch {
				case aborted:
					out[i] = Outcome{Err: errSkipped, Skipped: true}
				default:
					if tx == nil {
						var err error
						tx, err = sess.Begin(ctx, engines.TxnOptions{ReadOnly: s.ReadOnly[id], Attempt: 1, FirstStart: w.rt.now(ctx)})
						if err != nil {
							setupErr = err
							aborted = true
							out[i] = Outcome{Err: err, Skipped: true}
							break
						}
					}
					v, err := s.Steps[i].Do(ctx, tx)
					out[i].Val, out[i].Err = v, err
					aborted = isAbort(err)
					if s.Steps[i].ends {
						tx = nil
					}
				}
				done[i].set()
			}
			if tx != nil && !aborted {
				_ = tx.Rollback(ctx) // a script that left the transaction open
			}
		})
	}
	w.rt.spawn("driver", func(ctx context.Context) {
		for i := range s.Steps {
			issued[i].set()
			if !done[i].wait(ctx, w.block) {
				out[i].Blocked = true
			}
		}
	})
	if !w.rt.run() {
		return out, errors.New("a transaction never finished (a deadlock the engine did not break?)")
	}
	return out, setupErr
}

// World is an engine ready for scripts.
type World struct {
	Engine engines.Engine
	rt     runtime
	block  time.Duration
	azs    []string
}

// Step constructors over KV's table.

// Get reads key k: its value, or "none".
func Get(txn, k int) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d get %d", txn, k), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		r, ok, err := tx.Get(ctx, Table, Key(k))
		if err != nil || !ok {
			return "none", err
		}
		return strconv.FormatInt(r[1].Int(), 10), nil
	}}
}

// Set updates key k's value to v.
func Set(txn, k int, v int64) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d set %d=%d", txn, k, v), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		return "", tx.Update(ctx, Table, Key(k), engines.Set{Col: 1, Val: engines.Int(v)})
	}}
}

// Insert adds row (k, v).
func Insert(txn, k int, v int64) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d insert %d=%d", txn, k, v), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		return "", tx.Insert(ctx, Table, engines.Row{engines.Int(int64(k)), engines.Int(v)})
	}}
}

// Delete removes key k.
func Delete(txn, k int) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d delete %d", txn, k), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		return "", tx.Delete(ctx, Table, Key(k))
	}}
}

// Scan lists the keys s selects.
func Scan(txn int, s engines.ScanSpec) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d scan %+v", txn, s), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		rows, err := tx.Scan(ctx, Table, s)
		return Ints(rows), err
	}}
}

// Commit commits.
func Commit(txn int) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d commit", txn), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		return "", tx.Commit(ctx)
	}, ends: true}
}

// Rollback rolls back.
func Rollback(txn int) Step {
	return Step{Txn: txn, Name: fmt.Sprintf("T%d rollback", txn), Do: func(ctx context.Context, tx engines.Txn) (string, error) {
		return "", tx.Rollback(ctx)
	}, ends: true}
}
