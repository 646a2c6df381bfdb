package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// A link's draws are log-normal with its median and p99 (ln X ~ N(ln
// median, σ²), σ = ln(p99/median)/2.3263), the median itself without
// spread or jitter; LogNormal, which works σ out once, draws the same.
func TestLinkSamples(t *testing.T) {
	for _, l := range []Link{
		{Median: time.Millisecond, P99: 3 * time.Millisecond},
		{Median: 65 * time.Millisecond, P99: 72 * time.Millisecond},
		{Median: time.Millisecond, P99: time.Millisecond},
		{Median: 0, P99: time.Millisecond},
		{Median: 2 * time.Millisecond},
	} {
		for _, jitter := range []bool{true, false} {
			ref, a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
			d := l.LogNormal()
			for i := range 100 {
				want := l.Median
				if jitter && l.P99 > l.Median && l.Median > 0 {
					sigma := math.Log(float64(l.P99)/float64(l.Median)) / 2.326347874
					want = time.Duration(float64(l.Median) * math.Exp(sigma*ref.NormFloat64()))
				}
				if x, y := l.Sample(a, jitter), d.Sample(b, jitter); x != want || y != want {
					t.Fatalf("%+v jitter %v, draw %d: Link.Sample %v, LogNormal.Sample %v, want %v", l, jitter, i, x, y, want)
				}
			}
		}
	}
}
