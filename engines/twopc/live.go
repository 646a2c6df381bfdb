package twopc

// liveTxns maps lock owners to their transactions, for wound-wait: the
// engine's read-write transactions from Begin until they finish. Begin
// numbers transactions in order, so they are added in ascending id order
// and kept as a slice in that order; a finished one leaves a hole (found by
// binary search), the holes at the front are skipped, and the slice is
// compacted once holes are more than half of it. A map cost an insert and
// a delete of every writing attempt (~0.7% of a 2pc YCSB-A run's
// instructions), and its order, random, had to be sorted away wherever
// the set was walked.
type liveTxns struct {
	ids  []uint64 // ascending; ids[i] is txns[i]'s, kept for holes too
	txns []*txn   // nil for a hole
	head int      // txns[:head] are holes
	n    int
}

// add registers t, whose id must be above every id added before.
func (l *liveTxns) add(t *txn) {
	if k := len(l.ids); k > 0 && l.ids[k-1] >= t.id {
		panic("twopc: transactions registered out of order")
	}
	l.ids = append(l.ids, t.id)
	l.txns = append(l.txns, t)
	l.n++
}

// find is the index of id, or -1.
func (l *liveTxns) find(id uint64) int {
	lo, hi := l.head, len(l.ids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.ids[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(l.ids) && l.ids[lo] == id {
		return lo
	}
	return -1
}

// get returns the live transaction numbered id, or nil.
func (l *liveTxns) get(id uint64) *txn {
	if i := l.find(id); i >= 0 {
		return l.txns[i]
	}
	return nil
}

// remove forgets the transaction numbered id, if it is live.
func (l *liveTxns) remove(id uint64) {
	i := l.find(id)
	if i < 0 || l.txns[i] == nil {
		return
	}
	l.txns[i] = nil
	l.n--
	for l.head < len(l.txns) && l.txns[l.head] == nil {
		l.head++
	}
	switch {
	case l.head == len(l.txns):
		clear(l.txns)
		l.ids, l.txns, l.head = l.ids[:0], l.txns[:0], 0
	case len(l.txns) > 2*l.n+32:
		k := 0
		for j := l.head; j < len(l.txns); j++ {
			if t := l.txns[j]; t != nil {
				l.ids[k], l.txns[k] = l.ids[j], t
				k++
			}
		}
		clear(l.txns[k:])
		l.ids, l.txns, l.head = l.ids[:k], l.txns[:k], 0
	}
}

// len is the number of live transactions.
func (l *liveTxns) len() int { return l.n }

// each calls fn for every live transaction, in id order.
func (l *liveTxns) each(fn func(t *txn)) {
	for _, t := range l.txns[l.head:] {
		if t != nil {
			fn(t)
		}
	}
}
