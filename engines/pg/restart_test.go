package pg_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/runner"
)

// loadedWriter closes loaded when the run logs the end of its load (the
// measured run starts right after).
type loadedWriter struct {
	once   sync.Once
	loaded chan struct{}
}

func (w *loadedWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "loaded in") {
		w.once.Do(func() { close(w.loaded) })
	}
	return len(p), nil
}

// A real server restart in the middle of a run (a private cluster: the
// shared server other tests use is never restarted): the sessions reconnect,
// the failed attempts are counted as lost connections and retried, the run
// completes, commits resume, and the timeline shows the gap.
func TestServerRestartIsSurvived(t *testing.T) {
	dsn, restart := enginetest.PrivatePostgres(t)
	cfg := pgConfig(t, dsn, 5*time.Second)
	cfg.Interval = 100 * time.Millisecond
	log := &loadedWriter{loaded: make(chan struct{})}
	cfg.Log = log
	restarted := make(chan error, 1)
	var at, back time.Duration
	go func() {
		<-log.loaded
		start := time.Now()
		time.Sleep(1500 * time.Millisecond)
		at = time.Since(start)
		// Down for 500 ms: a restart with fsync off takes little more
		// than 100 ms, too short to leave a whole 100 ms interval empty.
		err := restart(500 * time.Millisecond)
		back = time.Since(start)
		restarted <- err
	}()
	res, err := runner.Run(context.Background(), cfg)
	must(t, err)
	must(t, <-restarted)
	s := res.Summary
	lost := s.AbortReasons[string(engines.ReasonConnection)]
	t.Logf("restart from %v to %v of the run; committed %d, connection-lost %d, notes %v", at.Round(time.Millisecond), back.Round(time.Millisecond), s.Committed, lost, res.Notes)
	if lost == 0 {
		t.Error("no lost connection was counted")
	}
	// The run's clock starts a little after the load is reported (later
	// still under the race detector), so the restart is not aligned with the
	// intervals by time: without it every 100 ms interval holds hundreds of
	// commits, so an empty one between the first and last commits is the
	// restart's gap.
	first, last := -1, -1
	for i, p := range res.Timeline {
		if p.Committed > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var gap, before, after int
	for i := first + 1; first >= 0 && i < last; i++ {
		if res.Timeline[i].Committed == 0 {
			gap++
		}
	}
	for _, p := range res.Timeline {
		ts := time.Duration(p.TS * float64(time.Second))
		switch {
		case p.Committed > 0 && ts < at-200*time.Millisecond:
			before++
		case p.Committed > 0 && ts >= back+500*time.Millisecond:
			after++
		}
	}
	if before == 0 || gap == 0 || after == 0 {
		t.Errorf("timeline: %d intervals with commits before the restart, %d empty between the first and last commits, %d with commits after it; want each > 0", before, gap, after)
	}
}
