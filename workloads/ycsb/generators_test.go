package ycsb

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func TestZetaMatchesYCSBConstant(t *testing.T) {
	// ScrambledZipfianGenerator.ZETAN, YCSB's ζ(10^10, 0.99).
	const ycsbZetan = 26.46902820178302
	if got := Zeta(ScrambledItemCount, 0.99); math.Abs(got-ycsbZetan) > 1e-9 {
		t.Fatalf("Zeta(1e10, 0.99) = %.15f, YCSB has %.15f", got, ycsbZetan)
	}
}

func TestZetaHead(t *testing.T) {
	// Each constant must be the sum it stands for, to the last bit: every
	// scrambled-zipfian run's keys depend on it.
	for _, h := range zetaHeadSums {
		if got := zetaAdd(0, zetaExactTerms, h.theta, 0); got != h.sum {
			t.Errorf("ζ(2^20, %v) sums to %v, the table holds %v", h.theta, got, h.sum)
		}
	}
	if zetaHead(DefaultZipfianConstant) != zetaHeadSums[len(zetaHeadSums)-1].sum {
		t.Error("the default constant's head is not the table's")
	}
	for range 2 { // summed, then remembered
		if got, want := zetaHead(0.85), zetaAdd(0, zetaExactTerms, 0.85, 0); got != want {
			t.Fatalf("zetaHead(0.85) = %v, want the sum %v", got, want)
		}
	}
}

func TestZetaTailMatchesSum(t *testing.T) {
	// The Euler–Maclaurin tail against the term-by-term sum, from a low
	// start where it is least accurate (Zeta itself starts it at 2^20).
	const m, n = 1000, 300_000
	for _, theta := range []float64{0, 0.3, 0.6, 0.99} {
		exact := zetaAdd(0, n, theta, 0)
		if got := zetaAdd(0, m, theta, 0) + zetaTail(m, n, theta); math.Abs(got-exact)/exact > 1e-12 {
			t.Errorf("θ=%v: ζ(%d) with tail from %d = %.15g, term-by-term sum %.15g", theta, n, m, got, exact)
		}
	}
	const big = zetaExactTerms + 100_000
	if got, exact := Zeta(big, 0.9), zetaAdd(0, big, 0.9, 0); math.Abs(got-exact)/exact > 1e-12 {
		t.Errorf("Zeta(%d) = %.15g, term-by-term sum %.15g", int64(big), got, exact)
	}
	if got := Zeta(12345, 0); got != 12345 {
		t.Errorf("Zeta(n, 0) = %v, want n", got)
	}
}

func TestZetaCacheIncremental(t *testing.T) {
	c := NewZetaCache(0.8)
	for _, n := range []int64{1000, 1500, 1200, 1500, 100000, 5} {
		want := Zeta(n, 0.8)
		if got := c.Zeta(n); math.Abs(got-want)/want > 1e-12 {
			t.Errorf("cache.Zeta(%d) = %.15g, want %.15g", n, got, want)
		}
	}
}

func TestFNVHash64(t *testing.T) {
	for _, v := range []int64{0, 1, 2, 42, 999_999, 1 << 40, -7} {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
		want := int64(h.Sum64())
		if want < 0 {
			want = -want
		}
		if got := FNVHash64(v); got != uint64(want) {
			t.Errorf("FNVHash64(%d) = %d, want %d", v, got, want)
		}
	}
}

func zipfP(i, n int64, theta float64) float64 {
	return 1 / math.Pow(float64(i+1), theta) / Zeta(n, theta)
}

func TestZipfianFrequencies(t *testing.T) {
	const n, draws, theta = 1000, 1_000_000, 0.99
	g := NewZipfian(newRNG(1), 10, 10+n-1, theta)
	cnt := make([]int, n)
	for range draws {
		v := g.Next()
		if v < 10 || v >= 10+n {
			t.Fatalf("draw %d outside [10,%d]", v, 10+n-1)
		}
		cnt[v-10]++
	}
	freq := func(i int) float64 { return float64(cnt[i]) / draws }
	// Gray et al.'s method is exact for the two most popular items...
	for i := 0; i < 2; i++ {
		if p := zipfP(int64(i), n, theta); math.Abs(freq(i)-p)/p > 0.02 {
			t.Errorf("item %d: frequency %.5f, theory %.5f", i, freq(i), p)
		}
	}
	// ...and approximate for the rest (it over-weights item 2 by ~17%).
	for i := 2; i < 20; i++ {
		if p := zipfP(int64(i), n, theta); math.Abs(freq(i)-p)/p > 0.25 {
			t.Errorf("item %d: frequency %.5f, theory %.5f", i, freq(i), p)
		}
		if freq(i) >= freq(i-1) {
			t.Errorf("item %d more frequent than item %d", i, i-1)
		}
	}
	// The top-100 mass is close to theory.
	var obs, th float64
	for i := 0; i < 100; i++ {
		obs += freq(i)
		th += zipfP(int64(i), n, theta)
	}
	if math.Abs(obs-th) > 0.02 {
		t.Errorf("top-100 mass %.4f, theory %.4f", obs, th)
	}
}

