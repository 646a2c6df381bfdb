package sim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	good := map[string]Fault{
		"crash:us-east-2@10s+20s": {Kind: FaultCrash, Places: []string{"us-east-2"}, Start: 10 * time.Second, Duration: 20 * time.Second},
		"crash:shard-3@1s":        {Kind: FaultCrash, Places: []string{"shard-3"}, Start: time.Second},
		"partition:us-east-1a|us-east-1b,us-east-1c@5s+10s": {Kind: FaultPartition, Places: []string{"us-east-1a"},
			Other: []string{"us-east-1b", "us-east-1c"}, Start: 5 * time.Second, Duration: 10 * time.Second},
		"partition:us-east-1a>us-east-1b@0s": {Kind: FaultPartition, OneWay: true, Places: []string{"us-east-1a"}, Other: []string{"us-east-1b"}},
		"slow:us-east-1|us-east-2=50ms@5s+10s": {Kind: FaultSlow, Places: []string{"us-east-1"}, Other: []string{"us-east-2"},
			Delay: 50 * time.Millisecond, Start: 5 * time.Second, Duration: 10 * time.Second},
		"slow:a|b=1ms~2ms@1s":        {Kind: FaultSlow, Places: []string{"a"}, Other: []string{"b"}, Delay: time.Millisecond, Jitter: 2 * time.Millisecond, Start: time.Second},
		"epsilon=100ms@5s+5s":        {Kind: FaultEpsilon, Epsilon: 100 * time.Millisecond, Start: 5 * time.Second, Duration: 5 * time.Second},
		"kill-connections@10s":       {Kind: FaultKillConnections, Start: 10 * time.Second},
		"handoff:zone-1@3s":          {Kind: FaultHandoff, Places: []string{"zone-1"}, Start: 3 * time.Second},
		"  crash:us-east-1a@1.5s  ":  {Kind: FaultCrash, Places: []string{"us-east-1a"}, Start: 1500 * time.Millisecond},
		"partition:a, b|c@1s+500ms":  {Kind: FaultPartition, Places: []string{"a", "b"}, Other: []string{"c"}, Start: time.Second, Duration: 500 * time.Millisecond},
		"crash:us-east-1a@0s+1h2m3s": {Kind: FaultCrash, Places: []string{"us-east-1a"}, Duration: time.Hour + 2*time.Minute + 3*time.Second},
	}
	for spec, want := range good {
		got, err := ParseFault(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got.String() != want.String() {
			t.Errorf("%q: parsed %s, want %s", spec, got, want)
		}
		again, err := ParseFault(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("%q: canonical form %q does not read back (%v)", spec, got, err)
		}
	}
	bad := map[string]string{
		"crash:us-east-1a":               "no @START",
		"crash:us-east-1a@soon":          "start",
		"crash:us-east-1a@-1s":           "start",
		"crash:us-east-1a@1s+0s":         "duration must be positive",
		"crash:us-east-1a@1s+x":          "duration",
		"crash@1s":                       "needs a target",
		"crash:a,b@1s":                   "one place",
		"explode:a@1s":                   "unknown kind",
		"partition:a@1s":                 "two sides",
		"partition:a|b|c@1s":             "two sides",
		"partition:|b@1s":                "empty place",
		"slow:a|b@1s":                    "PLACE|PLACE=DELAY",
		"slow:a=1ms@1s":                  "two places",
		"slow:a|b=0s@1s":                 "positive delay",
		"slow:a|b=fast@1s":               "delay",
		"epsilon=lots@1s":                "epsilon",
		"kill-connections@1s+1s":         "no +DURATION",
		"kill-connections:everything@1s": "unknown kind",
		"handoff:a@1s+1s":                "no +DURATION",
		"handoff:a,b@1s":                 "one place",
		"handoff@1s":                     "needs a target",
	}
	for spec, want := range bad {
		_, err := ParseFault(spec)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), spec) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line quoting the spec and saying %q", spec, err, want)
		}
	}
}

// FuzzParseFault: any input either parses to a fault whose canonical form
// reads back to itself, or is refused with one line; never a panic.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"crash:us-east-2@10s+20s", "partition:a|b,c@5s+10s", "partition:a>b@1s",
		"slow:a|b=50ms~5ms@5s+10s", "epsilon=100ms@5s+5s", "kill-connections@10s", "@", "crash:@+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFault(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %v", s, err)
			}
			return
		}
		again, err := ParseFault(fl.String())
		if err != nil || again.String() != fl.String() {
			t.Fatalf("%q parsed to %q, which reads back as %q (%v)", s, fl, again, err)
		}
	})
}

func faultCluster(t *testing.T, topo string) *Cluster {
	t.Helper()
	tp, err := Preset(topo)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCluster(NewKernel(1), tp, ClusterConfig{})
	for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		c.AddNode("n-"+az, az, 1)
	}
	return c
}

