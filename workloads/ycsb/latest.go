package ycsb

import "math/rand/v2"

// SkewedLatest is YCSB's SkewedLatestGenerator (requestdistribution=latest):
// it favours the most recently inserted keys. Each draw reads the newest key
// number L from its basis and returns L - z, where z is zipfian over the
// L+1 existing key numbers, so L is the most popular key, L-1 the next, and
// so on; as inserts advance L, popularity moves with it.
//
// YCSB draws z over L items, so it never returns key 0; here z ranges over
// all L+1 keys.
type SkewedLatest struct {
	last func() int64
	z    *Zipfian
}

// NewSkewedLatest returns a generator whose basis is last, the newest key
// number (at least 0). zetas supplies ζ for the zipfian offsets; share it
// between the clients of one workload.
func NewSkewedLatest(rng *rand.Rand, last func() int64, zetas *ZetaCache) *SkewedLatest {
	l := last()
	if l < 0 {
		l = 0
	}
	return &SkewedLatest{last: last, z: NewZipfianWithCache(rng, 0, l, zetas)}
}

// Next draws from [0, last()].
func (s *SkewedLatest) Next() int64 {
	l := s.last()
	if l < 0 {
		return 0
	}
	return l - s.z.NextN(l+1)
}
