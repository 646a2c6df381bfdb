// Package lock is a lock table for the lock-based simulated engines: shared
// and exclusive locks on keys and shared locks on key ranges, with a wait
// queue per key. It is pure bookkeeping — no network, no clock, no
// goroutines — so the engines decide what waiting means: the Spanner-style
// engine (twopc) applies wound-wait to the holders Blockers reports, a
// PostgreSQL-style engine would block with a timeout and Cancel.
//
// Waiters are served in priority order (a smaller Priority first; equal
// priorities first come, first served), so an engine that orders
// transactions by age gets "the oldest waiter goes first", and one that
// passes the zero Priority gets a FIFO queue. A request that is compatible
// with the holders but would overtake an earlier waiter waits, so writers
// are not starved by a stream of readers. An upgrade (shared to exclusive by
// a holder) goes ahead of the other waiters, as in every lock manager: the
// waiters are waiting for the upgrader anyway.
//
// Range locks exist for phantom protection: a shared lock on [from, end)
// conflicts with exclusive locks on keys in the range, in both directions.
//
// Nothing here is safe for concurrent use (it belongs to the simulation
// loop), and nothing observable depends on map iteration order.
package lock

import (
	"cmp"
	"slices"
)

// Mode is a lock mode.
type Mode uint8

const (
	Shared Mode = iota + 1
	Exclusive
)

func (m Mode) String() string {
	switch m {
	case Shared:
		return "shared"
	case Exclusive:
		return "exclusive"
	}
	return "mode(?)"
}

func compatible(a, b Mode) bool { return a == Shared && b == Shared }

// Owner identifies a transaction to the table.
type Owner uint64

// Priority orders waiters: a smaller priority is served first. Start is
// compared first, then Tie (engines put an age in Start and a client id in
// Tie); equal priorities are served in arrival order.
type Priority struct {
	Start int64
	Tie   uint64
}

// Before reports whether p is served before q.
func (p Priority) Before(q Priority) bool {
	if p.Start != q.Start {
		return p.Start < q.Start
	}
	return p.Tie < q.Tie
}

// Holder is one granted lock on a key.
type Holder struct {
	Owner Owner
	Mode  Mode
}

// Table is one lock table (one per shard or split leader). W is the
// engine's handle for a waiting request (typically a future it completes
// when the request is granted); the table hands it back on grant.
type Table[W any] struct {
	points map[string]*point[W]
	owners map[Owner]*owned[W]
	// xheld and queued index the points with an exclusive holder and the
	// points with waiters, which range checks have to look at. xheld is
	// kept only from the first range request on (xIndexed): a table that
	// never sees one (YCSB's) then skips two map writes an exclusive lock,
	// ~1% of a 2pc YCSB-A run's instructions.
	xheld    map[string]*point[W]
	xIndexed bool
	queued   map[string]*point[W]
	ranges   []*request[W] // granted range locks
	rqueue   []*request[W] // waiting range requests, by priority
	seq      uint64
	grants   []W // scratch for the grants of one call
	// Points and owner records no longer in use, with their slices' room,
	// for the next keys and owners: most locks are taken and released
	// within a transaction, and allocating four objects a lock cost more
	// than the table's work.
	freePoints []*point[W]
	freeOwned  []*owned[W]
	// freeReqs are point requests that left their queue (granted,
	// withdrawn or cancelled), for the next request that must wait: only
	// a queue refers to one.
	freeReqs []*request[W]
}

type point[W any] struct {
	key     string
	holders []Holder
	queue   []*request[W] // upgrades first, then by (priority, arrival)
	// inX and inQ: the point is in the table's xheld and queued indexes,
	// so that a release deletes it from them only when it is there (a
	// delete hashes the key even when it finds nothing).
	inX, inQ bool
}

type request[W any] struct {
	owner    Owner
	prio     Priority
	seq      uint64
	mode     Mode
	key, end string // a point's key; a range's [key, end), end "" = unbounded
	isRange  bool
	upgrade  bool
	w        W
}

