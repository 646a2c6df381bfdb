package ycsb

import "math/rand/v2"

// ScrambledItemCount is the size of the zipfian item space behind
// ScrambledZipfian (YCSB's ScrambledZipfianGenerator.ITEM_COUNT, 10^10).
const ScrambledItemCount int64 = 10_000_000_000

// FNV-1a 64-bit parameters.
const (
	fnvOffset64 uint64 = 0xcbf29ce484222325
	fnvPrime64  uint64 = 1099511628211
)

// FNVHash64 is YCSB's Utils.fnvhash64: FNV-1a over the eight bytes of v,
// least significant first, returned as the absolute value of the hash read
// as a signed integer. (For the one hash equal to -2^63, Java's Math.abs
// stays negative; here it is 2^63.)
func FNVHash64(v int64) uint64 {
	h := fnvOffset64
	u := uint64(v)
	for i := 0; i < 8; i++ {
		h ^= u & 0xff
		h *= fnvPrime64
		u >>= 8
	}
	if s := int64(h); s < 0 {
		return uint64(-s)
	}
	return h
}

// ScrambledZipfian is YCSB's ScrambledZipfianGenerator, which is what YCSB's
// requestdistribution=zipfian actually uses: it draws a zipfian item from a
// space of ScrambledItemCount items and maps it to [min, max] with
// min + FNVHash64(item) mod (max-min+1). Popular items are spread over the
// key range instead of clustering at min, and, because most of the
// probability mass of 10^10 items lies in the long tail, the result is
// noticeably less skewed per key than Zipfian over the same range.
type ScrambledZipfian struct {
	min, items int64
	z          *Zipfian
}

// NewScrambledZipfian returns a scrambled zipfian generator over [min, max]
// with constant θ in [0, 1). It computes ζ(10^10, θ) itself; clients that
// share a distribution should use NewScrambledZipfianWithCache.
func NewScrambledZipfian(rng *rand.Rand, min, max int64, theta float64) *ScrambledZipfian {
	return NewScrambledZipfianWithCache(rng, min, max, NewZetaCache(theta))
}

// NewScrambledZipfianWithCache is NewScrambledZipfian with ζ from a shared
// cache. The cache should serve only scrambled generators (it then only ever
// holds ζ(ScrambledItemCount)).
func NewScrambledZipfianWithCache(rng *rand.Rand, min, max int64, zetas *ZetaCache) *ScrambledZipfian {
	if max < min {
		panic("ycsb: scrambled zipfian generator with max < min")
	}
	return &ScrambledZipfian{
		min:   min,
		items: max - min + 1,
		z:     NewZipfianWithCache(rng, 0, ScrambledItemCount-1, zetas),
	}
}

// Next draws from [min, max].
func (s *ScrambledZipfian) Next() int64 {
	return s.min + int64(FNVHash64(s.z.Next())%uint64(s.items))
}
