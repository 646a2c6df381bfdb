package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/sim"
)

// Synthetic records with known answers: group a commits every 10 ms except
// during a 1 s crash, group b throughout.
func TestAvailabilityFigures(t *testing.T) {
	r, _ := faultRecorder(t, "crash:us-east-1a@2s+1s", "a", "b")
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
	r, _ := faultRecorder(t, "crash:us-east-1a@1s", "a")
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

// A permanent loss that takes group a's clients: the whole never gets back
// to 90% of its pre-fault rate, the survivors (b) do, and say when.
func TestAvailabilitySurvivorsRecovery(t *testing.T) {
	r, f := faultRecorder(t, "crash:us-east-1a@2s", "a", "b")
	for ms := 0; ms < 6000; ms += 10 {
		at := time.Duration(ms) * time.Millisecond
		if ms < 2000 {
			r.Txn(TxnRecord{Type: "x", End: at, Committed: true, Group: "a"})
		}
		// b stalls for 1.5 s (its leaders failing over), then runs as before.
		if ms < 2000 || ms >= 3500 {
			r.Txn(TxnRecord{Type: "x", End: at, Committed: true, Group: "b"})
		}
	}
	var res Result
	r.Fill(&res, 6*time.Second)
	ff := res.Availability.Faults[0]
	if ff.RecoveryS != nil || ff.PreFaultTPS != 200 {
		t.Errorf("whole: pre-fault %v recovery %v, want 200 and none", ff.PreFaultTPS, ff.RecoveryS)
	}
	if len(ff.Survivors) != 1 || ff.Survivors[0] != "b" || ff.SurvivorsPreFaultTPS != 100 {
		t.Errorf("survivors %v at %v tps, want [b] at 100", ff.Survivors, ff.SurvivorsPreFaultTPS)
	}
	// b resumes at 3.5 s: [3.3 s, 4.3 s) holds 80 of its commits, under 90;
	// every window from [3.4 s, 4.4 s) on holds 90 or more: 1.4 s after.
	if ff.SurvivorsRecoveryS == nil || *ff.SurvivorsRecoveryS != 1.4 {
		t.Errorf("survivors' recovery %v, want 1.4", ff.SurvivorsRecoveryS)
	}
	var buf bytes.Buffer
	WriteSummary(&buf, &res)
	if !strings.Contains(buf.String(), "survivors (b) back to 90% of their 100 tps after 1.40s") {
		t.Errorf("summary does not name the survivors' recovery:\n%s", buf.String())
	}
	// Every group still committing at the end: no survivors figure.
	{
		r2 := NewRecorder([]string{"x"}, 0, time.Second)
		r2.EnableAvailability(100*time.Millisecond, []sim.Fault{f}, []string{"a"})
		for ms := 0; ms < 4000; ms += 10 {
			r2.Txn(TxnRecord{Type: "x", End: time.Duration(ms) * time.Millisecond, Committed: true, Group: "a"})
		}
		var res2 Result
		r2.Fill(&res2, 4*time.Second)
		if s := res2.Availability.Faults[0].Survivors; s != nil {
			t.Errorf("survivors %v when every group commits at the end", s)
		}
	}
}

// faultRecorder is a recorder of one transaction type "x" with 100 ms
// availability intervals over the client groups, for the fault spec.
func faultRecorder(t *testing.T, spec string, groups ...string) (*Recorder, sim.Fault) {
	t.Helper()
	f, err := sim.ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRecorder([]string{"x"}, 0, time.Second)
	r.EnableAvailability(100*time.Millisecond, []sim.Fault{f}, groups)
	return r, f
}