func TestZipfianThetaZeroIsUniform(t *testing.T) {
	g := NewZipfian(newRNG(2), 0, 99, 0)
	checkUniform(t, g, 0, 100, 200_000)
}

func TestZipfianGrowingItemCount(t *testing.T) {
	const theta = 0.99
	zc := NewZetaCache(theta)
	g := NewZipfianWithCache(newRNG(3), 0, 999, zc)
	for n := int64(1000); n <= 5000; n += 1000 {
		var top int
		const draws = 300_000
		for range draws {
			v := g.NextN(n)
			if v < 0 || v >= n {
				t.Fatalf("NextN(%d) drew %d", n, v)
			}
			if v == 0 {
				top++
			}
		}
		if p := zipfP(0, n, theta); math.Abs(float64(top)/draws-p)/p > 0.03 {
			t.Errorf("n=%d: top frequency %.5f, theory %.5f", n, float64(top)/draws, p)
		}
	}
}

func TestScrambledZipfian(t *testing.T) {
	const n, draws, theta = 1000, 1_000_000, 0.99
	g := NewScrambledZipfian(newRNG(4), 5, 5+n-1, theta)
	cnt := make([]int, n)
	for range draws {
		v := g.Next()
		if v < 5 || v >= 5+n {
			t.Fatalf("draw %d outside range", v)
		}
		cnt[v-5]++
	}
	// The most popular zipfian item lands on FNVHash64(0) mod n; the long
	// tail of 10^10 items spreads almost evenly over all keys.
	hot := int(FNVHash64(0) % n)
	p0 := 1 / Zeta(ScrambledItemCount, theta)
	want := p0 + (1-p0)/n
	got := float64(cnt[hot]) / draws
	if math.Abs(got-want)/want > 0.1 {
		t.Errorf("hot key frequency %.5f, expected about %.5f", got, want)
	}
	best := 0
	for i := range cnt {
		if cnt[i] > cnt[best] {
			best = i
		}
	}
	if best != hot {
		t.Errorf("most popular key %d, expected %d", best, hot)
	}
	// The most popular key is not at the start of the range.
	if hot == 0 {
		t.Errorf("scrambling left the hot key at min")
	}
}

func checkUniform(t *testing.T, g Generator, lower int64, buckets, draws int) {
	t.Helper()
	cnt := make([]int, buckets)
	for range draws {
		v := g.Next() - lower
		if v < 0 || v >= int64(buckets) {
			t.Fatalf("draw %d outside range", v+lower)
		}
		cnt[v]++
	}
	exp := float64(draws) / float64(buckets)
	chi := 0.0
	for _, c := range cnt {
		d := float64(c) - exp
		chi += d * d / exp
	}
	// χ² with k-1 degrees of freedom: mean k-1, sd sqrt(2(k-1)).
	dof := float64(buckets - 1)
	if chi > dof+6*math.Sqrt(2*dof) {
		t.Errorf("χ² = %.1f with %v degrees of freedom: not uniform", chi, dof)
	}
}

func TestUniform(t *testing.T) {
	checkUniform(t, NewUniform(newRNG(5), 100, 199), 100, 100, 200_000)
	g := NewUniform(newRNG(5), 7, 7)
	for range 10 {
		if g.Next() != 7 {
			t.Fatal("single-value range")
		}
	}
}

func TestHotspot(t *testing.T) {
	const draws = 200_000
	g := NewHotspot(newRNG(6), 0, 999, 0.2, 0.8)
	if g.HotItems() != 200 {
		t.Fatalf("hot set %d, want 200", g.HotItems())
	}
	hot := 0
	cnt := make([]int, 1000)
	for range draws {
		v := g.Next()
		cnt[v]++
		if v < 200 {
			hot++
		}
	}
	if f := float64(hot) / draws; math.Abs(f-0.8) > 0.01 {
		t.Errorf("hot fraction %.4f, want 0.8", f)
	}
	// Within each set, uniform: per-item frequencies near the set average.
	for i, c := range cnt {
		want := 0.8 * draws / 200
		if i >= 200 {
			want = 0.2 * draws / 800
		}
		if math.Abs(float64(c)-want) > 6*math.Sqrt(want) {
			t.Errorf("item %d drawn %d times, want about %.0f", i, c, want)
		}
	}
	// Degenerate sets.
	all := NewHotspot(newRNG(6), 0, 9, 0, 0.9)
	for range 1000 {
		if v := all.Next(); v < 0 || v > 9 {
			t.Fatalf("empty hot set: drew %d", v)
		}
	}
	full := NewHotspot(newRNG(6), 0, 9, 1, 0.1)
	for range 1000 {
		if v := full.Next(); v < 0 || v > 9 {
			t.Fatalf("empty cold set: drew %d", v)
		}
	}
}

