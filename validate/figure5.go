package validate

import (
	"math"

	"github.com/txbench/txbench/runner"
)

// Spanner OSDI'12 Figure 5 (§5.2, availability): five zones, every split
// leader in zone 1, a zone killed 5 s in: a non-leader zone (barely
// shows), the leader zone after its leaders handed leadership off (a small
// dip), the leader zone without notice (the affected splits stall until the
// 10 s leader leases run out, then throughput recovers). Here the kill is at
// 4 s (the handoff at 3 s), and throughput is that of the clients in zones
// 3–5, which every kill spares. The paper's clients issued strong reads;
// these issue a one-row read-modify-write, so that every transaction needs
// its split's leader as the paper's reads did (the model's strong reads
// are served by the nearest replica).
const spannerFig5 = "Spanner OSDI'12 Fig. 5"

const (
	fig5Handoff = 3.0  // s
	fig5Kill    = 4.0  // s
	fig5Lease   = 10.0 // s: twopc's default --2pc-leader-lease
	fig5End     = 18.0 // s
)

// fig5 is the set-up: zones-5 with the leaders in zone-1. Its duration is
// part of the experiment (Fixed).
var fig5 = map[string]string{
	"engine": "2pc", "topology": "zones-5", "leader-region": "zone-1",
	"workload": "ycsb", "records": "10000", "ops-per-txn": "1", "write-frac": "1", "theta": "0",
	"clients": "25", "warmup": "0s", "duration": "18s", "seed": "1",
	// Clients stuck on a killed leader give up after a second and retry,
	// so the stall they see is the lease, not their timeout.
	"txn-timeout": "1s",
}

func figure5Setups() []Setup {
	return []Setup{
		{Name: "spanner-f5-non-leader", Fixed: true, Options: opts(fig5, map[string]string{"fault": "crash:zone-2@4s"})},
		{Name: "spanner-f5-leader-soft", Fixed: true, Options: opts(fig5, map[string]string{"fault": "handoff:zone-1@3s crash:zone-1@4s"})},
		{Name: "spanner-f5-leader-hard", Fixed: true, Options: opts(fig5, map[string]string{"fault": "crash:zone-1@4s"})},
	}
}

func figure5Targets() []Target {
	return []Target{
		{Name: "non-leader zone killed: throughput after / before", Source: spannerFig5 + " (non-leader: barely shows)", Paper: 1, Kind: Shape, Quick: true,
			Setups: []string{"spanner-f5-non-leader"}, Model: func(rs []*runner.Result) float64 {
				return fig5Rate(rs[0], fig5Kill+1, fig5End) / fig5Rate(rs[0], 1, fig5Handoff)
			}},
		{Name: "leaders handed off, then killed: lowest 1 s / before", Source: spannerFig5 + " (leader-soft: a small dip)", Paper: 1, Kind: Shape, Quick: true,
			Setups: []string{"spanner-f5-leader-soft"}, Model: func(rs []*runner.Result) float64 {
				low := math.Inf(1)
				for from := fig5Handoff; from+1 <= fig5End; from++ {
					low = min(low, fig5Rate(rs[0], from, from+1))
				}
				return low / fig5Rate(rs[0], 1, fig5Handoff)
			}},
		{Name: "leaders killed: stall / 10 s lease", Source: spannerFig5 + " (leader-hard: stalls for the lease)", Paper: 1, Kind: Shape, Quick: true,
			Setups: []string{"spanner-f5-leader-hard"}, Model: func(rs []*runner.Result) float64 {
				f := rs[0].Availability.Faults[0]
				gap := 0.0
				for _, g := range fig5Groups {
					gap = max(gap, f.LongestGapS[g])
				}
				return gap / fig5Lease
			}},
		{Name: "leaders killed: throughput after the lease / before", Source: spannerFig5 + " (leader-hard: recovers)", Paper: 1, Kind: Shape,
			Setups: []string{"spanner-f5-leader-hard"}, Model: func(rs []*runner.Result) float64 {
				return fig5Rate(rs[0], fig5Kill+fig5Lease+2, fig5End) / fig5Rate(rs[0], 1, fig5Kill)
			}},
	}
}

// fig5Groups are the client groups no kill touches.
var fig5Groups = []string{"zone-3", "zone-4", "zone-5"}

// fig5Rate is the spared clients' commits per second from s to e (run
// time, seconds), from the availability timeline.
func fig5Rate(r *runner.Result, s, e float64) float64 {
	if r.Availability == nil || e <= s {
		return 0
	}
	var n int64
	for _, g := range fig5Groups {
		for _, p := range r.Availability.Timeline[g] {
			if p.TS >= s-1e-9 && p.TS < e-1e-9 {
				n += p.Committed
			}
		}
	}
	return float64(n) / (e - s)
}
