package runner

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/txbench/txbench/sim"
)

const ms = time.Millisecond

// txn records a transaction of typ with its attempts: all but the last abort
// with reason, the last commits if committed. Attempts end 1 ms apart, the
// transaction with the last one.
func txn(r *Recorder, typ string, end, lat time.Duration, attempts int, committed bool, reason string) {
	for i := range attempts {
		last := i == attempts-1
		r.Attempt(AttemptRecord{
			Type:      typ,
			End:       end - time.Duration(attempts-1-i)*ms,
			Latency:   lat / time.Duration(attempts),
			Committed: last && committed,
			Reason:    reasonFor(last && committed, reason),
		})
	}
	r.Txn(TxnRecord{Type: typ, End: end, Latency: lat, Committed: committed, Attempts: attempts})
}

func reasonFor(committed bool, reason string) string {
	if committed {
		return ""
	}
	return reason
}

func TestRecorderCounts(t *testing.T) {
	type tx struct {
		typ       string
		attempts  int
		committed bool
	}
	tests := []struct {
		name     string
		txns     []tx
		measured time.Duration
		want     Summary // only the count and rate fields are compared
	}{
		{
			name:     "nothing recorded",
			measured: 10 * time.Second,
			want:     Summary{},
		},
		{
			name:     "all commit first time",
			txns:     []tx{{"a", 1, true}, {"a", 1, true}, {"b", 1, true}, {"b", 1, true}},
			measured: 2 * time.Second,
			want:     Summary{Committed: 4, Attempts: 4, ThroughputTPS: 2, AttemptsPerS: 2},
		},
		{
			name:     "retries and a failure",
			txns:     []tx{{"a", 3, true}, {"a", 1, true}, {"b", 4, false}},
			measured: time.Second,
			// 8 attempts, aborted: 2 + 4; retries: (8-3)/3.
			want: Summary{Committed: 2, Failed: 1, Attempts: 8, AbortedAttempts: 6,
				AbortRate: 0.75, RetriesPerTxn: 1.66667, ThroughputTPS: 2, AttemptsPerS: 8},
		},
		{
			name:     "zero measured time gives zero rates, not Inf",
			txns:     []tx{{"a", 2, true}},
			measured: 0,
			want:     Summary{Committed: 1, Attempts: 2, AbortedAttempts: 1, AbortRate: 0.5, RetriesPerTxn: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder([]string{"a", "b"}, 0, time.Second)
			for i, x := range tc.txns {
				txn(r, x.typ, time.Duration(i+10)*ms, 5*ms, x.attempts, x.committed, "conflict(OC000)")
			}
			got, _, _, _, _ := r.Result(tc.measured)
			counts := func(s Summary) Summary {
				return Summary{Committed: s.Committed, Failed: s.Failed, Attempts: s.Attempts,
					AbortedAttempts: s.AbortedAttempts, AbortRate: s.AbortRate, RetriesPerTxn: s.RetriesPerTxn,
					ThroughputTPS: s.ThroughputTPS, AttemptsPerS: s.AttemptsPerS}
			}
			if !reflect.DeepEqual(counts(got), tc.want) {
				t.Errorf("summary = %+v\nwant      %+v", counts(got), tc.want)
			}
			if got.AbortedAttempts > 0 && got.AbortReasons["conflict(OC000)"] != got.AbortedAttempts {
				t.Errorf("abort reasons = %v, want all %d as conflict(OC000)", got.AbortReasons, got.AbortedAttempts)
			}
		})
	}
}

