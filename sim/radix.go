package sim

import (
	"cmp"
	"math/bits"
	"slices"
)

// radixQueue is the kernel's queue of future events: a radix heap
// ordered by (at, seq). Events only ever get later than the clock, so it
// may rely on every event pushed being at or after the last one popped
// (last): bucket i holds the events whose time first differs from last's
// in bit i-1 (bits.Len64(at ^ last) == i), so every event of a bucket is
// earlier than every event of a higher one, and bucket 0 holds those due
// at last itself. A push appends to its bucket. A pop from an empty bucket
// 0 takes the lowest non-empty bucket, makes its earliest time last and
// spreads its events over the buckets below (each event moves a few times
// in its life, to ever lower buckets); among the events at last, the one
// with the least sequence number goes first (bucket 0 is sorted by
// sequence, latest first, when it holds several: events at one instant
// are common where work is timed in round microseconds).
//
// The 4-ary heap it replaced compared (at, seq) pairs all the way down on
// every pop, about 20 comparisons and moves for the 50-150 events near the
// clock, which made the event loop 9-21% of a YCSB-A run's instructions
// (callgrind: occ 9%, 2pc 13%, sharded 21%).
type radixQueue struct {
	last Time
	n    int
	mask uint64      // bit i: bucket i is not empty
	b    [64][]event // times are non-negative, so at^last < 2^63
	min  [64]Time    // the earliest time in each non-empty bucket
	// sorted: bucket 0 is in descending sequence order (pop takes its
	// last event).
	sorted bool
}

func (q *radixQueue) push(e event) {
	q.put(e, bits.Len64(uint64(e.at^q.last)))
	q.n++
}

func (q *radixQueue) put(e event, i int) {
	if i == 0 {
		q.sorted = false
	}
	if q.mask&(1<<i) == 0 {
		q.mask |= 1 << i
		q.min[i] = e.at
	} else if e.at < q.min[i] {
		q.min[i] = e.at
	}
	q.b[i] = append(q.b[i], e)
}

// head is the earliest queued time; the queue must not be empty.
func (q *radixQueue) head() Time { return q.min[bits.TrailingZeros64(q.mask)] }

// pop removes and returns the first event; the queue must not be empty.
func (q *radixQueue) pop() event {
	if q.mask&1 == 0 {
		i := bits.TrailingZeros64(q.mask)
		m := q.min[i]
		q.last = m
		src := q.b[i]
		q.b[i] = src[:0]
		q.mask &^= 1 << i
		for _, e := range src {
			q.put(e, bits.Len64(uint64(e.at^m)))
		}
		clear(src)
	}
	b := q.b[0]
	n := len(b) - 1
	if n > 0 && !q.sorted {
		slices.SortFunc(b, func(x, y event) int { return cmp.Compare(y.seq, x.seq) })
		q.sorted = true
	}
	e := b[n]
	b[n] = event{}
	q.b[0] = b[:n]
	if n == 0 {
		q.mask &^= 1
	}
	q.n--
	return e
}