// owned is what one owner holds or waits for, in request order, so that
// releasing it is deterministic.
type owned[W any] struct {
	points []string
	ranges []*request[W]
}

// New returns an empty table.
func New[W any]() *Table[W] {
	return &Table[W]{
		points: map[string]*point[W]{},
		owners: map[Owner]*owned[W]{},
		xheld:  map[string]*point[W]{},
		queued: map[string]*point[W]{},
	}
}

func (t *Table[W]) owner(o Owner) *owned[W] {
	ow := t.owners[o]
	if ow == nil {
		if n := len(t.freeOwned); n > 0 {
			ow, t.freeOwned = t.freeOwned[n-1], t.freeOwned[:n-1]
		} else {
			ow = &owned[W]{}
		}
		t.owners[o] = ow
	}
	return ow
}

// forget keeps ow, removed from owners, for reuse.
func (t *Table[W]) forget(ow *owned[W]) {
	clear(ow.points)
	clear(ow.ranges)
	ow.points, ow.ranges = ow.points[:0], ow.ranges[:0]
	t.freeOwned = append(t.freeOwned, ow)
}

func (p *point[W]) holderIndex(o Owner) int {
	for i, h := range p.holders {
		if h.Owner == o {
			return i
		}
	}
	return -1
}

func (p *point[W]) queuedBy(o Owner) bool {
	for _, r := range p.queue {
		if r.owner == o {
			return true
		}
	}
	return false
}

func inRange(key, from, end string) bool { return key >= from && (end == "" || key < end) }

// Acquire requests key in mode m for o. It returns true when the lock is
// granted now (or o already holds it in m or a stronger mode). Otherwise
// the request waits in the key's queue and w is handed back by the call
// that grants it (Release*, Cancel); Blockers tells who is in the way. A
// second request by an owner already waiting for the key is not queued
// again (false).
func (t *Table[W]) Acquire(o Owner, prio Priority, key string, m Mode, w W) bool {
	return t.AcquireFunc(o, prio, key, m, func() W { return w })
}

// AcquireFunc is Acquire with the waiter made by w, called only when the
// request queues: most requests are granted at once, and their waiter
// (a record the caller allocated) was never used.
func (t *Table[W]) AcquireFunc(o Owner, prio Priority, key string, m Mode, w func() W) bool {
	p := t.points[key]
	if p == nil {
		if n := len(t.freePoints); n > 0 {
			p, t.freePoints = t.freePoints[n-1], t.freePoints[:n-1]
			p.key = key
		} else {
			p = &point[W]{key: key}
		}
		t.points[key] = p
	}
	t.seq++
	r := request[W]{owner: o, prio: prio, seq: t.seq, mode: m, key: key}
	i := p.holderIndex(o)
	switch {
	case i >= 0 && p.holders[i].Mode >= m:
		return true
	case p.queuedBy(o):
		return false
	case i >= 0:
		r.upgrade = true
	}
	// Granted at once when it would head the queue (an upgrade by a holder
	// that need not wait for other holders always does) and fits.
	if i < 0 {
		ow := t.owner(o)
		ow.points = append(ow.points, key)
	}
	at := position(p, &r)
	if at == 0 && t.grantablePoint(p, &r) {
		t.grant(p, &r)
		return true
	}
	r.w = w()
	var rp *request[W]
	if n := len(t.freeReqs); n > 0 {
		rp, t.freeReqs = t.freeReqs[n-1], t.freeReqs[:n-1]
	} else {
		rp = new(request[W])
	}
	*rp = r
	p.queue = slices.Insert(p.queue, at, rp)
	if !p.inQ {
		t.queued[p.key], p.inQ = p, true
	}
	return false
}

// position is where r goes in p's queue: upgrades first, then by priority,
// then in arrival order.
func position[W any](p *point[W], r *request[W]) int {
	for i, q := range p.queue {
		if r.upgrade && !q.upgrade || r.upgrade == q.upgrade && r.prio.Before(q.prio) {
			return i
		}
	}
	return len(p.queue)
}