func TestPerTypeSummariesAddUp(t *testing.T) {
	r := NewRecorder([]string{"b", "a"}, 0, time.Second)
	txn(r, "a", 10*ms, 3*ms, 2, true, "deadlock(40P01)")
	txn(r, "b", 20*ms, 4*ms, 1, false, "wounded")
	txn(r, "c", 30*ms, 5*ms, 1, true, "")
	txn(r, "a", 40*ms, 6*ms, 1, true, "")
	sum, types, _, hists, _ := r.Result(time.Second)

	var names []string
	var c, f, a, ab int64
	for _, ts := range types {
		names = append(names, ts.Name)
		c, f, a, ab = c+ts.Committed, f+ts.Failed, a+ts.Attempts, ab+ts.AbortedAttempts
	}
	// Declared types first in declared order, then types as first seen.
	if want := []string{"b", "a", "c"}; !slices.Equal(names, want) {
		t.Errorf("types = %v, want %v", names, want)
	}
	if c != sum.Committed || f != sum.Failed || a != sum.Attempts || ab != sum.AbortedAttempts {
		t.Errorf("types add up to %d/%d/%d/%d, summary %d/%d/%d/%d", c, f, a, ab,
			sum.Committed, sum.Failed, sum.Attempts, sum.AbortedAttempts)
	}
	for _, name := range []string{"all/latency", "all/attempt", "a/latency", "a/attempt", "b/latency", "c/attempt"} {
		if _, ok := hists[name]; !ok {
			t.Errorf("histogram %q missing", name)
		}
	}
	want := map[string]int64{"deadlock(40P01)": 1, "wounded": 1}
	if !reflect.DeepEqual(sum.AbortReasons, want) {
		t.Errorf("abort reasons = %v, want %v", sum.AbortReasons, want)
	}
}

func TestWarmupExclusion(t *testing.T) {
	r := NewRecorder([]string{"a"}, time.Second, time.Second)
	// During warmup: a slow committed txn, an aborted attempt on a key.
	r.Attempt(AttemptRecord{Type: "a", End: 500 * ms, Latency: 900 * ms, Reason: "conflict(OC000)", Table: "t", Key: "1"})
	r.Attempt(AttemptRecord{Type: "a", End: 999 * ms, Latency: 900 * ms, Committed: true, Participants: 3})
	r.Txn(TxnRecord{Type: "a", End: 999 * ms, Latency: 900 * ms, Committed: true, Attempts: 2,
		Breakdown: &sim.Ledger{sim.CatNetwork: 900 * ms}})
	// After warmup: a fast one. End == warmup counts as measured.
	r.Attempt(AttemptRecord{Type: "a", End: time.Second, Latency: 2 * ms, Committed: true, Participants: 1})
	r.Txn(TxnRecord{Type: "a", End: time.Second, Latency: 2 * ms, Committed: true, Attempts: 1,
		Breakdown: &sim.Ledger{sim.CatNetwork: 2 * ms, sim.CatThink: 5 * ms}})

	sum, _, tl, hists, top := r.Result(time.Second)
	if sum.Committed != 1 || sum.Attempts != 1 || sum.AbortedAttempts != 0 || sum.RetriesPerTxn != 0 {
		t.Errorf("summary counts warmup records: %+v", sum)
	}
	if sum.LatencyMs.Max != 2 || sum.AttemptLatencyMs.Max != 2 {
		t.Errorf("max latency = %v / %v, want 2 ms (warmup excluded)", sum.LatencyMs.Max, sum.AttemptLatencyMs.Max)
	}
	if len(top) != 0 {
		t.Errorf("top contended includes warmup aborts: %v", top)
	}
	if !reflect.DeepEqual(sum.BreakdownMs, map[string]float64{"network": 2}) {
		t.Errorf("breakdown = %v, want network 2", sum.BreakdownMs)
	}
	if !reflect.DeepEqual(sum.Participants, map[string]int64{"1": 1}) {
		t.Errorf("participants = %v, want 1:1", sum.Participants)
	}
	h, err := DecodeHistogram(hists["all/latency"])
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 1 {
		t.Errorf("latency histogram holds %d values, want 1", h.TotalCount())
	}
	// The timeline keeps the warmup, marked.
	if len(tl) != 2 || !tl[0].Warmup || tl[1].Warmup || tl[0].Committed != 1 || tl[0].Aborted != 1 || tl[1].Committed != 1 {
		t.Errorf("timeline = %+v", tl)
	}
}

