package tpcc

import (
	"github.com/txbench/txbench/engines"
	"math"
	"math/rand/v2"
	"testing"
)

func TestLastNameFromSyllables(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "BARBARBAR"},
		{371, "PRICALLYOUGHT"}, // the spec's example (clause 4.3.2.3)
		{40, "BARPRESBAR"},
		{999, "EINGEINGEING"},
	} {
		if got := LastName(c.n); got != c.want {
			t.Errorf("LastName(%d) = %s, want %s", c.n, got, c.want)
		}
	}
}

// Clause 2.1.6.1: the run-time C for C_LAST differs from the load's by a
// delta in [65, 119], never 96 or 112, and stays within [0, 255].
func TestRunCObeysTheDeltaRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for cLoad := int64(0); cLoad <= aLast; cLoad++ {
		seen := map[int64]bool{}
		for range 50 {
			c := RunC(cLoad, rng)
			d := c - cLoad
			if d < 0 {
				d = -d
			}
			if c < 0 || c > aLast || d < 65 || d > 119 || d == 96 || d == 112 {
				t.Fatalf("C_LOAD %d: C_RUN %d (delta %d) breaks the rule", cLoad, c, d)
			}
			seen[c] = true
		}
		if len(seen) < 10 {
			t.Fatalf("C_LOAD %d: only %d distinct C_RUN values in 50 draws; want a uniform choice", cLoad, len(seen))
		}
	}
	for seed := range uint64(20) {
		c := NewConstants(rand.New(rand.NewPCG(seed, 0)))
		if c.CLoad > aLast || c.CID > aCID || c.CItem > aItem || !validDelta(c.CRun-c.CLoad) {
			t.Fatalf("seed %d: constants %+v out of range", seed, c)
		}
	}
}

// NURand's draws follow its definition: the exact distribution, enumerated
// over every pair (random(0, A), random(x, y)), against 2 million draws
// (a chi-square test; the seed is fixed, so the statistic is too). The
// skew is real: the most likely values are drawn far more often than the
// least likely ones.
func TestNURandDistribution(t *testing.T) {
	for _, c := range []struct {
		name    string
		a, x, y int64
		c       int64
	}{
		{"C_LAST", aLast, 0, 999, 173},
		{"C_ID", aCID, 1, 3000, 259},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := c.y - c.x + 1
			exact := make([]float64, n)
			pairs := float64((c.a + 1) * n)
			for a := int64(0); a <= c.a; a++ {
				for b := c.x; b <= c.y; b++ {
					exact[((a|b)+c.c)%n] += 1 / pairs
				}
			}
			const draws = 2_000_000
			got := make([]float64, n)
			rng := rand.New(rand.NewPCG(7, 7))
			for range draws {
				v := NURand(rng, c.a, c.x, c.y, c.c)
				if v < c.x || v > c.y {
					t.Fatalf("NURand gave %d outside [%d, %d]", v, c.x, c.y)
				}
				got[v-c.x]++
			}
			// Neighbouring values are pooled until each cell expects at
			// least 5 draws, as the chi-square approximation needs.
			chi2, cells := 0.0, 0
			lo, hi := math.Inf(1), 0.0
			var e, o float64
			for i, p := range exact {
				e, o = e+p*draws, o+got[i]
				lo, hi = min(lo, p), max(hi, p)
				if e >= 5 || i == len(exact)-1 {
					chi2 += (o - e) * (o - e) / e
					cells++
					e, o = 0, 0
				}
			}
			// df = cells-1: mean df, sd sqrt(2 df); five sd is far beyond chance.
			df := float64(cells - 1)
			limit := df + 5*math.Sqrt(2*df)
			t.Logf("chi-square %.0f with %.0f degrees of freedom (limit %.0f); most/least likely value %.1f×", chi2, df, limit, hi/lo)
			if chi2 > limit {
				t.Errorf("chi-square %.0f > %.0f: draws do not follow NURand's distribution", chi2, limit)
			}
			if hi/lo < 4 {
				t.Errorf("most likely value only %.1f× the least likely; NURand should be skewed", hi/lo)
			}
		})
	}
}

func TestStringsHaveTheSpecsShapes(t *testing.T) {
	p := newPools(rand.New(rand.NewPCG(1, 1)))
	rng := rand.New(rand.NewPCG(2, 2))
	original := 0
	const n = 20000
	for range n {
		s := p.data(rng)
		if len(s) < 26 || len(s) > 50 {
			t.Fatalf("data %q has length %d, want 26..50", s, len(s))
		}
		for i := 0; i+8 <= len(s); i++ {
			if s[i:i+8] == "ORIGINAL" {
				original++
				break
			}
		}
		if z := p.zip(rng); len(z) != 9 || z[4:] != "11111" {
			t.Fatalf("zip %q", z)
		}
		if st := p.state(rng); len(st) != 2 || st[0] <= '9' || st[1] <= '9' {
			t.Fatalf("state %q", st)
		}
		if ph := p.nstring(rng, 16, 16); len(ph) != 16 || ph[0] < '0' || ph[0] > '9' {
			t.Fatalf("phone %q", ph)
		}
	}
	if frac := float64(original) / n; frac < 0.09 || frac > 0.11 {
		t.Errorf("%.3f of I_DATA/S_DATA hold ORIGINAL, want 0.10", frac)
	}
}

func TestMoneyIsExact(t *testing.T) {
	// 0.10 + 0.20 is 0.30 exactly, as numeric(12, 2) has it.
	sum := engines.Add(cents(10), cents(20))
	if got := centsOf(sum); got != 30 || sum.Dec().String() != "0.30" {
		t.Errorf("0.10 + 0.20 = %s (%d cents)", sum, got)
	}
	if got := fmtCents(-1005); got != "-10.05" {
		t.Errorf("fmtCents(-1005) = %s", got)
	}
}
