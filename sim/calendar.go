package sim

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// calQueue is the kernel's queue of future events: a calendar of time
// buckets in front of a radix heap, ordered by (at, seq).
//
// Time is cut into buckets of 2^calShift ns (about 16 µs); bucket b holds
// the events due in [b<<calShift, (b+1)<<calShift). The events of the
// buckets up to cur are in sorted, latest first, and pop takes the last.
// The next calBuckets-1 buckets are a ring: a push appends to its bucket's
// list (no order kept), and when sorted runs dry the next non-empty bucket
// (found in a bitmap) is sorted into it — most hold a few events, so an
// event is moved about once. Events further ahead (timeouts, the odd long
// wait) go to a radix heap (radixQueue) and move into the ring as the
// window reaches them. An event pushed into a bucket at or before cur (a
// short service time from now) is inserted into sorted by binary search.
//
// The radix heap alone moved each event through 3-4 buckets on its way
// down: pushes are 16 µs to 130 ms ahead of the clock (CPU service,
// network, commit wait, replication), which its power-of-two buckets split
// finely. It was ~10% of a 2pc YCSB-A run's instructions (callgrind), most
// of that storing, ordering and taking events, which the calendar does
// too: a run saves 0.3-1%, BenchmarkKernelHold about 40%.
type calQueue struct {
	n      int
	cur    int64   // the last bucket whose events are in sorted
	sorted []int32 // places in ev of the events of buckets ≤ cur, latest first
	// ring: the events of buckets cur+1 .. cur+calBuckets-1, each bucket a
	// list linked through next (first[b&calMask] is its first place + 1,
	// 0 for none); nonEmpty has a bit for each bucket with events.
	first    [calBuckets]int32
	nonEmpty [calBuckets / 64]uint64
	inRing   int
	next     []int32 // the next place in an event's bucket list, + 1
	far      radixQueue
	// ev holds the queued events, each in one place for its whole stay
	// here (far keeps its own); free lists the places to reuse.
	ev   []event
	free []int32
}

const (
	calShift   = 14 // a bucket is 2^14 ns (16.4 µs)
	calBuckets = 1 << 14
	calMask    = calBuckets - 1 // the ring spans 268 ms
)

func calBucket(t Time) int64 { return int64(t) >> calShift }

func (q *calQueue) push(e event) {
	q.n++
	b := calBucket(e.at)
	if b >= q.cur+calBuckets {
		q.far.push(e)
		return
	}
	x := q.place(e)
	if b <= q.cur {
		q.insert(x)
		return
	}
	q.link(x, b)
}

// place stores e and returns its place.
func (q *calQueue) place(e event) int32 {
	var x int32
	if n := len(q.free); n > 0 {
		x = q.free[n-1]
		q.free = q.free[:n-1]
		q.ev[x] = e
	} else {
		x = int32(len(q.ev))
		q.ev = append(q.ev, e)
		q.next = append(q.next, 0)
	}
	return x
}

// link adds the event at place x to ring bucket b.
func (q *calQueue) link(x int32, b int64) {
	r := b & calMask
	q.next[x] = q.first[r]
	q.first[r] = x + 1
	q.nonEmpty[r>>6] |= 1 << (r & 63)
	q.inRing++
}

// insert puts the event at place x into sorted, in order.
func (q *calQueue) insert(x int32) {
	e := &q.ev[x]
	s := q.sorted
	// The first index whose event comes before e (sorted is latest first).
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e.before(&q.ev[s[m]]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	s = append(s, x) // its place when it comes first, the common case
	if lo < len(s)-1 {
		copy(s[lo+1:], s[lo:])
		s[lo] = x
	}
	q.sorted = s
}

// head is the earliest queued time; the queue must not be empty.
func (q *calQueue) head() Time {
	if len(q.sorted) == 0 {
		q.fill()
	}
	return q.ev[q.sorted[len(q.sorted)-1]].at
}

// pop removes and returns the first event; the queue must not be empty.
func (q *calQueue) pop() event {
	if len(q.sorted) == 0 {
		q.fill()
	}
	n := len(q.sorted) - 1
	x := q.sorted[n]
	q.sorted = q.sorted[:n]
	q.n--
	e := q.ev[x]
	q.ev[x] = event{}
	q.free = append(q.free, x)
	return e
}

// fill moves the earliest bucket with events into sorted, in order, and
// makes it cur; sorted must be empty and the queue not.
func (q *calQueue) fill() {
	next := int64(math.MaxInt64)
	if q.inRing > 0 {
		next = q.nextInRing()
	}
	if q.far.n > 0 {
		next = min(next, calBucket(q.far.head()))
	}
	q.cur = next
	// The far events the ring now spans come in; those of bucket next go
	// straight to sorted.
	for q.far.n > 0 && calBucket(q.far.head()) < next+calBuckets {
		e := q.far.pop()
		x := q.place(e)
		if b := calBucket(e.at); b == next {
			q.sorted = append(q.sorted, x)
		} else {
			q.link(x, b)
		}
	}
	r := next & calMask
	if q.first[r] != 0 {
		for x := q.first[r] - 1; ; x = q.next[x] - 1 {
			q.sorted = append(q.sorted, x)
			q.inRing--
			if q.next[x] == 0 {
				break
			}
		}
		q.first[r] = 0
		q.nonEmpty[r>>6] &^= 1 << (r & 63)
	}
	q.sortBucket()
}

// nextInRing is the earliest ring bucket with events; the ring must hold
// some. The ring's buckets follow cur in order round the bitmap.
func (q *calQueue) nextInRing() int64 {
	start := (q.cur + 1) & calMask
	w := start >> 6
	word := q.nonEmpty[w] &^ (1<<(start&63) - 1) // the bits from start on
	for range len(q.nonEmpty) + 1 {
		if word != 0 {
			r := w<<6 + int64(bits.TrailingZeros64(word))
			return q.cur + 1 + (r-start)&calMask
		}
		w = (w + 1) % int64(len(q.nonEmpty))
		word = q.nonEmpty[w]
	}
	panic("sim: calendar ring counted events it does not hold")
}

// sortBucket orders sorted latest first: by (at, seq), descending. A
// bucket holds a few events; insertion sort compares them in place.
func (q *calQueue) sortBucket() {
	s := q.sorted
	if len(s) > 24 {
		slices.SortFunc(s, func(x, y int32) int {
			ex, ey := &q.ev[x], &q.ev[y]
			if ex.at != ey.at {
				return cmp.Compare(ey.at, ex.at)
			}
			return cmp.Compare(ey.seq, ex.seq)
		})
		return
	}
	for i := 1; i < len(s); i++ {
		x := s[i]
		e := &q.ev[x]
		j := i
		for ; j > 0 && q.ev[s[j-1]].before(e); j-- {
			s[j] = s[j-1]
		}
		s[j] = x
	}
}