func TestLatencyClamping(t *testing.T) {
	tests := []struct {
		name    string
		latency time.Duration
		want    float64 // ms
	}{
		{"beyond range counts at 1 h", 2 * time.Hour, 3600 * 1000},
		{"negative counts as zero", -5 * ms, 0},
		{"below 1 µs counts as zero", 400 * time.Nanosecond, 0},
		{"in range", 1500 * time.Microsecond, 1.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder(nil, 0, time.Second)
			r.Attempt(AttemptRecord{Type: "a", End: ms, Latency: tc.latency, Committed: true})
			r.Txn(TxnRecord{Type: "a", End: ms, Latency: tc.latency, Committed: true, Attempts: 1})
			sum, _, _, hists, _ := r.Result(time.Second)
			h, err := DecodeHistogram(hists["all/latency"])
			if err != nil {
				t.Fatal(err)
			}
			if h.TotalCount() != 1 {
				t.Fatalf("histogram holds %d values, want 1 (never dropped)", h.TotalCount())
			}
			// Within the histogram's 0.1% precision.
			near := func(got float64) bool { return got >= tc.want*0.999 && got <= tc.want*1.001 }
			if got := float64(h.ValueAtQuantile(50)) / 1000; !near(got) {
				t.Errorf("histogram p50 = %v ms, want ≈%v", got, tc.want)
			}
			if l := sum.LatencyMs; !near(l.P50) || !near(l.P99) || !near(l.Max) || !near(l.Mean) {
				t.Errorf("latency = %+v, want all ≈%v", l, tc.want)
			}
		})
	}
}

func TestTimelineBucketing(t *testing.T) {
	r := NewRecorder([]string{"a"}, 2*time.Second, time.Second)
	// Interval 0: two commits at 10 and 30 ms latency, one aborted attempt.
	txn(r, "a", 100*ms, 10*ms, 1, true, "")
	txn(r, "a", 900*ms, 30*ms, 2, true, "conflict(OC000)")
	// Interval 1: nothing. Interval 2: a failure and a commit.
	txn(r, "a", 2500*ms, 50*ms, 1, false, "deadline-exceeded")
	txn(r, "a", 2999*ms, 7*ms, 1, true, "")
	// Interval 3 (still open when Result is called): one commit.
	txn(r, "a", 3000*ms, 4*ms, 1, true, "")

	_, _, tl, _, _ := r.Result(2 * time.Second)
	want := []TimelinePoint{
		{TS: 0, Committed: 2, Attempts: 3, Aborted: 1, TPS: 2, P50Ms: 10.007, P99Ms: 30.015, Warmup: true},
		{TS: 1, Warmup: true},
		{TS: 2, Committed: 1, Failed: 1, Attempts: 2, Aborted: 1, TPS: 1, P50Ms: 7.003, P99Ms: 7.003},
		{TS: 3, Committed: 1, Attempts: 1, TPS: 1, P50Ms: 4.001, P99Ms: 4.001},
	}
	if !reflect.DeepEqual(tl, want) {
		t.Errorf("timeline:\n got %+v\nwant %+v", tl, want)
	}
	// Result must not close the open bucket: asking again gives the same.
	if _, _, again, _, _ := r.Result(2 * time.Second); !reflect.DeepEqual(again, tl) {
		t.Errorf("second Result differs: %+v", again)
	}
	// A transaction ending late (after a later one) is counted without
	// disturbing the finished bucket's percentiles.
	r.Txn(TxnRecord{Type: "a", End: 500 * ms, Latency: 900 * ms, Committed: true, Attempts: 1})
	_, _, tl, _, _ = r.Result(2 * time.Second)
	if tl[0].Committed != 3 || tl[0].P99Ms != 30.015 {
		t.Errorf("late record: %+v", tl[0])
	}
}

