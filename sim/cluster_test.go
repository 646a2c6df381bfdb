package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPresetsValidateWithTheBriefsNumbers(t *testing.T) {
	for _, name := range PresetNames() {
		topo, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	us3, _ := Preset("us-3")
	if got := us3.RTT("us-east-1a", "us-east-2b"); got.Median != 11500*time.Microsecond || got.P99 != 14400*time.Microsecond {
		t.Errorf("us-east-1↔us-east-2 %v", got)
	}
	if !us3.Region("us-west-2").Witness || len(us3.FullRegions()) != 2 {
		t.Error("us-3: us-west-2 should be the witness")
	}
	r3, _ := Preset("region-3az")
	if r3.RTT("us-east-1a", "us-east-1a").Median != 100*time.Microsecond || r3.RTT("us-east-1a", "us-east-1b").Median != time.Millisecond {
		t.Error("region-3az RTTs")
	}
	if _, err := Preset("mars-1"); err == nil || !strings.Contains(err.Error(), "mars-1") {
		t.Errorf("unknown preset error: %v", err)
	}
}

func TestParseTopology(t *testing.T) {
	good := `
name: two
regions:
  - {name: r1, azs: [r1a, r1b]}
  - {name: r2, azs: [r2a], witness: true}
intra_az: {median: 200us, p99: 400us}
links:
  - {a: r1, b: r2, rtt: {median: 20ms, p99: 25ms}}
`
	topo, err := ParseTopology([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if topo.RTT("r1a", "r2a").Median != 20*time.Millisecond || topo.IntraAZ.Median != 200*time.Microsecond || topo.CrossAZ != defaultCrossAZ {
		t.Fatalf("parsed %+v", topo)
	}
	bad := map[string]string{
		"malformed":       "regions: [",
		"unknown field":   "regions: [{name: r1, azs: [a]}]\nlatency: 3",
		"missing link":    "regions: [{name: r1, azs: [a]}, {name: r2, azs: [b]}]",
		"only witnesses":  "regions: [{name: r1, azs: [a], witness: true}]",
		"no azs":          "regions: [{name: r1}]",
		"link to nowhere": "regions: [{name: r1, azs: [a]}]\nlinks: [{a: r1, b: r9, rtt: {median: 1ms}}]",
	}
	for name, doc := range bad {
		_, err := ParseTopology([]byte(doc))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") && name == "malformed" {
			t.Errorf("%s: multi-line error %q", name, err)
		}
	}
}

func FuzzParseTopology(f *testing.F) {
	f.Add([]byte("regions: [{name: r1, azs: [a]}]"))
	f.Add([]byte("regions: [{name: r1, azs: [a]}, {name: r2, azs: [b]}]\nlinks: [{a: r1, b: r2, rtt: {median: 1ms}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := ParseTopology(data)
		if err == nil && topo.Validate() != nil {
			t.Fatal("ParseTopology returned an invalid topology")
		}
	})
}

func TestLinkSamplesFitMedianAndP99(t *testing.T) {
	l := Link{Median: 10 * time.Millisecond, P99: 20 * time.Millisecond}
	rng := NewStream(1, "x")
	var xs []float64
	for range 20000 {
		xs = append(xs, float64(l.Sample(rng, true)))
	}
	slices.Sort(xs)
	med, p99 := xs[len(xs)/2], xs[len(xs)*99/100]
	if math.Abs(med/float64(l.Median)-1) > 0.03 || math.Abs(p99/float64(l.P99)-1) > 0.06 {
		t.Fatalf("median %v p99 %v", time.Duration(med), time.Duration(p99))
	}
	if l.Sample(rng, false) != l.Median {
		t.Fatal("jitter off must give the median")
	}
}

func TestNetworkDelayIsHalfTheRTTWithoutJitter(t *testing.T) {
	k := NewKernel(1)
	topo, _ := Preset("us-3")
	cl := NewCluster(k, topo, ClusterConfig{})
	a := cl.AddNode("a", "us-east-1a", 1)
	b := cl.AddNode("b", "us-east-2a", 1)
	c := cl.AddNode("c", "us-east-1b", 1)
	if d := cl.Delay(a, b); d != 5750*time.Microsecond {
		t.Fatalf("one-way e1→e2 %v", d)
	}
	if d := cl.Delay(a, c); d != 500*time.Microsecond {
		t.Fatalf("one-way cross-AZ %v", d)
	}
	var arrived Time
	k.Spawn("msg", func(p *Proc) { cl.Send(p, a, b); cl.Send(p, b, a); arrived = p.Now() })
	k.Run(-1)
	if arrived != 11500*time.Microsecond {
		t.Fatalf("round trip took %v", arrived)
	}
	if cl.Nearest(a, []*Node{b, c}) != c {
		t.Fatal("nearest")
	}
}

func TestClockStaysWithinEpsilon(t *testing.T) {
	k := NewKernel(3)
	topo, _ := Preset("single-az")
	eps, err := ParseEpsilon("sawtooth:1ms-7ms/30s")
	if err != nil {
		t.Fatal(err)
	}
	cl := NewCluster(k, topo, ClusterConfig{Epsilon: eps})
	var nodes []*Node
	for i := range 20 {
		nodes = append(nodes, cl.AddNode("n"+string(rune('a'+i)), "us-east-1a", 1))
	}
	k.Spawn("check", func(p *Proc) {
		for range 100 {
			p.Sleep(700*time.Millisecond, CatOther)
			truth := TrueTime(p.Now())
			for _, n := range nodes {
				e := int64(n.Clock.Epsilon())
				iv := n.Clock.Now()
				if iv.Earliest > truth || iv.Latest < truth || iv.Latest-iv.Earliest != 2*e {
					t.Fatalf("%s at %v: %+v, truth %d, ε %d", n.Name, p.Now(), iv, truth, e)
				}
			}
		}
		// Commit wait: after it, every clock's earliest is past ts.
		n := nodes[0]
		ts := n.Clock.Now().Latest
		start, e0 := p.Now(), n.Clock.Epsilon()
		n.Clock.WaitUntilEarliestAfter(p, ts, CatCommitWait)
		if n.Clock.Now().Earliest <= ts || TrueTime(p.Now()) <= ts {
			t.Fatal("commit wait ended early")
		}
		if w := p.Now() - start; w > 2*e0+time.Millisecond {
			t.Fatalf("commit wait %v for ε %v", w, e0)
		}
		if at := n.Clock.WhenEarliestReaches(ts); n.Clock.At(at).Earliest < ts || n.Clock.At(at-time.Microsecond).Earliest >= ts {
			t.Fatalf("WhenEarliestReaches not the first instant: %v", at)
		}
	})
	k.Run(-1)
	for _, bad := range []string{"-1ms", "fast", "sawtooth:7ms-1ms/30s", "sawtooth:1ms"} {
		if _, err := ParseEpsilon(bad); err == nil {
			t.Errorf("ParseEpsilon(%q) accepted", bad)
		}
	}
}

// Each node's sawtooth has its own seeded phase: at one instant the nodes'
// ε spread over the whole range, and their average over nodes is about ε̄
// from the first instant of a run (not the sawtooth's low point).
func TestSawtoothPhasePerNode(t *testing.T) {
	eps := SawtoothEpsilon(time.Millisecond, 7*time.Millisecond, 30*time.Second)
	readings := func(seed uint64) []time.Duration {
		k := NewKernel(seed)
		topo, _ := Preset("single-az")
		cl := NewCluster(k, topo, ClusterConfig{Epsilon: eps})
		var out []time.Duration
		for i := range 200 {
			out = append(out, cl.AddNode(fmt.Sprint("n", i), "us-east-1a", 1).Clock.Epsilon())
		}
		return out
	}
	a := readings(1)
	var sum, lo, hi time.Duration = 0, time.Hour, 0
	for _, e := range a {
		sum += e
		lo, hi = min(lo, e), max(hi, e)
	}
	if mean := sum / time.Duration(len(a)); mean < 3500*time.Microsecond || mean > 4500*time.Microsecond {
		t.Errorf("mean ε over nodes at t=0 is %v, want about ε̄ = %v", mean, eps.Mean())
	}
	if lo > 1500*time.Microsecond || hi < 6500*time.Microsecond {
		t.Errorf("ε at t=0 spans only %v..%v; phases are not spread", lo, hi)
	}
	if !slices.Equal(a, readings(1)) {
		t.Error("phases differ between two runs with the same seed")
	}
	if slices.Equal(a, readings(2)) {
		t.Error("phases do not depend on the seed")
	}
}

// --net-delay adds a fixed one-way delay to every message between two
// nodes (with and without jitter) and to the median engines stream with;
// a node's message to itself stays free.
func TestNetDelayAddsToEveryCrossNodeMessage(t *testing.T) {
	topo, _ := Preset("region-3az")
	for _, jitter := range []bool{false, true} {
		k := NewKernel(1)
		cl := NewCluster(k, topo, ClusterConfig{Jitter: jitter, NetDelay: time.Millisecond})
		a := cl.AddNode("a", "us-east-1a", 1)
		b := cl.AddNode("b", "us-east-1b", 1)
		if d := cl.Delay(a, b); d < time.Millisecond+topo.RTT(a.AZ, b.AZ).Median/4 {
			t.Errorf("jitter %v: delay %v without the added 1ms", jitter, d)
		}
		if got, want := cl.MedianDelay(a.AZ, b.AZ), time.Millisecond+topo.RTT(a.AZ, b.AZ).Median/2; got != want {
			t.Errorf("median delay %v, want %v", got, want)
		}
		var self time.Duration
		k.Spawn("p", func(p *Proc) { cl.Send(p, a, a); self = p.Now() })
		k.Run(-1)
		if self != 0 {
			t.Errorf("a message to itself took %v", self)
		}
	}
}

// With MsgCPU a message between two nodes costs it at each end: on
// one-core nodes, the sender's CPU is busy before the flight and the
// receiver's after it; a message to itself stays free.
func TestMsgCPUCostsEachEnd(t *testing.T) {
	topo, _ := Preset("region-3az")
	k := NewKernel(1)
	const cost = 100 * time.Microsecond
	cl := NewCluster(k, topo, ClusterConfig{MsgCPU: cost})
	a := cl.AddNode("a", "us-east-1a", 1)
	b := cl.AddNode("b", "us-east-1b", 1)
	var sent, self, busyB time.Duration
	k.Spawn("send", func(p *Proc) {
		cl.Send(p, a, b)
		sent = p.Now()
		cl.Send(p, a, a)
		self = p.Now() - sent
	})
	// A competing job on b that starts when the message is in flight
	// waits for the message's handling or runs before it; either way b's
	// CPU did both.
	k.Spawn("b-work", func(p *Proc) {
		b.CPU.Exec(p, cost)
		busyB = p.Now()
	})
	k.Run(-1)
	if want := 2*cost + cl.Delay(a, b); sent != want {
		t.Errorf("a message took %v, want 2 × %v + the flight %v", sent, cost, cl.Delay(a, b))
	}
	if self != 0 {
		t.Errorf("a message to itself took %v", self)
	}
	if busyB != cost {
		t.Errorf("b's own work ended at %v, want %v (it started before the message arrived)", busyB, cost)
	}
}