func (t *Table[W]) unqueue(p *point[W]) {
	if len(p.queue) == 0 && p.inQ {
		delete(t.queued, p.key)
		p.inQ = false
	}
}

func (t *Table[W]) grant(p *point[W], r *request[W]) {
	if i := p.holderIndex(r.owner); i >= 0 {
		p.holders[i].Mode = max(p.holders[i].Mode, r.mode)
	} else {
		p.holders = append(p.holders, Holder{Owner: r.owner, Mode: r.mode})
	}
	if r.mode == Exclusive && !p.inX && t.xIndexed {
		t.xheld[p.key], p.inX = p, true
	}
}

// indexExclusive starts keeping xheld, from the points held exclusively
// now (a range request needs it).
func (t *Table[W]) indexExclusive() {
	if t.xIndexed {
		return
	}
	t.xIndexed = true
	for key, p := range t.points {
		if t.hasExclusive(p) {
			t.xheld[key], p.inX = p, true
		}
	}
}

// grantablePoint: compatible with every other holder; an exclusive request
// also needs no other owner's range lock over the key, granted or waiting
// ahead of it.
func (t *Table[W]) grantablePoint(p *point[W], r *request[W]) bool {
	for _, h := range p.holders {
		if h.Owner != r.owner && !compatible(h.Mode, r.mode) {
			return false
		}
	}
	if r.mode != Exclusive {
		return true
	}
	for _, g := range t.ranges {
		if g.owner != r.owner && inRange(p.key, g.key, g.end) {
			return false
		}
	}
	for _, q := range t.rqueue {
		if q.owner != r.owner && q.prio.Before(r.prio) && inRange(p.key, q.key, q.end) {
			return false
		}
	}
	return true
}

// AcquireRange requests a shared lock on the keys in [from, end) (end ""
// means unbounded) for o; like Acquire, it returns true when granted now
// and otherwise queues the request. Each call is a new range lock.
func (t *Table[W]) AcquireRange(o Owner, prio Priority, from, end string, w W) bool {
	t.indexExclusive()
	t.seq++
	r := &request[W]{owner: o, prio: prio, seq: t.seq, mode: Shared, key: from, end: end, isRange: true, w: w}
	t.owner(o).ranges = append(t.owner(o).ranges, r)
	if t.grantableRange(r) {
		t.ranges = append(t.ranges, r)
		return true
	}
	at := len(t.rqueue)
	for i, q := range t.rqueue {
		if r.prio.Before(q.prio) {
			at = i
			break
		}
	}
	t.rqueue = slices.Insert(t.rqueue, at, r)
	return false
}

// grantableRange: no other owner holds an exclusive lock in the range, or
// waits for one there ahead of r.
func (t *Table[W]) grantableRange(r *request[W]) bool {
	for key, p := range t.xheld {
		if !inRange(key, r.key, r.end) {
			continue
		}
		for _, h := range p.holders {
			if h.Owner != r.owner && h.Mode == Exclusive {
				return false
			}
		}
	}
	for key, p := range t.queued {
		if !inRange(key, r.key, r.end) {
			continue
		}
		for _, q := range p.queue {
			if q.owner != r.owner && q.mode == Exclusive && q.prio.Before(r.prio) {
				return false
			}
		}
	}
	return true
}

// Blockers returns the owners that keep o from getting key in mode m, in
// ascending order: incompatible holders of the key; for an exclusive
// request, holders of range locks over it; and, when o is waiting, the
// owners of the requests queued ahead of it. Under a priority order those
// are older than o except for upgrades, which go first: a younger holder
// upgrading ahead of o blocks o as much as a holder does.
func (t *Table[W]) Blockers(o Owner, key string, m Mode) []Owner {
	return t.BlockersIn(nil, o, key, m)
}

