package engines

import (
	"math/rand/v2"
	"testing"
)

// hashStringByBytes is HashValue of a string as it was written before the
// tail was read in one load: every split placement depends on it, so the
// two must agree on every string.
func hashStringByBytes(s string) uint64 {
	kind := uint64(TypeString)
	h := kind * 0x9e3779b97f4a7c15
	mix := func(w uint64) { h = (h ^ w) * 0xbf58476d1ce4e5b9 }
	for len(s) >= 8 {
		var w uint64
		for i := range 8 {
			w |= uint64(s[i]) << (8 * i)
		}
		mix(w)
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	mix(w | uint64(len(s))<<60)
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}

// TestHashValueOfStrings: HashValue of strings of every length up to 40,
// random bytes (0x00 and 0xff included) and YCSB-like names, is the
// byte-by-byte hash; a substring hashes as the same string on its own
// (the one-load tail reads bytes before the tail, never after the end).
func TestHashValueOfStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 41 {
		for range 50 {
			b := make([]byte, n+16)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			s := string(b[8 : 8+n]) // bytes on either side
			if got, want := HashValue(String(s)), hashStringByBytes(s); got != want {
				t.Fatalf("length %d %q: %#x, byte by byte %#x", n, s, got, want)
			}
			if got, want := HashValue(String(string(b)[8:8+n])), hashStringByBytes(s); got != want {
				t.Fatalf("substring of length %d: %#x, byte by byte %#x", n, got, want)
			}
		}
	}
	for _, s := range []string{"", "user1", "user8393955769381534607", "\x00\x00\x00\x00\x00\x00\x00\x00\x00", "\xff"} {
		if got, want := HashValue(String(s)), hashStringByBytes(s); got != want {
			t.Errorf("%q: %#x, byte by byte %#x", s, got, want)
		}
	}
}
