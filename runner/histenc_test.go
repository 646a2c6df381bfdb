package runner

import (
	"math/rand/v2"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// encodeHistogram writes the library's bytes exactly: empty histograms,
// one value, values at the range's ends, sparse and dense ones, long runs
// of zero counts and counts large enough for several LEB128 bytes, in the
// runner's geometry and others; and the library decodes them.
func TestEncodeHistogramIsTheLibrarys(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	geometries := []struct {
		lo, hi int64
		sig    int
	}{{histLowestMicros, histHighestMicros, histSigFigs}, {1, 1000, 2}, {1000, 1 << 40, 4}, {1, 1 << 20, 1}}
	for trial := range 200 {
		g := geometries[trial%len(geometries)]
		h := hdrhistogram.New(g.lo, g.hi, g.sig)
		for range rng.IntN(trial + 1) {
			var v int64
			switch rng.IntN(4) {
			case 0:
				v = g.lo
			case 1:
				v = g.hi
			default:
				v = g.lo + rng.Int64N(g.hi-g.lo)
			}
			n := 1 + rng.Int64N(5)
			if rng.IntN(20) == 0 {
				n = rng.Int64N(1 << 50) // nine LEB128 bytes once zig-zagged
			}
			h.RecordValues(v, n)
		}
		want, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		got := encodeHistogram(h)
		if got != string(want) {
			t.Fatalf("trial %d (%d values up to %d): encoded\n%s\nthe library\n%s", trial, h.TotalCount(), h.Max(), got, want)
		}
		back, err := hdrhistogram.Decode([]byte(got))
		if err != nil || !back.Equals(h) {
			t.Fatalf("trial %d: decoded %v (%v), not the histogram", trial, back, err)
		}
	}
}

// appendZigZag's longest form: eight bytes of seven bits and a ninth of
// eight, as the format's reader expects.
func TestAppendZigZagNineBytes(t *testing.T) {
	got := appendZigZag(nil, -1<<62)
	if len(got) != 9 || got[8] != 0xff>>1 {
		t.Errorf("-2^62: % x", got)
	}
	if got := appendZigZag(nil, -1); len(got) != 1 || got[0] != 1 {
		t.Errorf("-1: % x", got)
	}
}
