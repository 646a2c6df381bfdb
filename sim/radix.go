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
	b    [64][]event // keys are non-negative, so their xor is below 2^63
	min  [64]Time    // the earliest time in each non-empty bucket
	// sorted: bucket 0 is in descending (at, seq) order, the first event
	// last; a put into it clears this.
	sorted bool
}

// radixShift: an event's key is its time in units of 2^radixShift ns
// (about a microsecond), so that bucket 0 holds the events of last's
// microsecond and the buckets below it are not walked one by one for
// events a few hundred nanoseconds apart.
const radixShift = 10

func radixKey(t Time) uint64 { return uint64(t) >> radixShift }

func (q *radixQueue) push(e event) {
	q.put(e, bits.Len64(radixKey(e.at)^radixKey(q.last)))
	q.n++
}

func (q *radixQueue) put(e event, i int) {
	if q.mask&(1<<i) == 0 {
		q.mask |= 1 << i
		q.min[i] = e.at
	} else {
		if e.at < q.min[i] {
			q.min[i] = e.at
		}
		if i == 0 {
			q.sorted = false
		}
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
		km := radixKey(m)
		for _, e := range src {
			q.put(e, bits.Len64(radixKey(e.at)^km))
		}
		for j := range src {
			src[j].r = nil // what the slot kept alive (clear(src) was a call for a slot or two)
		}
	}
	b := q.b[0]
	n := len(b) - 1
	q.n--
	if n == 0 {
		e := b[0]
		b[0] = event{}
		q.b[0] = b[:0]
		q.mask &^= 1
		q.sorted = true
		return e
	}
	if !q.sorted && n < 4 {
		// A few: take the first, and the earliest time of the rest.
		first := 0
		for j := 1; j <= n; j++ {
			if b[j].before(&b[first]) {
				first = j
			}
		}
		e := b[first]
		b[first] = b[n]
		b[n] = event{}
		b = b[:n]
		q.b[0] = b
		q.min[0] = b[0].at
		for _, o := range b[1:] {
			q.min[0] = min(q.min[0], o.at)
		}
		return e
	}
	if !q.sorted {
		slices.SortFunc(b, func(x, y event) int {
			if x.at != y.at {
				return cmp.Compare(y.at, x.at)
			}
			return cmp.Compare(y.seq, x.seq)
		})
		q.sorted = true
	}
	e := b[n]
	b[n] = event{}
	q.b[0] = b[:n]
	q.min[0] = b[n-1].at
	return e
}

// before reports whether e comes before o: (at, seq) < (o.at, o.seq).
func (e *event) before(o *event) bool { return e.at < o.at || e.at == o.at && e.seq < o.seq }