func TestTopContendedOrdering(t *testing.T) {
	r := NewRecorder(nil, 0, time.Second)
	abort := func(table, key string, n int) {
		for range n {
			r.Attempt(AttemptRecord{Type: "a", End: ms, Latency: ms, Reason: "conflict(OC000)", Table: table, Key: key})
		}
	}
	abort("stock", "(1,5)", 3)
	abort("district", "(1,2)", 3)
	abort("district", "(1,1)", 3)
	abort("warehouse", "(1)", 7)
	abort("stock", "", 9) // no key: not ranked
	for i := range 12 {
		abort("item", fmt.Sprintf("(%02d)", i), 1)
	}
	// A committed attempt naming a key is not contention.
	r.Attempt(AttemptRecord{Type: "a", End: ms, Latency: ms, Committed: true, Table: "x", Key: "1"})

	_, _, _, _, top := r.Result(time.Second)
	want := []ContendedKey{
		{"warehouse", "(1)", 7},
		{"district", "(1,1)", 3},
		{"district", "(1,2)", 3},
		{"stock", "(1,5)", 3},
		{"item", "(00)", 1}, {"item", "(01)", 1}, {"item", "(02)", 1},
		{"item", "(03)", 1}, {"item", "(04)", 1}, {"item", "(05)", 1},
	}
	if !reflect.DeepEqual(top, want) {
		t.Errorf("top contended:\n got %v\nwant %v", top, want)
	}
}

