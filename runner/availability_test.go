package runner

import (
	"testing"
	"time"

	"github.com/txbench/txbench/sim"
)

// Synthetic records with known answers: group a commits every 10 ms except
// during a 1 s crash, group b throughout.
func TestAvailabilityFigures(t *testing.T) {
	f, err := sim.ParseFault("crash:us-east-1a@2s+1s")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder([]string{"x"}, 0, time.Second)
	r.EnableAvailability(100*time.Millisecond, []sim.Fault{f}, []string{"a", "b"})
	for ms := 0; ms < 5000; ms += 10 {
		at := time.Duration(ms) * time.Millisecond
		if ms < 2000 || ms >= 3000 {
			r.Txn(TxnRecord{Type: "x", End: at, Latency: time.Millisecond, Committed: true, Group: "a"})
		}
		r.Txn(TxnRecord{Type: "x", End: at, Latency: 2 * time.Millisecond, Committed: true, Group: "b"})
	}
	r.Attempt(AttemptRecord{Type: "x", End: 2100 * time.Millisecond, Reason: "conflict(OC000)", Group: "b", Retried: true})
	r.Attempt(AttemptRecord{Type: "x", End: 2500 * time.Millisecond, Reason: string(ReasonTimeout), Group: "a", Retried: true})
	r.Attempt(AttemptRecord{Type: "x", End: 2600 * time.Millisecond, Reason: string(ReasonTimeout), Group: "a"})
	r.Txn(TxnRecord{Type: "x", End: 2600 * time.Millisecond, Group: "a"})
	r.Attempt(AttemptRecord{Type: "x", End: 3500 * time.Millisecond, Reason: string(ReasonTimeout), Group: "a", Retried: true})

	var res Result
	r.Fill(&res, 5*time.Second)
	a := res.Availability
	if a == nil || len(a.Faults) != 1 {
		t.Fatalf("availability %+v", a)
	}
	ff := a.Faults[0]
	check := func(name string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("longest gap a", ff.LongestGapS["a"], 1.01)
	check("longest gap b", ff.LongestGapS["b"], 0.01)
	check("pre-fault tps", ff.PreFaultTPS, 200)
	// [2.7 s, 3.7 s) holds b's 100 and a's 70 commits, under 180; from
	// 2.8 s every window holds at least 180.
	if ff.RecoveryS == nil || *ff.RecoveryS != 0.8 {
		t.Errorf("recovery %v, want 0.8", ff.RecoveryS)
	}
	if ff.FirstFailureS == nil || *ff.FirstFailureS != 0.5 {
		t.Errorf("first failure %v, want 0.5 (the conflict at 2.1 s is not an availability failure)", ff.FirstFailureS)
	}
	check("failed txns", float64(ff.FailedTxns), 1)
	check("retried attempts", float64(ff.RetriedAttempts), 2)
	if ff.EndS == nil || *ff.EndS != 3 {
		t.Errorf("end %v", ff.EndS)
	}
	tl := a.Timeline["a"]
	if len(tl) != 50 || tl[25].Committed != 0 || tl[25].Aborted != 1 || tl[25].Reasons[string(ReasonTimeout)] != 1 || tl[26].GaveUp != 1 || tl[10].Committed != 10 {
		t.Errorf("group a timeline around the fault: %+v %+v %+v", tl[10], tl[25], tl[26])
	}
	if all := a.Timeline["all"]; all[10].Committed != 20 || all[10].P99Ms != 2 {
		t.Errorf("all at 1 s: %+v", all[10])
	}
}

// A permanent fault that throughput never recovers from has no recovery
// time, and the gap runs to the end of the run.
func TestAvailabilityPermanentFault(t *testing.T) {
	f, err := sim.ParseFault("crash:us-east-1a@1s")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder([]string{"x"}, 0, time.Second)
	r.EnableAvailability(100*time.Millisecond, []sim.Fault{f}, []string{"a"})
	for ms := 0; ms < 1000; ms += 10 {
		r.Txn(TxnRecord{Type: "x", End: time.Duration(ms) * time.Millisecond, Committed: true, Group: "a"})
	}
	var res Result
	r.Fill(&res, 3*time.Second)
	ff := res.Availability.Faults[0]
	if ff.RecoveryS != nil || ff.EndS != nil || ff.LongestGapS["a"] != 2.01 {
		t.Errorf("permanent fault figures: recovery %v end %v gap %v", ff.RecoveryS, ff.EndS, ff.LongestGapS["a"])
	}
}
