package tpcc

import (
	"math/rand/v2"
	"strconv"

	"github.com/txbench/txbench/engines"
)

// NURand constants A (clause 2.1.6): C_LAST 255, C_ID 1023, OL_I_ID 8191.
const (
	aLast = 255
	aCID  = 1023
	aItem = 8191
)

// Constants are the C values of NURand (clause 2.1.6.1). The load draws
// C_LAST with CLoad; the run draws it with CRun, which differs from CLoad by
// the delta the spec requires. C_ID and OL_I_ID use the same C at load and at
// run time, which the spec allows.
type Constants struct {
	CLoad int64 // C for C_LAST during the load, in [0, 255]
	CRun  int64 // C for C_LAST during the run: |CRun-CLoad| in [65, 119], not 96 or 112
	CID   int64 // C for C_ID, in [0, 1023]
	CItem int64 // C for OL_I_ID, in [0, 8191]
}

// NewConstants draws the constants from rng.
func NewConstants(rng *rand.Rand) Constants {
	c := Constants{
		CLoad: rng.Int64N(aLast + 1),
		CID:   rng.Int64N(aCID + 1),
		CItem: rng.Int64N(aItem + 1),
	}
	c.CRun = RunC(c.CLoad, rng)
	return c
}

// RunC draws the run-time C for C_LAST given the load's: uniform over every
// value in [0, 255] whose distance to cLoad obeys the delta rule of clause
// 2.1.6.1. There are always some (at least 94 for any cLoad).
func RunC(cLoad int64, rng *rand.Rand) int64 {
	var ok []int64
	for c := int64(0); c <= aLast; c++ {
		if validDelta(c - cLoad) {
			ok = append(ok, c)
		}
	}
	return ok[rng.IntN(len(ok))]
}

func validDelta(d int64) bool {
	if d < 0 {
		d = -d
	}
	return d >= 65 && d <= 119 && d != 96 && d != 112
}

// NURand is the spec's non-uniform random function (clause 2.1.6):
// (((random(0, A) | random(x, y)) + C) % (y - x + 1)) + x.
func NURand(rng *rand.Rand, a, x, y, c int64) int64 {
	return ((uniform(rng, 0, a)|uniform(rng, x, y))+c)%(y-x+1) + x
}

// uniform is random(x, y) of clause 2.1.4: uniform over [x, y].
func uniform(rng *rand.Rand, x, y int64) int64 { return x + rng.Int64N(y-x+1) }

// syllables of clause 4.3.2.3: a last name is the syllables of the three
// digits of a number in 0..999.
var syllables = [10]string{"BAR", "OUGHT", "ABLE", "PRI", "PRES", "ESE", "ANTI", "CALLY", "ATION", "EING"}

// LastName returns the last name of n (0..999): 371 is PRICALLYOUGHT.
func LastName(n int64) string {
	return syllables[n/100] + syllables[n/10%10] + syllables[n%10]
}

// Strings. Random a-strings and n-strings (clause 4.3.2.2) are substrings of
// two pools drawn once from the seed: a Go substring shares the pool's bytes,
// so a value costs a 16-byte header instead of its length, which is what
// keeps a warehouse's ~2 million string values affordable in the simulator.
// The price, stated plainly: there are only poolSize distinct starting
// points, so the data are far more compressible than independent random
// strings (no engine here compresses). Sizes are the spec's.
const poolSize = 64 << 10

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

type pools struct {
	alpha  string   // random alphanumeric characters
	digits string   // random digits
	names  []string // LastName(0..999)
	zips   []string // "dddd11111" for dddd = 0000..9999 (clause 4.3.2.7)
}

func newPools(rng *rand.Rand) *pools {
	a := make([]byte, poolSize)
	for i := range a {
		a[i] = alnum[rng.IntN(len(alnum))]
	}
	d := make([]byte, poolSize)
	for i := range d {
		d[i] = byte('0' + rng.IntN(10))
	}
	// Registered, so that packed rows keep where a value lies in the pool
	// rather than a copy of its bytes (engines.ShareStrings).
	p := &pools{alpha: engines.ShareStrings(string(a)), digits: engines.ShareStrings(string(d))}
	p.names = make([]string, 1000)
	for i := range p.names {
		p.names[i] = LastName(int64(i))
	}
	p.zips = make([]string, 10000)
	for i := range p.zips {
		s := strconv.Itoa(10000 + i)[1:]
		p.zips[i] = s + "11111"
	}
	return p
}

// astring is a random a-string of length in [x, y].
func (p *pools) astring(rng *rand.Rand, x, y int) string {
	n := x + rng.IntN(y-x+1)
	off := rng.IntN(len(p.alpha) - n + 1)
	return p.alpha[off : off+n]
}

// nstring is a random n-string (digits) of length in [x, y].
func (p *pools) nstring(rng *rand.Rand, x, y int) string {
	n := x + rng.IntN(y-x+1)
	off := rng.IntN(len(p.digits) - n + 1)
	return p.digits[off : off+n]
}

func (p *pools) zip(rng *rand.Rand) string { return p.zips[rng.IntN(len(p.zips))] }

// state is two random letters (W_STATE, D_STATE, C_STATE are a-strings of
// length 2; letters keep them readable).
func (p *pools) state(rng *rand.Rand) string {
	for {
		s := p.astring(rng, 2, 2)
		if s[0] > '9' && s[1] > '9' {
			return s
		}
	}
}

// data is I_DATA or S_DATA (clause 4.3.3.1): a random a-string of 26..50
// characters, of which 10% hold "ORIGINAL" at a random position.
func (p *pools) data(rng *rand.Rand) string {
	s := p.astring(rng, 26, 50)
	if rng.IntN(10) != 0 {
		return s
	}
	at := rng.IntN(len(s) - len("ORIGINAL") + 1)
	return s[:at] + "ORIGINAL" + s[at+len("ORIGINAL"):]
}

// money rounds to cents: every amount the workload stores is a whole number
// of cents, so the consistency checks can compare sums exactly.
