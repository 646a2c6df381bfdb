package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// Anomaly names a behaviour an isolation level allows or forbids (Berenson
// et al., "A Critique of ANSI SQL Isolation Levels", and Adya's phenomena).
type Anomaly string

const (
	// WriteSkew (A5B): two transactions read x and y and each writes the
	// other one; both commit.
	WriteSkew Anomaly = "write skew"
	// LostUpdate (P4): two transactions read x and both write it from
	// what they read; both commit.
	LostUpdate Anomaly = "lost update"
	// ReadSkew (A5A): a transaction reads x, another commits x and y, the
	// first reads the new y beside the old x.
	ReadSkew Anomaly = "read skew"
	// Phantom (P3): a range read twice sees a row another transaction
	// inserted and committed in between.
	Phantom Anomaly = "phantom"
	// DirtyRead (P1): a read sees another transaction's uncommitted write.
	DirtyRead Anomaly = "dirty read"
	// NonRepeatableRead (P2): a row read twice changes in between.
	NonRepeatableRead Anomaly = "non-repeatable read"
	// StaleRead: a transaction that begins after another's commit returned
	// does not see it (read-after-commit visibility; what strong snapshot
	// isolation and strict serializability rule out).
	StaleRead Anomaly = "stale read"
)

// Anomalies are every anomaly the suite probes, in the order it reports.
var Anomalies = []Anomaly{WriteSkew, LostUpdate, ReadSkew, Phantom, NonRepeatableRead, DirtyRead, StaleRead}

// What the usual levels allow: snapshot isolation (PostgreSQL's
// repeatable read, DSQL, Spanner's repeatable read) only write skew; read
// committed every anomaly but dirty and stale reads.
var (
	SnapshotAnomalies      = []Anomaly{WriteSkew}
	ReadCommittedAnomalies = []Anomaly{WriteSkew, LostUpdate, ReadSkew, Phantom, NonRepeatableRead}
)

// Target is one engine at one isolation level and the anomalies it allows;
// every other one of Anomalies it must forbid.
type Target struct {
	Name   string // "2pc/serializable"
	Allows []Anomaly
	// Open returns a fresh engine holding KV with keys rows each (value 0).
	Open func(t *testing.T, keys int) *World
}

// SimWorld wraps a simulated engine for scripts: clients spread over
// azs, steps that block for 200 ms of virtual time count as blocked.
func SimWorld[E engines.Engine](w *Sim[E], azs ...string) *World {
	return &World{Engine: w.E, rt: &simRuntime{k: w.K}, block: 200 * time.Millisecond, azs: azs}
}

// WallWorld wraps a real engine: clients are goroutines, steps that block
// for half a second of wall time count as blocked.
func WallWorld(e engines.Engine) *World {
	return &World{Engine: e, rt: &wallRuntime{start: time.Now(), limit: time.Minute}, block: 500 * time.Millisecond, azs: []string{""}}
}

// SimTarget is a simulated target's Open: a world built as sc says, with
// the script's clients placed in azs in turn.
func SimTarget[E engines.Engine](build func(*sim.Cluster) (E, error), sc SimConfig, azs ...string) func(t *testing.T, keys int) *World {
	return func(t *testing.T, keys int) *World {
		return SimWorld(NewSim(t, sc, build, keys), azs...)
	}
}

// Sim3 is the usual simulated target: region-3az with jitter and a clock
// uncertainty of eps, clients in the three AZs.
func Sim3[E engines.Engine](build func(*sim.Cluster) (E, error), eps time.Duration) func(t *testing.T, keys int) *World {
	return SimTarget(build, SimConfig{Cluster: sim.ClusterConfig{Jitter: true, Epsilon: sim.FixedEpsilon(eps)}}, "us-east-1a", "us-east-1b", "us-east-1c")
}

// probe is a script that provokes one anomaly, and how to tell it
// happened.
type probe struct {
	anomaly  Anomaly
	script   Script
	happened func(s Script, o Outcomes) bool
}

var probes = []probe{
	{WriteSkew, Script{Steps: []Step{
		Get(0, 0), Get(0, 1), Get(1, 0), Get(1, 1), Set(0, 0, 1), Set(1, 1, 1), Commit(0), Commit(1),
	}}, func(s Script, o Outcomes) bool { return o.Committed(s, 0) && o.Committed(s, 1) }},
	{LostUpdate, Script{Steps: []Step{
		Get(0, 0), Get(1, 0), Set(0, 0, 1), Commit(0), Set(1, 0, 1), Commit(1),
	}}, func(s Script, o Outcomes) bool { return o.Committed(s, 0) && o.Committed(s, 1) }},
	{ReadSkew, Script{Steps: []Step{
		Get(0, 0), Set(1, 0, 1), Set(1, 1, 1), Commit(1), Get(0, 1), Commit(0),
	}}, func(s Script, o Outcomes) bool { return o[0].Val == "0" && o[4].Val == "1" }},
	{Phantom, Script{Steps: []Step{
		Scan(0, engines.ScanSpec{Start: Key(0), End: Key(20)}), Insert(1, 15, 1), Commit(1),
		Scan(0, engines.ScanSpec{Start: Key(0), End: Key(20)}), Commit(0),
	}}, func(s Script, o Outcomes) bool { return o[3].Err == nil && o[0].Val != o[3].Val }},
	{NonRepeatableRead, Script{Steps: []Step{
		Get(0, 0), Set(1, 0, 1), Commit(1), Get(0, 0), Commit(0),
	}}, func(s Script, o Outcomes) bool { return o[3].Err == nil && o[0].Val != o[3].Val }},
	{DirtyRead, Script{Steps: []Step{
		Set(0, 0, 1), Get(1, 0), Rollback(0), Commit(1),
	}}, func(s Script, o Outcomes) bool { return o[1].Val == "1" }},
	{StaleRead, Script{Steps: []Step{
		Set(0, 0, 5), Commit(0), Get(1, 0), Get(2, 0), Commit(1), Commit(2),
	}, ReadOnly: map[int]bool{1: true}}, func(s Script, o Outcomes) bool {
		// T1 (read-only) and T2 (read-write) begin after T0's commit
		// returned.
		return o.Committed(s, 0) && (o[2].Val != "5" || o[3].Val != "5")
	}},
}