func mustFaults(t *testing.T, specs ...string) []Fault {
	t.Helper()
	var fs []Fault
	for _, s := range specs {
		f, err := ParseFault(s)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return fs
}

func TestCheckFaults(t *testing.T) {
	c := faultCluster(t, "region-3az")
	ok := [][]string{
		{"crash:us-east-1a@1s+1s", "crash:us-east-1a@2s+1s"},
		{"crash:us-east-1@1s", "partition:us-east-1a|us-east-1b@1s", "slow:n-us-east-1a|us-east-1c=1ms@0s", "epsilon=10ms@1s+1s"},
	}
	for _, specs := range ok {
		if err := CheckFaults(mustFaults(t, specs...), c, 10*time.Second); err != nil {
			t.Errorf("%v: %v", specs, err)
		}
	}
	bad := map[string][]string{
		`unknown place "us-west-9a"`:   {"crash:us-west-9a@1s"},
		"after the run ends at 10s":    {"crash:us-east-1a@10s"},
		"overlap; the two sides":       {"partition:us-east-1|us-east-1b@1s"},
		"is already down":              {"crash:us-east-1@1s+5s", "crash:n-us-east-1a@2s+1s"},
		"one ε fault at a time":        {"epsilon=1ms@1s", "epsilon=2ms@5s+1s"},
		"real database (--engine pg)":  {"kill-connections@1s"},
		`unknown place "nowhere"`:      {"slow:us-east-1a|nowhere=1ms@1s"},
		"--fault crash:us-east-1b@11s": {"crash:us-east-1b@11s"},
	}
	for want, specs := range bad {
		err := CheckFaults(mustFaults(t, specs...), c, 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", specs, err, want)
		}
	}
}

// sendAt sends from a to b at virtual time at and returns when it arrived
// (-1: never, within the horizon).
func sendAt(c *Cluster, a, b *Node, at Time) Time {
	arrived := Time(-1)
	c.k.Spawn("send", func(p *Proc) {
		p.SleepUntil(at, CatOther)
		c.Send(p, a, b)
		arrived = p.Now()
	})
	c.k.Run(time.Minute)
	return arrived
}

func TestFaultsHoldMessages(t *testing.T) {
	const cross = 500 * time.Microsecond // half the cross-AZ median, jitter off
	cases := []struct {
		faults string
		from   string
		to     string
		at     Time
		want   Time
	}{
		{"", "a", "b", time.Second, time.Second + cross},
		{"crash:us-east-1b@1s+2s", "a", "b", time.Second, 3*time.Second + cross},
		{"crash:us-east-1b@1s+2s", "a", "b", time.Second - 100*time.Microsecond, 3 * time.Second}, // arrives while b is down: held until it restarts
		{"crash:us-east-1b@1s+2s", "b", "a", 1500 * time.Millisecond, 3*time.Second + cross},
		{"crash:us-east-1b@1s+2s", "a", "c", time.Second, time.Second + cross}, // others are unaffected
		{"crash:us-east-1@1s", "a", "c", time.Second, -1},
		{"partition:us-east-1a|us-east-1b,us-east-1c@1s+1s", "a", "b", time.Second, 2*time.Second + cross},
		{"partition:us-east-1a|us-east-1b,us-east-1c@1s+1s", "c", "a", time.Second, 2*time.Second + cross},
		{"partition:us-east-1a|us-east-1b,us-east-1c@1s+1s", "b", "c", time.Second, time.Second + cross},
		{"partition:us-east-1a>us-east-1b@1s+1s", "a", "b", time.Second, 2*time.Second + cross},
		{"partition:us-east-1a>us-east-1b@1s+1s", "b", "a", time.Second, time.Second + cross},
		{"partition:us-east-1a|us-east-1b@1s", "a", "b", time.Second, -1},
		{"slow:us-east-1a|us-east-1b=20ms@1s+1s", "b", "a", time.Second, time.Second + cross + 20*time.Millisecond},
		{"slow:us-east-1a|us-east-1b=20ms@1s+1s", "a", "b", 2 * time.Second, 2*time.Second + cross},
	}
	for _, tc := range cases {
		c := faultCluster(t, "region-3az")
		if tc.faults != "" {
			c.SetFaults(mustFaults(t, tc.faults))
		}
		n := map[string]*Node{"a": c.Node("n-us-east-1a"), "b": c.Node("n-us-east-1b"), "c": c.Node("n-us-east-1c")}
		if got := sendAt(c, n[tc.from], n[tc.to], tc.at); got != tc.want {
			t.Errorf("%s: %s→%s at %v arrived at %v, want %v", tc.faults, tc.from, tc.to, tc.at, got, tc.want)
		}
		c.k.Shutdown()
	}
}

func TestEpsilonFaultRaisesEveryClock(t *testing.T) {
	c := faultCluster(t, "region-3az")
	c.SetFaults(mustFaults(t, "epsilon=100ms@5s+5s"))
	late := c.AddNode("late", "us-east-1a", 1) // a node added after the schedule
	for _, n := range []*Node{c.Node("n-us-east-1a"), late} {
		for _, tc := range []struct {
			at   Time
			want time.Duration
		}{{time.Second, 0}, {5 * time.Second, 100 * time.Millisecond}, {9 * time.Second, 100 * time.Millisecond}, {10 * time.Second, 0}} {
			iv := n.Clock.At(tc.at)
			if got := time.Duration(iv.Latest-iv.Earliest) / 2; got != tc.want {
				t.Errorf("%s: ε at %v = %v, want %v", n.Name, tc.at, got, tc.want)
			}
		}
	}
	if c.Down(late) {
		t.Error("nothing crashed, yet a node is down")
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	run := func() []Time {
		c := faultCluster(t, "region-3az")
		c.cfg.Jitter = true
		c.SetFaults(mustFaults(t, "slow:us-east-1a|us-east-1b=5ms~5ms@0s", "crash:us-east-1c@10ms+20ms"))
		got := make([]Time, 20)
		for i := range got {
			to := c.Node([]string{"n-us-east-1b", "n-us-east-1c"}[i%2])
			c.k.Spawn("send", func(p *Proc) {
				p.Sleep(Time(i)*time.Millisecond, CatOther)
				c.Send(p, c.Node("n-us-east-1a"), to)
				got[i] = p.Now()
			})
		}
		c.k.Run(time.Minute)
		c.k.Shutdown()
		return got
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("send %d: %v then %v", i, a[i], b[i])
		}
	}
}

func TestOnDownFiresAfterTheNodeHasBeenDownThatLong(t *testing.T) {
	c := faultCluster(t, "region-3az")
	a := c.Node("n-us-east-1a")
	var fired []Time
	c.OnDown(a, time.Second, func() { fired = append(fired, c.k.Now()) }) // before the schedule
	c.SetFaults(mustFaults(t,
		"crash:us-east-1a@1s+500ms", // too short
		"crash:n-us-east-1a@3s+2s",  // merged with the next: down 3s..7s
		"crash:us-east-1@4s+3s",
		"crash:us-east-1a@10s")) // permanent
	var late []Time
	c.OnDown(a, 2*time.Second, func() { late = append(late, c.k.Now()) }) // after it
	c.k.Spawn("idle", func(p *Proc) { p.Sleep(time.Minute, CatOther) })
	c.k.Run(time.Minute)
	if want := []Time{4 * time.Second, 11 * time.Second}; !slices.Equal(fired, want) {
		t.Errorf("fired at %v, want %v", fired, want)
	}
	if want := []Time{5 * time.Second, 12 * time.Second}; !slices.Equal(late, want) {
		t.Errorf("late watch fired at %v, want %v", late, want)
	}
}

// OnCutOff fires once a node has been unable to talk to a majority of its
// group for the given time: on a partition that leaves it in the minority
// (not on the majority side, not on one too short), on a crash of the node
// itself, and when the rest of the group crashed.
func TestOnCutOffFiresForTheMinorityAfterThatLong(t *testing.T) {
	c := faultCluster(t, "region-3az")
	a, b, cc := c.Node("n-us-east-1a"), c.Node("n-us-east-1b"), c.Node("n-us-east-1c")
	group := []*Node{a, b, cc}
	fired := map[string][]Time{}
	for _, n := range group {
		c.OnCutOff(n, group, 2*time.Second, func() { fired[n.Name] = append(fired[n.Name], c.k.Now()) })
	}
	c.SetFaults(mustFaults(t,
		"partition:us-east-1a|us-east-1b,us-east-1c@1s+3s", // a cut off 1s..4s
		"partition:us-east-1b|us-east-1a,us-east-1c@5s+1s", // b cut off, too short
		"crash:us-east-1c@8s+3s",                           // c down 8s..11s
		"crash:n-us-east-1b@20s",                           // b and c down: a alone
		"crash:us-east-1c@20s"))
	cut := Time(-1)
	c.k.At(2*time.Second, func() {
		if c.CutOff(a, group) && !c.CutOff(b, group) {
			cut = c.k.Now()
		}
	})
	c.k.Spawn("idle", func(p *Proc) { p.Sleep(time.Minute, CatOther) })
	c.k.Run(time.Minute)
	want := map[string][]Time{
		"n-us-east-1a": {3 * time.Second, 22 * time.Second},
		"n-us-east-1b": {22 * time.Second},
		"n-us-east-1c": {10 * time.Second, 22 * time.Second},
	}
	for n, w := range want {
		if !slices.Equal(fired[n], w) {
			t.Errorf("%s: fired at %v, want %v", n, fired[n], w)
		}
	}
	if cut < 0 {
		t.Error("CutOff at 2 s: want a cut off and b not")
	}
}
