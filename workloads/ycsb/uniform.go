package ycsb

import "math/rand/v2"

// Uniform is YCSB's UniformLongGenerator: every integer in [lower, upper]
// equally likely.
type Uniform struct {
	rng   *rand.Rand
	lower int64
	n     int64
}

// NewUniform returns a uniform generator over [lower, upper].
func NewUniform(rng *rand.Rand, lower, upper int64) *Uniform {
	if upper < lower {
		panic("ycsb: uniform generator with upper < lower")
	}
	return &Uniform{rng: rng, lower: lower, n: upper - lower + 1}
}

// Next draws from [lower, upper].
func (u *Uniform) Next() int64 { return u.lower + u.rng.Int64N(u.n) }
