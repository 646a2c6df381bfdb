package txnkit

import (
	"slices"
	"strings"

	"github.com/txbench/txbench/engines"
)

// KeyedRow is a row with its key's encoding, the unit scans merge on.
type KeyedRow struct {
	Enc string
	Row engines.Row
}

// Rows drops the keys.
func Rows(krs []KeyedRow) []engines.Row {
	rows := make([]engines.Row, len(krs))
	for i, kr := range krs {
		rows[i] = kr.Row
	}
	return rows
}

// Range is the encoded key range [from, to) a scan covers; to is "" when
// the range is unbounded above.
func Range(s engines.ScanSpec) (from, to string) {
	from, to = s.Start.Encode(), s.End.Encode()
	if s.EndInclusivePrefix || len(s.End) == 0 {
		to = engines.PrefixEnd(to)
	}
	return from, to
}

// SingleShardValue reports the shard-key value a scan stays within, when
// both its bounds fix the same one: then one partition holds the whole
// range.
func SingleShardValue(tb *engines.Table, s engines.ScanSpec) (engines.Value, bool) {
	if len(s.Start) == 0 || len(s.End) == 0 {
		return engines.Value{}, false
	}
	a := tb.ShardValue(s.Start)
	return a, !a.IsNull() && a.Equal(tb.ShardValue(s.End))
}

// Overlay is a transaction's own writes over one scan: the rows it wrote in
// the range, and the keys whose committed versions those writes (deletes
// included) supersede.
type Overlay struct {
	own        []KeyedRow // in scan order
	superseded map[string]bool
	reverse    bool
	limit      int
}

// Overlay returns w's writes in [from, to) of tb (to "" = unbounded) for a
// scan in the given direction that returns at most limit rows (0: no
// limit). Lock-only entries supersede nothing.
func (w *WriteSet) Overlay(tb *engines.Table, from, to string, reverse bool, limit int) *Overlay {
	o := &Overlay{reverse: reverse, limit: limit}
	for e := range w.All() {
		if e.Table != tb || e.LockOnly || e.Enc < from || (to != "" && e.Enc >= to) {
			continue
		}
		if o.superseded == nil {
			o.superseded = map[string]bool{}
		}
		o.superseded[e.Enc] = true
		if !e.Deleted {
			o.own = append(o.own, KeyedRow{e.Enc, e.Version()})
		}
	}
	sortKeyed(o.own, reverse) // in scan order, whatever the write order
	return o
}

// Supersedes reports whether the committed version of enc is hidden by
// the transaction's own write.
func (o *Overlay) Supersedes(enc string) bool { return o.superseded[enc] }

// SourceLimit is how many committed rows a source that does not skip
// superseded keys must return so that, after the merge drops them, limit
// rows remain whenever there are that many (0: no limit).
func (o *Overlay) SourceLimit() int {
	if o.limit <= 0 {
		return 0
	}
	return o.limit + len(o.superseded)
}

// Merge returns the scan's result: the committed rows of sources (each in
// scan order; superseded keys are dropped) and the transaction's own rows,
// in scan order, at most limit of them.
func (o *Overlay) Merge(sources ...[]KeyedRow) []KeyedRow {
	lists := make([][]KeyedRow, 0, len(sources)+1)
	lists = append(lists, o.own)
	for _, src := range sources {
		if len(o.superseded) > 0 {
			kept := make([]KeyedRow, 0, len(src))
			for _, kr := range src {
				if !o.superseded[kr.Enc] {
					kept = append(kept, kr)
				}
			}
			src = kept
		}
		lists = append(lists, src)
	}
	return Merge(o.reverse, o.limit, lists...)
}

// Merge merges lists whose keys are disjoint, each in scan order (reverse:
// descending), into one in scan order, at most limit rows (0: no limit).
func Merge(reverse bool, limit int, lists ...[]KeyedRow) []KeyedRow {
	before := func(a, b string) bool { return a < b != reverse }
	var out []KeyedRow
	heads := make([]int, len(lists))
	for limit <= 0 || len(out) < limit {
		best := -1
		for i, l := range lists {
			if heads[i] < len(l) && (best < 0 || before(l[heads[i]].Enc, lists[best][heads[best]].Enc)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, lists[best][heads[best]])
		heads[best]++
	}
	return out
}

func sortKeyed(rows []KeyedRow, reverse bool) {
	slices.SortFunc(rows, func(x, y KeyedRow) int {
		if reverse {
			return strings.Compare(y.Enc, x.Enc)
		}
		return strings.Compare(x.Enc, y.Enc)
	})
}
