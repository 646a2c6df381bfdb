package simengine

import (
	"math/rand/v2"
	"time"

	"github.com/txbench/txbench/sim"
)

// Latency draws one device's service latencies — a durable log write, not
// CPU: log-normal with a median and a p99 when the cluster has jitter,
// exactly the median otherwise (so model tests stay exact). Each device has
// its own seeded stream.
type Latency struct {
	dist   sim.LogNormal
	rng    *rand.Rand
	jitter bool
}

// NewLatency returns the latency model of the device called name.
func NewLatency(cl *sim.Cluster, name string, median, p99 time.Duration) *Latency {
	return &Latency{dist: sim.Link{Median: median, P99: p99}.LogNormal(), rng: cl.Kernel().Stream("latency/" + name), jitter: cl.Config().Jitter}
}

// Draw returns the next latency.
func (l *Latency) Draw() time.Duration { return l.dist.Sample(l.rng, l.jitter) }
