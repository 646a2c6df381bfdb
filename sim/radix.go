package sim

import (
	"cmp"
	"math/bits"
	"slices"
)

// radixQueue is the kernel's queue of future events: a radix heap
// ordered by (at, seq). Events only ever get later than the clock, so it
// may rely on every event pushed being at or after the last one popped
// (last). Keys are times in microseconds (radixKey); bucket i holds the
// events whose key first differs from last's in bit i-1
// (bits.Len64(key ^ lastKey) == i), so every event of a bucket is earlier
// than every event of a higher one, and bucket 0 holds those of last's
// microsecond. A push appends to its bucket. A pop from an empty bucket 0
// takes the lowest non-empty bucket, makes its earliest time last and
// spreads its events over the buckets below (each event moves a few times
// in its life, to ever lower buckets); bucket 0 gives its events in
// (at, seq) order, sorted when it holds several.
//
// The 4-ary heaps it replaced compared (at, seq) pairs all the way down on
// every pop, about 20 comparisons and moves for the 50-150 events near the
// clock, which made the event loop 9-21% of a YCSB-A run's instructions
// (callgrind: occ 9%, 2pc 13%, sharded 21%). Nanosecond keys moved each
// event through about twice as many buckets.
type radixQueue struct {
	last Time // the time of the last event popped, or 0
	n    int
	mask uint64      // bit i: bucket i is not empty
	b    [64][]int32 // the events' places in ev; keys are non-negative, so their xor is below 2^63
	min  [64]Time    // the earliest time in each non-empty bucket
	// sorted: bucket 0 is in descending (at, seq) order, the first event
	// last; a put into it clears this.
	sorted bool
	// ev holds the queued events, each in one place for its whole stay
	// (the buckets move 4-byte indices, not 32-byte events whose runner a
	// move would have to copy under the write barrier's check); free lists
	// the places to reuse.
	ev   []event
	free []int32
}

// radixShift: an event's key is its time in units of 2^radixShift ns
// (about a microsecond), so that bucket 0 holds the events of last's
// microsecond and the buckets below it are not walked one by one for
// events a few hundred nanoseconds apart.
const radixShift = 10

func radixKey(t Time) uint64 { return uint64(t) >> radixShift }

func (q *radixQueue) push(e event) {
	var x int32
	if n := len(q.free); n > 0 {
		x = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		x = int32(len(q.ev))
		q.ev = append(q.ev, event{})
	}
	q.ev[x] = e
	q.put(x, e.at, bits.Len64(radixKey(e.at)^radixKey(q.last)))
	q.n++
}

// put files the event at place x, due at at, in bucket i.
func (q *radixQueue) put(x int32, at Time, i int) {
	if q.mask&(1<<i) == 0 {
		q.mask |= 1 << i
		q.min[i] = at
	} else {
		if at < q.min[i] {
			q.min[i] = at
		}
		if i == 0 {
			q.sorted = false
		}
	}
	q.b[i] = append(q.b[i], x)
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
		km := radixKey(m)
		for _, x := range src {
			at := q.ev[x].at
			q.put(x, at, bits.Len64(radixKey(at)^km))
		}
	}
	b := q.b[0]
	n := len(b) - 1
	q.n--
	if n == 0 {
		x := b[0]
		q.b[0] = b[:0]
		q.mask &^= 1
		q.sorted = true
		return q.take(x)
	}
	if !q.sorted && n < 4 {
		// A few: take the first, and the earliest time of the rest.
		first := 0
		for j := 1; j <= n; j++ {
			if q.ev[b[j]].before(&q.ev[b[first]]) {
				first = j
			}
		}
		x := b[first]
		b[first] = b[n]
		b = b[:n]
		q.b[0] = b
		q.min[0] = q.ev[b[0]].at
		for _, o := range b[1:] {
			q.min[0] = min(q.min[0], q.ev[o].at)
		}
		return q.take(x)
	}
	if !q.sorted {
		slices.SortFunc(b, func(x, y int32) int {
			ex, ey := &q.ev[x], &q.ev[y]
			if ex.at != ey.at {
				return cmp.Compare(ey.at, ex.at)
			}
			return cmp.Compare(ey.seq, ex.seq)
		})
		q.sorted = true
	}
	x := b[n]
	q.b[0] = b[:n]
	q.min[0] = q.ev[b[n-1]].at
	return q.take(x)
}

// take returns the event at place x and frees the place.
func (q *radixQueue) take(x int32) event {
	e := q.ev[x]
	q.ev[x] = event{}
	q.free = append(q.free, x)
	return e
}

// before reports whether e comes before o: (at, seq) < (o.at, o.seq).
func (e *event) before(o *event) bool { return e.at < o.at || e.at == o.at && e.seq < o.seq }