// BlockersIn is Blockers in buf's array while it has room (buf's contents
// are overwritten): a caller with a small buffer of its own allocates
// nothing for the few blockers a request usually has.
func (t *Table[W]) BlockersIn(buf []Owner, o Owner, key string, m Mode) []Owner {
	out := buf[:0]
	if p := t.points[key]; p != nil {
		for _, h := range p.holders {
			if h.Owner != o && !compatible(h.Mode, m) {
				out = append(out, h.Owner)
			}
		}
		if p.queuedBy(o) {
			for _, r := range p.queue {
				if r.owner == o {
					break
				}
				out = append(out, r.owner)
			}
		}
	}
	if m == Exclusive {
		for _, g := range t.ranges {
			if g.owner != o && inRange(key, g.key, g.end) {
				out = append(out, g.owner)
			}
		}
	}
	return sortUnique(out)
}

// RangeBlockers returns the owners holding exclusive locks on keys in
// [from, end) that keep o from a shared range lock, in ascending order.
func (t *Table[W]) RangeBlockers(o Owner, from, end string) []Owner {
	t.indexExclusive()
	var out []Owner
	for key, p := range t.xheld {
		if !inRange(key, from, end) {
			continue
		}
		for _, h := range p.holders {
			if h.Owner != o && h.Mode == Exclusive {
				out = append(out, h.Owner)
			}
		}
	}
	return sortUnique(out)
}

func sortUnique(os []Owner) []Owner {
	slices.SortFunc(os, cmp.Compare[Owner])
	return slices.Compact(os)
}

// ReleaseAll drops every lock o holds and every request it has waiting, and
// returns the handles of the requests that were granted as a result, in
// grant order. Releasing an owner with nothing is a no-op.
func (t *Table[W]) ReleaseAll(o Owner) []W {
	ow := t.owners[o]
	if ow == nil {
		return nil
	}
	delete(t.owners, o)
	t.grants = t.grants[:0]
	xfreed := false
	for _, key := range ow.points {
		p := t.points[key]
		if p == nil {
			continue
		}
		if i := p.holderIndex(o); i >= 0 {
			xfreed = xfreed || p.holders[i].Mode == Exclusive
			p.holders = slices.Delete(p.holders, i, i+1)
			if p.inX && !t.hasExclusive(p) {
				delete(t.xheld, key)
				p.inX = false
			}
		}
		p.queue = slices.DeleteFunc(p.queue, func(r *request[W]) bool {
			if r.owner != o {
				return false
			}
			if r.mode == Exclusive {
				xfreed = true // a waiting exclusive request may have held back a range
			}
			t.freeRequest(r)
			return true
		})
		t.unqueue(p)
		t.pump(p)
	}
	var spans [][2]string
	for _, r := range ow.ranges {
		t.ranges = slices.DeleteFunc(t.ranges, func(g *request[W]) bool { return g == r })
		t.rqueue = slices.DeleteFunc(t.rqueue, func(g *request[W]) bool { return g == r })
		spans = append(spans, [2]string{r.key, r.end})
	}
	if len(spans) > 0 {
		t.pumpPointsIn(spans)
	}
	if xfreed {
		t.pumpRanges()
	}
	for _, key := range ow.points {
		t.drop(key)
	}
	t.forget(ow)
	return t.takeGrants()
}

// Cancel withdraws o's waiting request for key (a lock-wait timeout) and
// returns the handles of requests granted as a result. Locks o holds on the
// key stay held.
func (t *Table[W]) Cancel(o Owner, key string) []W {
	p := t.points[key]
	if p == nil || !p.queuedBy(o) {
		return nil
	}
	t.grants = t.grants[:0]
	x := false
	p.queue = slices.DeleteFunc(p.queue, func(r *request[W]) bool {
		if r.owner == o {
			x = x || r.mode == Exclusive
			t.freeRequest(r)
			return true
		}
		return false
	})
	t.unqueue(p)
	if ow := t.owners[o]; ow != nil && p.holderIndex(o) < 0 {
		ow.points = slices.DeleteFunc(ow.points, func(k string) bool { return k == key })
		if len(ow.points) == 0 && len(ow.ranges) == 0 {
			delete(t.owners, o)
			t.forget(ow)
		}
	}
	t.pump(p)
	if x {
		t.pumpRanges()
	}
	t.drop(key)
	return t.takeGrants()
}