func TestHistogramRoundTrip(t *testing.T) {
	r := NewRecorder([]string{"a"}, 0, time.Second)
	// A spread of latencies, 37 µs .. ~370 ms.
	for i := range 1000 {
		lat := time.Duration(37*(i*i%997+1)) * time.Microsecond
		r.Attempt(AttemptRecord{Type: "a", End: time.Duration(i) * ms, Latency: lat, Committed: true})
		r.Txn(TxnRecord{Type: "a", End: time.Duration(i) * ms, Latency: lat, Committed: true, Attempts: 1})
	}
	sum, types, _, hists, _ := r.Result(time.Second)
	for name, want := range map[string]Latency{
		"all/latency": sum.LatencyMs, "all/attempt": sum.AttemptLatencyMs, "a/latency": types[0].LatencyMs,
	} {
		h, err := DecodeHistogram(hists[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.TotalCount() != 1000 {
			t.Errorf("%s: %d values, want 1000", name, h.TotalCount())
		}
		for _, q := range []struct {
			q    float64
			want float64
		}{{50, want.P50}, {95, want.P95}, {99, want.P99}, {99.9, want.P999}} {
			if got := microsToMs(h.ValueAtQuantile(q.q)); got != q.want {
				t.Errorf("%s: decoded p%v = %v ms, summary says %v", name, q.q, got, q.want)
			}
		}
	}
}

func TestDecodeHistogramRejects(t *testing.T) {
	for _, s := range []string{"", "not base64!", "AAAA", "HIST", "HISTFAAAACh4nJNpmSzMwMDAxAABzFCaEUoz2X+AsQA/awKL"} {
		if _, err := DecodeHistogram(s); err == nil {
			t.Errorf("DecodeHistogram(%q) succeeded", s)
		}
	}
}

func TestRecorderDeterminism(t *testing.T) {
	build := func() []byte {
		r := NewRecorder([]string{"new_order", "payment"}, 500*ms, 250*ms)
		feed(r)
		res := &Result{Engine: "dsql", Workload: "tpcc", Seed: 42, Mode: "simulated",
			Config: map[string]string{"clients": "8", "seed": "42"}}
		r.Fill(res, 2*time.Second)
		data, err := res.marshal()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b := build(), build()
	if !bytes.Equal(a, b) {
		t.Fatal("two recorders fed the same records wrote different JSON")
	}
}

// feed records a small deterministic run: four types, retries, failures,
// contention, breakdowns and participants, spread over 2.5 s.
func feed(r *Recorder) {
	reasons := []string{"conflict(OC000)", "conflict(OC000)", "deadlock(40P01)", "wounded", "serialization(40001)"}
	types := []string{"new_order", "payment", "order_status", "delivery"}
	for i := range 400 {
		typ := types[i%len(types)]
		if i%7 == 0 {
			typ = "stock_level" // not declared
		}
		end := time.Duration(i) * 6250 * time.Microsecond
		attempts := 1 + (i*i)%4/3 + (i%11)/10*2
		committed := i%37 != 0
		lat := time.Duration(1000+(i*7919)%23000) * time.Microsecond * time.Duration(attempts)
		for a := range attempts {
			last := a == attempts-1
			ok := last && committed
			rec := AttemptRecord{Type: typ, End: end - time.Duration(attempts-1-a)*ms, Latency: lat / time.Duration(attempts), Committed: ok}
			if ok {
				rec.Participants = 1 + i%3
			} else {
				rec.Reason = reasons[(i+a)%len(reasons)]
				rec.Table = []string{"district", "stock", "warehouse"}[i%3]
				rec.Key = fmt.Sprintf("(%d,%d)", 1+i%2, 1+i%5)
			}
			r.Attempt(rec)
		}
		var bd *sim.Ledger
		if committed && typ != "delivery" {
			bd = &sim.Ledger{
				sim.CatNetwork:  lat * 6 / 10,
				sim.CatCPU:      lat / 10,
				sim.CatLockWait: lat / 5,
				sim.CatBackoff:  lat / 10,
			}
		}
		r.Txn(TxnRecord{Type: typ, End: end, Latency: lat, Committed: committed, Attempts: attempts, Breakdown: bd})
	}
}

// The last interval covers only the part of it the run lasted: its tps
// divides by that, not by a whole interval.
func TestLastIntervalRateUsesItsCoveredPart(t *testing.T) {
	r := NewRecorder([]string{"t"}, 0, time.Second)
	for _, end := range []time.Duration{500 * time.Millisecond, 2200 * time.Millisecond, 2400 * time.Millisecond} {
		r.Attempt(AttemptRecord{Type: "t", End: end, Latency: time.Millisecond, Committed: true})
		r.Txn(TxnRecord{Type: "t", End: end, Latency: time.Millisecond, Committed: true, Attempts: 1})
	}
	_, _, tl, _, _ := r.Result(2500 * time.Millisecond)
	if len(tl) != 3 || tl[0].TPS != 1 || tl[2].TPS != 4 {
		t.Fatalf("timeline %+v: want 1 tps in the first interval and 2 commits / 0.5 s = 4 tps in the last", tl)
	}
}

// TestManyTypesEachCountTheirOwn: more transaction types than the
// recorder's first-names memo holds (named) still count apart, whichever
// order they come in, names of one length included.
func TestManyTypesEachCountTheirOwn(t *testing.T) {
	r := NewRecorder(nil, 0, time.Second)
	want := map[string]int64{}
	for i := range 60 {
		name := fmt.Sprintf("t%d", (i*7)%12)
		txn(r, name, time.Duration(i+1)*ms, ms, 1, true, "")
		want[name]++
	}
	_, types, _, _, _ := r.Result(time.Second)
	if len(types) != len(want) {
		t.Fatalf("%d types, want %d", len(types), len(want))
	}
	for _, ts := range types {
		if ts.Committed != want[ts.Name] {
			t.Errorf("type %s: %d committed, want %d", ts.Name, ts.Committed, want[ts.Name])
		}
	}
}

// latencyOf reads the maximum as the 100th percentile: the same value as
// the library's Max for histograms of the runner's geometry, whatever the
// spread (one value, a few, values at bucket edges, the clamp at the top).
func TestMaxIsTheHundredthPercentile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		h := newHistogram()
		for range 1 + rng.IntN(trial+1) {
			var v int64
			switch rng.IntN(4) {
			case 0:
				v = rng.Int64N(2048)
			case 1:
				v = int64(1) << rng.IntN(34)
			case 2:
				v = histHighestMicros
			default:
				v = rng.Int64N(histHighestMicros)
			}
			h.RecordValues(max(v, histLowestMicros), 1+rng.Int64N(3))
		}
		if got, want := h.ValueAtQuantile(100), h.Max(); got != want {
			t.Fatalf("trial %d: 100th percentile %d, Max %d", trial, got, want)
		}
		if got, want := latencyOf(h, 0).Max, microsToMs(h.Max()); got != want {
			t.Fatalf("trial %d: latencyOf's max %v, want %v", trial, got, want)
		}
	}
}
