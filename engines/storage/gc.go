package storage

// SetHorizon declares that no reader will ever again read at a timestamp < h
// (h only moves forward; smaller values are ignored). Versions hidden by a
// newer version whose ts <= h can be discarded, and a tombstone with ts <= h
// that is the key's only remaining version removes the key.
//
// Nothing is freed here: keys are pruned when they are next written
// (Install) or listed for Collect, so advancing the horizon is O(1) and engines
// can do it as often as their snapshot set changes.
func (s *Store[V]) SetHorizon(h Timestamp) {
	if h > s.horizon {
		s.horizon = h
	}
}

// Horizon returns the current GC horizon.
func (s *Store[V]) Horizon() Timestamp { return s.horizon }

// trim drops the versions no reader at ts >= h can see, and reports how many
// it dropped and whether the key is now empty (the caller then removes it
// from its tree). It never changes the tree, so Collect can call it while
// iterating.
//
// A reader at any ts >= h sees the newest version with ts <= h or a newer
// one, so everything older than that "horizon version" is dead. If the
// horizon version is a tombstone, it reads exactly like absence, so it goes
// too (which, when it was the only version left, empties the key).
func (e *entry[V]) trim(h Timestamp) (freed int, dead bool) {
	m := e.more
	if m == nil {
		return 0, false // a single live version: the common case
	}
	if e.ts <= h {
		freed = len(m.older)
		e.more = nil
		m.older = nil // a stale item of the Collect list may hold m a while
		if m.deleted {
			return freed + 1, true
		}
		return freed, false
	}
	i := 0
	for i < len(m.older) && m.older[i].ts > h {
		i++
	}
	if i == len(m.older) {
		return 0, false
	}
	keep := i + 1
	if m.older[i].deleted {
		keep = i
	}
	freed = len(m.older) - keep
	clear(m.older[keep:]) // release the dropped values to the Go GC
	m.older = m.older[:keep]
	if keep == 0 && !m.deleted {
		e.more = nil
	}
	return freed, false
}

// Collect trims up to budget of the keys that hold something to trim (an
// older version or a tombstone) and returns how many versions it freed.
// Engines call it periodically so that keys that are never written again
// also get collected; writes prune their own key (Install).
//
// The store lists such keys in the order they gained a history (a FIFO, see
// track); a key still holding versions newer than the horizon after its trim
// goes to the back, one whose history is gone leaves the list. Keys with a
// single live version (almost all of a large table) are never visited, so a
// round's cost follows the keys written, not the table's size, and an old
// version waits about (listed keys)/budget rounds once the horizon passes
// its successor. One call visits each listed key at most once, however
// large the budget, so a budget of at least Stats().Keys trims every key.
func (s *Store[V]) Collect(budget int) int {
	h := s.horizon
	freed := 0
	end := len(s.multi) // keys put back during this call wait for the next
	for ; budget > 0 && s.multiNext < end; s.multiNext++ {
		it := s.multi[s.multiNext]
		s.multi[s.multiNext] = pending[V]{} // the history may be garbage now
		e := s.at(it.r)
		if e.more != it.h {
			continue // stale: the key was removed, or its history dropped
		}
		budget--
		table := int(it.table)
		f, dead := e.trim(h)
		if dead && s.bury(table, e) {
			f, dead = f-1, false // a new history with nothing to trim
		}
		freed += f
		switch {
		case dead:
			ix := s.indexed(table) // before the tree loses the key
			s.ordered(table).Delete(s.item(it.r))
			ix.remove(s, e.key)
			s.keys--
			s.release(it.r)
		case e.more == it.h:
			s.multi = append(s.multi, it)
		}
	}
	s.vers -= freed
	// Drop the visited front once it is longer than the rest: the copy is
	// shorter than the visits that made the front.
	if s.multiNext > len(s.multi)/2 {
		n := copy(s.multi, s.multi[s.multiNext:])
		clear(s.multi[n:])
		s.multi, s.multiNext = s.multi[:n], 0
	}
	return freed
}

// pending is an item of the Collect list: a key (its table and entry) with
// the history it had when listed. The item is stale once the entry's history
// is another (or none): the entry was trimmed to one version, or removed and
// perhaps reused for another key. Holding h keeps its address from being
// reused, so comparing it is a sound test.
type pending[V any] struct {
	h     *history[V]
	r     ref
	table uint32
}

// minStaleDrop is the list length below which track does not look for stale
// items.
const minStaleDrop = 1024

// track lists entry r of table, whose history h is not listed yet, for
// Collect. A key is listed when it gains a history (a second version or a
// tombstone) and stays listed with that history until it loses it, so a hot
// key costs one item however often it is written; only a key whose history
// comes and goes (trimmed to one version by a write, then written again)
// leaves stale items behind. Those are dropped here once the list has
// doubled since the last look, so the list stays within about twice the
// keys with histories (at least minStaleDrop), at O(1) amortised per item.
func (s *Store[V]) track(table int, r ref, h *history[V]) {
	h.listed = true
	if len(s.multi)-s.multiNext >= s.multiStaleAt {
		live := s.multi[:0]
		for _, it := range s.multi[s.multiNext:] {
			if s.at(it.r).more == it.h {
				live = append(live, it)
			}
		}
		clear(s.multi[len(live):])
		s.multi, s.multiNext = live, 0
		s.multiStaleAt = max(2*len(live), minStaleDrop)
	}
	s.multi = append(s.multi, pending[V]{h: h, r: r, table: uint32(table)})
}