func (t *Table[W]) hasExclusive(p *point[W]) bool {
	for _, h := range p.holders {
		if h.Mode == Exclusive {
			return true
		}
	}
	return false
}

// pump grants p's waiters from the head of the queue while they fit.
func (t *Table[W]) pump(p *point[W]) {
	for len(p.queue) > 0 {
		r := p.queue[0]
		if !t.grantablePoint(p, r) {
			break
		}
		p.queue = slices.Delete(p.queue, 0, 1)
		t.grant(p, r)
		t.grants = append(t.grants, r.w)
		t.freeRequest(r)
	}
	t.unqueue(p)
}

// freeRequest keeps a point request that left its queue for a later one,
// cleared (it held a key and a handle).
func (t *Table[W]) freeRequest(r *request[W]) {
	*r = request[W]{}
	t.freeReqs = append(t.freeReqs, r)
}

// pumpRanges grants every waiting range request that fits now; shared
// ranges do not block each other, so no head-of-line rule applies.
func (t *Table[W]) pumpRanges() {
	for i := 0; i < len(t.rqueue); {
		r := t.rqueue[i]
		if !t.grantableRange(r) {
			i++
			continue
		}
		t.rqueue = slices.Delete(t.rqueue, i, i+1)
		t.ranges = append(t.ranges, r)
		t.grants = append(t.grants, r.w)
	}
}

// pumpPointsIn pumps the waiting points inside any of spans, in key order.
func (t *Table[W]) pumpPointsIn(spans [][2]string) {
	var keys []string
	for key := range t.queued {
		for _, s := range spans {
			if inRange(key, s[0], s[1]) {
				keys = append(keys, key)
				break
			}
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		if p := t.queued[key]; p != nil {
			t.pump(p)
		}
	}
}

// drop forgets a point nobody holds or waits for.
func (t *Table[W]) drop(key string) {
	if p := t.points[key]; p != nil && len(p.holders) == 0 && len(p.queue) == 0 {
		delete(t.points, key)
		if p.inX {
			delete(t.xheld, key)
		}
		if p.inQ {
			delete(t.queued, key)
		}
		p.inX, p.inQ = false, false
		clear(p.queue[:cap(p.queue)])
		p.key, p.holders, p.queue = "", p.holders[:0], p.queue[:0]
		t.freePoints = append(t.freePoints, p)
	}
}

func (t *Table[W]) takeGrants() []W {
	if len(t.grants) == 0 {
		return nil
	}
	out := slices.Clone(t.grants)
	clear(t.grants)
	t.grants = t.grants[:0]
	return out
}

// Holders returns the granted locks on key, in grant order.
func (t *Table[W]) Holders(key string) []Holder {
	if p := t.points[key]; p != nil {
		return slices.Clone(p.holders)
	}
	return nil
}

// Waiting returns how many requests wait for key.
func (t *Table[W]) Waiting(key string) int {
	if p := t.points[key]; p != nil {
		return len(p.queue)
	}
	return 0
}

// Holds reports the mode o holds key in (0 if none).
func (t *Table[W]) Holds(o Owner, key string) Mode {
	if p := t.points[key]; p != nil {
		if i := p.holderIndex(o); i >= 0 {
			return p.holders[i].Mode
		}
	}
	return 0
}

// Owners is the number of owners holding or waiting for anything; Keys the
// number of keys locked or waited for; Ranges the number of range locks,
// granted or waiting. Engines use them to show that nothing leaks.
func (t *Table[W]) Owners() int { return len(t.owners) }

// OwnerIDs lists the owners holding or waiting for something, in ascending
// order (for a deterministic sweep, e.g. a new leader dropping the locks of
// transactions that are gone).
func (t *Table[W]) OwnerIDs() []Owner {
	ids := make([]Owner, 0, len(t.owners))
	for o := range t.owners {
		ids = append(ids, o)
	}
	slices.Sort(ids)
	return ids
}
func (t *Table[W]) Keys() int   { return len(t.points) }
func (t *Table[W]) Ranges() int { return len(t.ranges) + len(t.rqueue) }