// Conformance runs every probe on every target: an anomaly the target
// allows must happen under its script, one it forbids must not; aborts must
// be typed; nothing may be left waiting. It also runs the statement checks
// every engine must pass (read-your-writes in gets and scans, duplicate-key
// and not-found results, read-only rejection).
func Conformance(t *testing.T, targets []Target) {
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) {
			for _, p := range probes {
				t.Run(string(p.anomaly), func(t *testing.T) {
					allowed := slices.Contains(tg.Allows, p.anomaly)
					w := tg.Open(t, 10)
					o, err := w.Run(p.script)
					if err != nil {
						t.Fatalf("%v\n%s", err, trace(p.script, o))
					}
					for i, oc := range o {
						if oc.Err != nil && !oc.Skipped && !isAbort(oc.Err) {
							t.Fatalf("step %q: %v (not an abort)\n%s", p.script.Steps[i].Name, oc.Err, trace(p.script, o))
						}
						if a, ok := engines.AsAbort(oc.Err); ok && !a.Retryable {
							t.Fatalf("step %q: a non-retryable abort %v\n%s", p.script.Steps[i].Name, oc.Err, trace(p.script, o))
						}
					}
					if got := p.happened(p.script, o); got != allowed {
						verb := map[bool]string{true: "allows", false: "forbids"}[allowed]
						t.Fatalf("%s %s %s, but the probe %s it:\n%s", tg.Name, verb, p.anomaly,
							map[bool]string{true: "saw", false: "did not see"}[got], trace(p.script, o))
					}
				})
			}
			t.Run("statements", func(t *testing.T) { statements(t, tg.Open(t, 10)) })
		})
	}
}

func trace(s Script, o Outcomes) string {
	var b strings.Builder
	for i, st := range s.Steps {
		if i >= len(o) {
			break
		}
		fmt.Fprintf(&b, "  %-28s", st.Name)
		switch oc := o[i]; {
		case oc.Skipped:
			b.WriteString(" (skipped)")
		case oc.Err != nil:
			fmt.Fprintf(&b, " → %v", oc.Err)
		default:
			fmt.Fprintf(&b, " → %q", oc.Val)
		}
		if o[i].Blocked {
			b.WriteString(" [blocked]")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// statements: what every engine returns whatever its isolation level.
func statements(t *testing.T, w *World) {
	full := engines.ScanSpec{}
	s := Script{Steps: []Step{
		// read-your-writes in gets and scans
		Set(0, 3, 33), Delete(0, 4), Insert(0, 100, 7),
		Get(0, 3), Get(0, 4), Get(0, 100),
		Scan(0, engines.ScanSpec{Start: Key(2), Limit: 4}),
		Scan(0, engines.ScanSpec{Start: Key(5), Reverse: true, Limit: 3}),
		Scan(0, engines.ScanSpec{Start: Key(6), End: Key(6), EndInclusivePrefix: true}),
		// duplicate-key and not-found are results, not aborts
		Insert(0, 5, 7), Insert(0, 100, 8), Set(0, 4, 1), Set(0, 55, 1), Delete(0, 55),
		Commit(0),
		// the next transaction sees the commit; a read-only one refuses writes
		Get(1, 100), Get(1, 4), Scan(1, full), Set(1, 1, 1), Insert(1, 200, 1), Delete(1, 2), Commit(1),
		Scan(2, full), Commit(2),
	}, ReadOnly: map[int]bool{1: true}}
	want := []struct {
		val string
		err error
	}{
		{"", nil}, {"", nil}, {"", nil},
		{"33", nil}, {"none", nil}, {"7", nil},
		{"[2 3 5 6]", nil}, {"[100 9 8]", nil}, {"[6]", nil},
		{"", engines.ErrDuplicateKey}, {"", engines.ErrDuplicateKey}, {"", engines.ErrNotFound}, {"", engines.ErrNotFound}, {"", engines.ErrNotFound},
		{"", nil},
		{"7", nil}, {"none", nil}, {"[0 1 2 3 5 6 7 8 9 100]", nil}, {"", engines.ErrReadOnly}, {"", engines.ErrReadOnly}, {"", engines.ErrReadOnly}, {"", nil},
		{"[0 1 2 3 5 6 7 8 9 100]", nil}, {"", nil},
	}
	o, err := w.Run(s)
	if err != nil {
		t.Fatalf("%v\n%s", err, trace(s, o))
	}
	for i, wt := range want {
		if got := o[i]; got.Val != wt.val || !errors.Is(got.Err, wt.err) {
			t.Errorf("%s: %q, %v; want %q, %v\n%s", s.Steps[i].Name, got.Val, got.Err, wt.val, wt.err, trace(s, o))
			return
		}
	}
}