func TestSkewedLatest(t *testing.T) {
	seq := NewKeySequence(1000)
	g := NewSkewedLatest(newRNG(7), seq.Last, NewZetaCache(0.99))
	const draws = 300_000
	cnt := map[int64]int{}
	for range draws {
		v := g.Next()
		if v < 0 || v > 999 {
			t.Fatalf("draw %d outside [0,999]", v)
		}
		cnt[v]++
	}
	if p := zipfP(0, 1000, 0.99); math.Abs(float64(cnt[999])/draws-p)/p > 0.03 {
		t.Errorf("newest key frequency %.4f, theory %.4f", float64(cnt[999])/draws, p)
	}
	if cnt[999] <= cnt[998] || cnt[998] <= cnt[990] || cnt[990] <= cnt[500] {
		t.Errorf("not favouring recent keys: %d %d %d %d", cnt[999], cnt[998], cnt[990], cnt[500])
	}
	// Inserting moves the popularity to the new keys.
	for range 100 {
		seq.Acknowledge(seq.Next())
	}
	clear(cnt)
	for range draws {
		v := g.Next()
		if v > 1099 {
			t.Fatalf("draw %d beyond the newest key", v)
		}
		cnt[v]++
	}
	if cnt[1099] <= cnt[999] {
		t.Errorf("after inserts, newest key drawn %d times, old newest %d", cnt[1099], cnt[999])
	}
	recent := 0
	for k, c := range cnt {
		if k >= 1000 {
			recent += c
		}
	}
	if float64(recent)/draws < 0.5 {
		t.Errorf("only %.2f of draws among the 100 newest of 1100 keys", float64(recent)/draws)
	}
}

func TestKeySequence(t *testing.T) {
	s := NewKeySequence(10)
	if s.Last() != 9 {
		t.Fatalf("Last = %d, want 9", s.Last())
	}
	a, b, c := s.Next(), s.Next(), s.Next()
	if a != 10 || b != 11 || c != 12 {
		t.Fatalf("Next gave %d %d %d", a, b, c)
	}
	s.Acknowledge(c)
	s.Acknowledge(a)
	if s.Last() != 10 {
		t.Fatalf("Last = %d after acknowledging 10 and 12, want 10", s.Last())
	}
	s.Acknowledge(b)
	if s.Last() != 12 {
		t.Fatalf("Last = %d, want 12", s.Last())
	}
	s.Acknowledge(b) // twice: harmless
	if s.Last() != 12 {
		t.Fatalf("Last = %d, want 12", s.Last())
	}

	// Goroutine clients.
	s = NewKeySequence(0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				s.Acknowledge(s.Next())
			}
		}()
	}
	wg.Wait()
	if s.Last() != 7999 || s.Allocated() != 8000 {
		t.Fatalf("after 8000 concurrent inserts: Last %d, Allocated %d", s.Last(), s.Allocated())
	}
}

func TestGeneratorsDeterministic(t *testing.T) {
	seq := NewKeySequence(5000)
	makers := map[string]func(seed uint64) Generator{
		"zipfian":   func(s uint64) Generator { return NewZipfian(newRNG(s), 0, 4999, 0.9) },
		"scrambled": func(s uint64) Generator { return NewScrambledZipfian(newRNG(s), 0, 4999, 0.99) },
		"latest":    func(s uint64) Generator { return NewSkewedLatest(newRNG(s), seq.Last, NewZetaCache(0.99)) },
		"hotspot":   func(s uint64) Generator { return NewHotspot(newRNG(s), 0, 4999, 0.2, 0.8) },
		"uniform":   func(s uint64) Generator { return NewUniform(newRNG(s), 0, 4999) },
	}
	draw := func(g Generator) []int64 {
		out := make([]int64, 200)
		for i := range out {
			out[i] = g.Next()
		}
		return out
	}
	for name, mk := range makers {
		a, b, c := draw(mk(1)), draw(mk(1)), draw(mk(2))
		same, diff := true, false
		for i := range a {
			same = same && a[i] == b[i]
			diff = diff || a[i] != c[i]
		}
		if !same {
			t.Errorf("%s: same seed gave different sequences", name)
		}
		if !diff {
			t.Errorf("%s: different seeds gave the same sequence", name)
		}
	}
}
