package ycsb

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendDecimal writes what strconv does: every number of digits, the
// edges of each chunk, and hashed key numbers.
func TestAppendDecimalIsStrconv(t *testing.T) {
	us := []uint64{0, 1, 9, 10, 99, 100, 9999, 10000, 99999999, 100000000, 1e16 - 1, 1e16, 1e19, math.MaxInt64, math.MaxUint64}
	for p := uint64(1); p < 1e19; p *= 10 {
		us = append(us, p-1, p, p+1)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range int64(2000) {
		us = append(us, FNVHash64(n), rng.Uint64(), rng.Uint64()>>rng.IntN(64))
	}
	for _, u := range us {
		if got, want := string(appendDecimal([]byte("user"), u)), "user"+strconv.FormatUint(u, 10); got != want {
			t.Fatalf("%d: %q, want %q", u, got, want)
		}
	}
}

func BenchmarkAppendDecimal(b *testing.B) {
	var buf [24]byte
	u := FNVHash64(12345)
	b.Run("appendDecimal", func(b *testing.B) {
		for b.Loop() {
			appendDecimal(buf[:0], u)
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for b.Loop() {
			strconv.AppendUint(buf[:0], u, 10)
		}
	})
}
