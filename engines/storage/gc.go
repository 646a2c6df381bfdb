package storage

// SetHorizon declares that no reader will ever again read at a timestamp < h
// (h only moves forward; smaller values are ignored). Versions hidden by a
// newer version whose ts <= h can be discarded, and a tombstone with ts <= h
// that is the key's only remaining version removes the key.
//
// Nothing is freed here: keys are pruned when they are next written
// (Install) or swept (Collect), so advancing the horizon is O(1) and engines
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

// Collect does up to budget keys of incremental garbage-collection sweep work
// (resuming where it stopped last time, round-robin over tables, wrapping
// around) and returns how many versions it freed. Engines call it
// periodically so that keys that are never written again also get collected.
// One call visits each key at most once, however large the budget, so a
// budget of at least Stats().Keys sweeps everything.
func (s *Store[V]) Collect(budget int) int {
	if budget <= 0 || len(s.tables) == 0 {
		return 0
	}
	freed := 0
	// One call does at most one lap: when it started in the middle of a
	// table, the lap ends back in that table at the key it started after.
	startAfter, startResume := s.gcAfter, s.gcResume
	for switches := 0; budget > 0; {
		final := switches == len(s.tables)
		if final && !startResume {
			break
		}
		visited, f, done := s.sweep(budget, final, startAfter)
		budget -= visited
		freed += f
		if done {
			s.gcTable = (s.gcTable + 1) % len(s.tables)
			s.gcAfter, s.gcResume = "", false
			switches++
		}
		if final {
			break
		}
	}
	return freed
}

// sweep trims up to budget keys of the current sweep table, starting after
// the last key swept (and, if bounded, not past until), and reports whether
// it reached the end of the table.
func (s *Store[V]) sweep(budget int, bounded bool, until string) (visited, freed int, done bool) {
	t := &s.tables[s.gcTable]
	tr := t.tree
	h := s.horizon
	done = true
	var last string
	dead := s.gcDead[:0]
	// Ascend starts at the key swept last, if it is still there: only the
	// first item can be it, so later ones skip the string comparison.
	skipFirst := s.gcResume
	visit := func(it item) bool {
		r, e := it.r, s.at(it.r)
		if skipFirst {
			skipFirst = false
			if e.key == s.gcAfter {
				return true
			}
		}
		if bounded && e.key > until {
			done, last = false, until
			return false
		}
		if visited == budget {
			done = false
			return false
		}
		visited++
		last = e.key
		f, d := e.trim(h)
		if d && s.bury(s.gcTable, e) {
			f, d = f-1, false
		}
		freed += f
		if d {
			dead = append(dead, r) // the tree cannot change mid-iteration
		}
		return true
	}
	if s.gcResume {
		tr.Ascend(s.probe(s.gcAfter), visit)
		s.probe("")
	} else {
		tr.Scan(visit)
	}
	ix := s.indexed(s.gcTable) // before the tree loses the dead keys
	for _, r := range dead {
		tr.Delete(s.item(r))
		ix.remove(s, s.at(r).key)
		s.keys--
		s.release(r)
	}
	s.gcDead = dead[:0]
	s.vers -= freed
	if !done {
		s.gcAfter, s.gcResume = last, true
	}
	return visited, freed, done
}
