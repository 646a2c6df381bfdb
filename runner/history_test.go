package runner

import (
	"errors"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
)

type record []history.Op

func (r record) Ops() []history.Op { return r }

// An attempt's outcome is unknown only when its commit's answer was lost
// or the client stopped waiting for it.
func TestHistoryOutcomes(t *testing.T) {
	ops := []history.Op{{Kind: history.OpWrite, Key: 1, Value: 2}}
	conflict := engines.Abort(engines.ReasonConflict)
	lost := engines.Abort(engines.ReasonConnection)
	timeout := engines.Abort(ReasonTimeout)
	for _, c := range []struct {
		timedOut bool
		err      error
		want     history.Outcome
		reason   string
	}{
		{false, nil, history.Committed, ""},
		{false, conflict, history.Aborted, string(engines.ReasonConflict)},
		{false, commitError{conflict}, history.Aborted, string(engines.ReasonConflict)},
		{false, lost, history.Aborted, string(engines.ReasonConnection)},
		{false, commitError{lost}, history.Unknown, string(engines.ReasonConnection)},
		{false, commitError{errors.New("i/o timeout")}, history.Unknown, "i/o timeout"},
		{true, timeout, history.Unknown, string(ReasonTimeout)},
	} {
		ht := historyTxn(3, 2, record(ops), 5, 9, c.timedOut, c.err)
		if ht.Outcome != c.want || ht.Reason != c.reason || ht.Client != 3 || ht.Attempt != 2 || ht.Invoke != 5 || ht.Complete != 9 || len(ht.Ops) != 1 {
			t.Errorf("timed out %v, %v: %+v", c.timedOut, c.err, ht)
		}
	}
}
