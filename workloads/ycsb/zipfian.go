package ycsb

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Generator draws integers from one distribution. Every generator of this
// package is built on an explicit *rand.Rand and never touches a global
// source, so the same seed gives the same sequence.
type Generator interface {
	Next() int64
}

// DefaultZipfianConstant is YCSB's zipfian constant (ZipfianGenerator's
// ZIPFIAN_CONSTANT), used by the core workloads.
const DefaultZipfianConstant = 0.99

// zetaExactTerms is how many terms Zeta adds one by one before it switches
// to the Euler–Maclaurin formula for the rest of the sum.
const zetaExactTerms = 1 << 20

// zetaIncrementalLimit bounds how far a ZetaCache walks term by term from the
// count it holds before it recomputes from scratch.
const zetaIncrementalLimit = 1 << 16

// Zeta returns ζ(n, θ) = Σ_{i=1..n} 1/i^θ, the normalisation constant of a
// zipfian distribution over n items.
//
// The first 2^20 terms are added one by one, like YCSB does for the whole
// sum; the tail beyond them uses the Euler–Maclaurin formula, whose error
// there is far below float64 resolution. That makes ζ over YCSB's 10^10
// scrambled item space cheap for any θ (YCSB itself only has a precomputed
// constant for θ = 0.99 and sums ten billion terms for any other θ).
func Zeta(n int64, theta float64) float64 {
	if n <= 0 {
		return 0
	}
	if n <= zetaExactTerms {
		return zetaAdd(0, n, theta, 0)
	}
	return zetaHead(theta) + zetaTail(zetaExactTerms, n, theta)
}

// zetaHeadSums are ζ(2^20, θ), zetaAdd's sums of the exact terms, bit for
// bit (TestZetaHead recomputes each), for YCSB's default constant and the
// values sweeps over --zipf-constant commonly take. Every scrambled-zipfian
// run needs its head (ζ over 10^10 items), and adding 2^20 powers took
// 40-70 ms of a run's start-up: about 5% of a 30-second YCSB-A simulation,
// and a quarter of a 2-second point of a sweep. YCSB itself keeps
// ζ(10^10, 0.99) as a constant.
var zetaHeadSums = [...]struct{ theta, sum float64 }{
	{0.5, 2046.5401337724513},
	{0.6, 638.0474606220868},
	{0.7, 210.55497540534785},
	{0.8, 75.5624692134972},
	{0.9, 30.569887887946194},
	{0.95, 20.57356375674555},
	{DefaultZipfianConstant, 15.446323069717776},
}

// zetaHead is the sum of Zeta's exact terms: ζ(2^20, θ). Constants not in
// zetaHeadSums are summed once per process and remembered: a sweep runs
// several engines at each value, at once on several cores.
func zetaHead(theta float64) float64 {
	for _, h := range zetaHeadSums {
		if h.theta == theta {
			return h.sum
		}
	}
	zetaHeads.mu.Lock()
	h := zetaHeads.m[theta]
	if h == nil {
		h = &zetaHeadSum{}
		zetaHeads.m[theta] = h
	}
	zetaHeads.mu.Unlock()
	h.once.Do(func() { h.sum = zetaAdd(0, zetaExactTerms, theta, 0) })
	return h.sum
}

// zetaHeads remembers zetaHead's sums by θ. Each has its own Once, so runs
// on other cores summing other constants do not wait for this one.
var zetaHeads = struct {
	mu sync.Mutex
	m  map[float64]*zetaHeadSum
}{m: map[float64]*zetaHeadSum{}}

type zetaHeadSum struct {
	once sync.Once
	sum  float64
}

// zetaAdd adds the terms i = from+1 .. to to sum, in increasing i.
func zetaAdd(from, to int64, theta, sum float64) float64 {
	for i := from + 1; i <= to; i++ {
		sum += 1 / math.Pow(float64(i), theta)
	}
	return sum
}

// zetaTail approximates Σ_{i=m+1..n} i^-θ with the Euler–Maclaurin formula
// (terms up to the third derivative).
func zetaTail(m, n int64, theta float64) float64 {
	fm, fn := float64(m), float64(n)
	f := func(x float64) float64 { return math.Pow(x, -theta) }
	d1 := func(x float64) float64 { return -theta * math.Pow(x, -theta-1) }
	d3 := func(x float64) float64 { return -theta * (theta + 1) * (theta + 2) * math.Pow(x, -theta-3) }
	var integral float64
	if theta == 1 {
		integral = math.Log(fn / fm)
	} else {
		// (n^(1-θ) - m^(1-θ)) / (1-θ), written to avoid cancellation when
		// θ is close to 1.
		integral = math.Pow(fm, 1-theta) * math.Expm1((1-theta)*math.Log(fn/fm)) / (1 - theta)
	}
	// Σ_{i=m..n} f(i) ≈ ∫ + (f(m)+f(n))/2 + (f'(n)-f'(m))/12 - (f'''(n)-f'''(m))/720
	s := integral + (f(fm)+f(fn))/2 + (d1(fn)-d1(fm))/12 - (d3(fn)-d3(fm))/720
	return s - f(fm)
}

