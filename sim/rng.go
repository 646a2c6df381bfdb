package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns a PCG random stream derived from the kernel's seed and a
// name. Every independent source of randomness (a link's jitter, a client's
// workload, a clock's offset) asks for its own named stream, so adding one
// source never shifts the numbers another draws.
func (k *Kernel) Stream(name string) *rand.Rand { return NewStream(k.seed, name) }

// NewStream derives a PCG stream from a seed and a name.
func NewStream(seed uint64, name string) *rand.Rand {
	return rand.New(rand.NewPCG(seed, streamSeq(name)))
}

// streamPCG is the generator of Stream(name), as a value (see path).
func (k *Kernel) streamPCG(name string) rand.PCG { return *rand.NewPCG(k.seed, streamSeq(name)) }

// streamSeq is the second PCG seed of a named stream: the name's FNV-1a hash.
func streamSeq(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
