package runner

import (
	"os"
	"runtime/debug"
	"sync"
	"testing"
)

// gcPercentNow reads the collector's setting without changing it.
func gcPercentNow() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// The collector stays paused while any load runs — two at once in a
// parallel plan — and gets its setting back when the last one ends.
func TestGCPausesWhileAnyLoadRuns(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: loads leave the collector alone")
	}
	orig := debug.SetGCPercent(150)
	defer debug.SetGCPercent(orig)
	var wg sync.WaitGroup
	resumes := make([]func(), 2)
	for i := range resumes {
		wg.Go(func() { resumes[i] = pauseGCForLoad() })
	}
	wg.Wait()
	if got := gcPercentNow(); got != -1 {
		t.Fatalf("GC percent %d during two loads, want -1 (paused)", got)
	}
	resumes[0]()
	if got := gcPercentNow(); got != -1 {
		t.Fatalf("GC percent %d with one load still running, want -1", got)
	}
	resumes[1]()
	if got := gcPercentNow(); got != 150 {
		t.Fatalf("GC percent %d after the loads, want 150 back", got)
	}
}

// An explicit GOGC is the user's: a load leaves it alone.
func TestGCPauseLeavesAnExplicitGOGC(t *testing.T) {
	t.Setenv("GOGC", "200")
	orig := debug.SetGCPercent(200)
	defer debug.SetGCPercent(orig)
	resume := pauseGCForLoad()
	if got := gcPercentNow(); got != 200 {
		t.Fatalf("GC percent %d during a load with GOGC=200, want 200", got)
	}
	resume()
}