// ZetaCache shares ζ(n, θ) between the generators of many clients, so that
// they do not each sum a hundred thousand terms at start-up and again every
// time the key space grows. It holds the largest count asked for and extends
// it term by term (YCSB's incremental zeta), which in a single-threaded
// simulation gives the same floating-point results run after run. It is safe
// for concurrent use.
type ZetaCache struct {
	theta float64

	mu  sync.Mutex
	n   int64
	sum float64
}

// NewZetaCache returns an empty cache for θ.
func NewZetaCache(theta float64) *ZetaCache { return &ZetaCache{theta: theta} }

// Theta is the cache's zipfian constant.
func (c *ZetaCache) Theta() float64 { return c.theta }

// Zeta returns ζ(n, θ).
func (c *ZetaCache) Zeta(n int64) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := n - c.n
	switch {
	case c.n > 0 && d == 0:
		return c.sum
	case c.n > 0 && d > 0 && d <= zetaIncrementalLimit:
		c.sum = zetaAdd(c.n, n, c.theta, c.sum)
	case c.n > 0 && d < 0 && -d <= zetaIncrementalLimit:
		// A caller that saw a slightly older count (goroutine clients):
		// take the terms off, but keep the larger count cached.
		s := c.sum
		for i := c.n; i > n; i-- {
			s -= 1 / math.Pow(float64(i), c.theta)
		}
		return s
	default:
		c.sum = Zeta(n, c.theta)
	}
	c.n = n
	return c.sum
}

// Zipfian is YCSB's ZipfianGenerator: integers in [min, max] where min is the
// most popular item and item i (counting from 0) has probability
// proportional to 1/(i+1)^θ. It uses the rejection-free method of Gray et
// al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994),
// exact for the two most popular items and a close approximation for the
// rest.
//
// NextN draws over a different item count, as YCSB's nextLong(itemcount)
// does for a key space that grows with inserts; ζ for the new count comes
// from the shared ZetaCache, extended incrementally. Unlike YCSB, the η term
// is recomputed from the new count (YCSB keeps using the constructor's item
// count there), and a smaller count is honoured rather than ignored.
type Zipfian struct {
	rng   *rand.Rand
	base  int64
	items int64
	zetas *ZetaCache

	theta, alpha, zeta2, halfPowTheta float64

	count      int64 // item count zetan and eta are for
	zetan, eta float64
}

// NewZipfian returns a zipfian generator over [min, max] with constant θ in
// [0, 1) (θ = 0 is uniform). It computes ζ itself; clients that share a
// distribution should use NewZipfianWithCache.
func NewZipfian(rng *rand.Rand, min, max int64, theta float64) *Zipfian {
	return NewZipfianWithCache(rng, min, max, NewZetaCache(theta))
}

// NewZipfianWithCache is NewZipfian with ζ taken from a shared cache (whose
// θ is the generator's).
func NewZipfianWithCache(rng *rand.Rand, min, max int64, zetas *ZetaCache) *Zipfian {
	if max < min {
		panic("ycsb: zipfian generator with max < min")
	}
	theta := zetas.Theta()
	z := &Zipfian{
		rng:          rng,
		base:         min,
		items:        max - min + 1,
		zetas:        zetas,
		theta:        theta,
		alpha:        1 / (1 - theta),
		zeta2:        Zeta(2, theta),
		halfPowTheta: math.Pow(0.5, theta),
	}
	z.setCount(z.items)
	return z
}

func (z *Zipfian) setCount(n int64) {
	z.count = n
	z.zetan = z.zetas.Zeta(n)
	z.eta = (1 - math.Pow(2/float64(n), 1-z.theta)) / (1 - z.zeta2/z.zetan)
}

// Items is the item count the generator was built for.
func (z *Zipfian) Items() int64 { return z.items }

// Next draws from [min, max].
func (z *Zipfian) Next() int64 { return z.NextN(z.items) }

// NextN draws from [min, min+n-1].
func (z *Zipfian) NextN(n int64) int64 {
	if n <= 1 {
		return z.base
	}
	if n != z.count {
		z.setCount(n)
	}
	u := z.rng.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return z.base
	}
	if uz < 1+z.halfPowTheta {
		return z.base + 1
	}
	v := int64(float64(n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	if v >= n { // float rounding as u approaches 1
		v = n - 1
	}
	if v < 0 {
		v = 0
	}
	return z.base + v
}
