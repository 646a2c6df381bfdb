package ycsb

import "math/rand/v2"

// Hotspot is YCSB's HotspotIntegerGenerator (requestdistribution=hotspot):
// [lower, upper] is split into a hot set, the first hotDataFrac of it, and a
// cold set, the rest; a draw goes to the hot set with probability hotOpFrac
// and is uniform within the set it picks. If one of the sets is empty every
// draw goes to the other (YCSB divides by zero there).
type Hotspot struct {
	rng       *rand.Rand
	lower     int64
	hot, cold int64
	hotOpFrac float64
}

// NewHotspot returns a hotspot generator over [lower, upper]; both fractions
// are in [0, 1].
func NewHotspot(rng *rand.Rand, lower, upper int64, hotDataFrac, hotOpFrac float64) *Hotspot {
	if upper < lower {
		panic("ycsb: hotspot generator with upper < lower")
	}
	n := upper - lower + 1
	hot := int64(float64(n) * hotDataFrac)
	if hot > n {
		hot = n
	}
	return &Hotspot{rng: rng, lower: lower, hot: hot, cold: n - hot, hotOpFrac: hotOpFrac}
}

// HotItems is the size of the hot set, whose items are
// [lower, lower+HotItems()-1].
func (h *Hotspot) HotItems() int64 { return h.hot }

// Next draws from [lower, upper].
func (h *Hotspot) Next() int64 {
	hot := h.rng.Float64() < h.hotOpFrac
	if h.cold == 0 || (hot && h.hot > 0) {
		return h.lower + h.rng.Int64N(h.hot)
	}
	return h.lower + h.hot + h.rng.Int64N(h.cold)
}
