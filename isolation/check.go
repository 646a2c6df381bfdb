package isolation

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/txbench/txbench/history"
)

// Options tune a check.
type Options struct {
	// RealTime adds rt edges (T1 → T2 when T1's commit returned before T2
	// began) and looks for the real-time classes.
	RealTime bool
	// Starts bounds the cycle searches per component and class (each search
	// is a breadth-first search through one edge of the class). 0 means 64.
	Starts int
	// Budget bounds the nodes all searches together may visit. 0 means
	// 200 million.
	Budget int64
}

// wkey names one version: a value of a key.
type wkey struct{ k, v int64 }

// wref is what the checker knows about one written value.
type wref struct {
	k, v int64
	txn  int32
	// next is the value the same attempt wrote to the key after this one
	// (0: none): a read that sees this value but not next is intermediate.
	next int64
	// pred is the version this one directly follows, when known
	// (predKnown); 0 is the initial version.
	pred      int64
	predKnown bool
	// extra marks a value written twice (an invalid history).
	extra bool
}

// read is one external read of a committed transaction: the first read(s)
// of a key before the transaction itself wrote it.
type read struct {
	txn int32
	op  int32 // index into the transaction's ops
	k   int64
	v   int64 // the version read (the list's last element; 0: initial)
	// writes: the transaction later wrote this key (a read-modify-write).
	writes bool
}

// checker is the state of one check.
type checker struct {
	h         *history.History
	opts      Options
	writes    map[wkey]int32 // → refs
	refs      []wref
	reads     []read
	live      []bool // committed, or unknown but seen by a read (so committed)
	found     map[Class]*Finding
	edges     []edge
	g         *graph
	succ      []wkey // (k, pred) → version, sorted: the known successors of each version
	succVal   []int64
	exhausted bool
}

// Check finds the anomalies in h. An invalid history (a value written
// twice, a write of the initial value 0) is an error.
func Check(h *history.History, opts Options) (*Report, error) {
	if opts.Starts <= 0 {
		opts.Starts = 64
	}
	if opts.Budget <= 0 {
		opts.Budget = 200_000_000
	}
	if len(h.Txns) >= 1<<31-1 {
		return nil, fmt.Errorf("history: %d attempts is more than the checker handles", len(h.Txns))
	}
	c := &checker{h: h, opts: opts, live: make([]bool, len(h.Txns)), found: map[Class]*Finding{}}
	if err := c.indexWrites(); err != nil {
		return nil, err
	}
	c.collectReads()
	c.inferOrder()
	c.dependencies()
	if opts.RealTime {
		c.realTime()
	}
	c.g = build(len(h.Txns), c.edges)
	c.edges = nil
	c.cycles()
	return c.report(), nil
}

// indexWrites records every written value with its writer.
func (c *checker) indexWrites() error {
	n := 0
	for i := range c.h.Txns {
		for _, o := range c.h.Txns[i].Ops {
			if o.Kind == history.OpWrite || o.Kind == history.OpAppend {
				n++
			}
		}
	}
	c.writes = make(map[wkey]int32, n)
	c.refs = make([]wref, 0, n)
	for i := range c.h.Txns {
		t := &c.h.Txns[i]
		if t.Outcome == history.Committed {
			c.live[i] = true
		}
		for j, o := range t.Ops {
			if o.Kind != history.OpWrite && o.Kind != history.OpAppend {
				continue
			}
			if o.Value == 0 {
				return fmt.Errorf("history: attempt %d op %d writes 0, the initial value", i, j)
			}
			k := wkey{o.Key, o.Value}
			if w, dup := c.writes[k]; dup {
				return fmt.Errorf("history: value %d written to key %d twice (attempts %d and %d); values must be unique", o.Value, o.Key, c.refs[w].txn, i)
			}
			c.writes[k] = int32(len(c.refs))
			c.refs = append(c.refs, wref{k: o.Key, v: o.Value, txn: int32(i)})
			w := &c.refs[len(c.refs)-1]
			// Within one attempt, a later write to a key follows the
			// earlier one.
			for p := j - 1; p >= 0; p-- {
				if q := t.Ops[p]; q.Key == o.Key && (q.Kind == history.OpWrite || q.Kind == history.OpAppend) {
					c.ref(q.Key, q.Value).next = o.Value
					w.pred, w.predKnown = q.Value, true
					break
				}
			}
		}
	}
	return nil
}

// ref returns what is known about value v of key k, or nil if no attempt
// wrote it.
func (c *checker) ref(k, v int64) *wref {
	i, ok := c.writes[wkey{k, v}]
	if !ok {
		return nil
	}
	return &c.refs[i]
}

// collectReads finds each committed transaction's external reads and the
// direct anomalies they show: garbage, aborted and intermediate reads, and
// (lists) the order of versions.
func (c *checker) collectReads() {
	for i := range c.h.Txns {
		t := &c.h.Txns[i]
		if t.Outcome != history.Committed {
			continue
		}
		start := len(c.reads)
		for j, o := range t.Ops {
			if o.Kind != history.OpRead || c.wroteBefore(t, j, o.Key) {
				continue
			}
			r := read{txn: int32(i), op: int32(j), k: o.Key, v: o.Value}
			if c.h.Model == history.Append {
				r.v = 0
				if len(o.List) > 0 {
					r.v = o.List[len(o.List)-1]
				}
				c.checkList(int32(i), j, o)
			} else if o.Value != 0 {
				c.checkValue(int32(i), j, o.Key, o.Value, 0, false)
			}
			c.reads = append(c.reads, r)
		}
		for ri := start; ri < len(c.reads); ri++ {
			r := &c.reads[ri]
			for j := int(r.op) + 1; j < len(t.Ops); j++ {
				if o := t.Ops[j]; o.Key == r.k && (o.Kind == history.OpWrite || o.Kind == history.OpAppend) {
					r.writes = true
					break
				}
			}
		}
	}
}

// wroteBefore reports whether t wrote k before its op j.
func (c *checker) wroteBefore(t *history.Txn, j int, k int64) bool {
	for _, o := range t.Ops[:j] {
		if o.Key == k && (o.Kind == history.OpWrite || o.Kind == history.OpAppend) {
			return true
		}
	}
	return false
}

// checkValue looks at one value v of key k that committed transaction i
// read (for lists: the element at some position, followed in the list by
// after, if hasAfter). It returns the writer, or nil for garbage.
func (c *checker) checkValue(i int32, op int, k, v, after int64, hasAfter bool) *wref {
	w := c.ref(k, v)
	if w == nil {
		if !c.h.Truncated {
			c.note(GarbageRead, []int32{i}, fmt.Sprintf("T%d's %s: no attempt wrote %d to key %d", i, c.h.Txns[i].Ops[op], v, k))
		}
		return nil
	}
	if w.txn == i {
		return w
	}
	switch c.h.Txns[w.txn].Outcome {
	case history.Aborted:
		c.note(G1a, []int32{w.txn, i}, fmt.Sprintf("T%d's %s saw %d, written by T%d, which aborted (%s)",
			i, c.h.Txns[i].Ops[op], v, w.txn, c.h.Txns[w.txn].Reason))
	case history.Unknown:
		c.live[w.txn] = true // its write was seen: it committed
	}
	if w.next != 0 && (!hasAfter || after != w.next) {
		c.note(G1b, []int32{w.txn, i}, fmt.Sprintf("T%d's %s saw %d, which T%d overwrote with %d before it finished",
			i, c.h.Txns[i].Ops[op], v, w.txn, w.next))
	}
	return w
}

// checkList checks every element of a list read and learns each element's
// predecessor.
func (c *checker) checkList(i int32, op int, o history.Op) {
	l := o.List
	for p, e := range l {
		after, hasAfter := int64(0), p+1 < len(l)
		if hasAfter {
			after = l[p+1]
		}
		w := c.checkValue(i, op, o.Key, e, after, hasAfter)
		if w == nil {
			continue
		}
		pred := int64(0)
		if p > 0 {
			pred = l[p-1]
		}
		if w.predKnown && w.pred != pred || slices.Contains(l[:p], e) {
			if !w.extra {
				w.extra = true
				c.note(IncompatibleOrder, []int32{i}, fmt.Sprintf("T%d's %s puts %d after %d; another read put it after %d",
					i, c.h.Txns[i].Ops[op], e, pred, w.pred))
			}
			continue
		}
		w.pred, w.predKnown = pred, true
	}
}

// inferOrder completes the version order: a committed read-modify-write
// orders the value read before the value written, unless a read of a list
// already showed where the written value is. It then indexes the
// successors of every version.
func (c *checker) inferOrder() {
	for _, r := range c.reads {
		if !r.writes {
			continue
		}
		t := &c.h.Txns[r.txn]
		for _, o := range t.Ops[r.op+1:] {
			if (o.Kind == history.OpWrite || o.Kind == history.OpAppend) && o.Key == r.k {
				if w := c.ref(o.Key, o.Value); !w.predKnown {
					w.pred, w.predKnown = r.v, true
				}
				break
			}
		}
	}
	type s struct {
		k, pred, v int64
	}
	var succ []s
	for i := range c.refs {
		if w := &c.refs[i]; w.predKnown && !w.extra && c.h.Txns[w.txn].Outcome != history.Aborted {
			succ = append(succ, s{w.k, w.pred, w.v})
		}
	}
	slices.SortFunc(succ, func(a, b s) int {
		if x := cmp.Compare(a.k, b.k); x != 0 {
			return x
		}
		if x := cmp.Compare(a.pred, b.pred); x != 0 {
			return x
		}
		return cmp.Compare(a.v, b.v)
	})
	c.succ = make([]wkey, len(succ))
	c.succVal = make([]int64, len(succ))
	for i, x := range succ {
		c.succ[i] = wkey{x.k, x.pred}
		c.succVal[i] = x.v
	}
}

// successors returns the versions known to directly follow version v of k.
func (c *checker) successors(k, v int64) []int64 {
	less := func(a, b wkey) int {
		if x := cmp.Compare(a.k, b.k); x != 0 {
			return x
		}
		return cmp.Compare(a.v, b.v)
	}
	lo, _ := slices.BinarySearchFunc(c.succ, wkey{k, v}, less)
	hi := lo
	for hi < len(c.succ) && c.succ[hi] == (wkey{k, v}) {
		hi++
	}
	return c.succVal[lo:hi]
}

// writer returns the live writer of version v of k, or -1 (the initial
// version, garbage, or an aborted or unseen attempt's write).
func (c *checker) writer(k, v int64) int32 {
	if v == 0 {
		return -1
	}
	w := c.ref(k, v)
	if w == nil || !c.live[w.txn] {
		return -1
	}
	return w.txn
}

// dependencies adds the ww, wr and rw edges and finds lost updates.
func (c *checker) dependencies() {
	add := func(a, b int32, kind uint8) {
		if a >= 0 && b >= 0 && a != b {
			c.edges = append(c.edges, edge{a, b, kind})
		}
	}
	// ww: each version after its predecessor.
	for i := range c.refs {
		if w := &c.refs[i]; w.predKnown && !w.extra && c.live[w.txn] {
			add(c.writer(w.k, w.pred), w.txn, ww)
		}
	}
	var initial map[int64][]int32 // register: per key, live writers in invocation order
	if c.h.Model == history.Register {
		initial = c.registerFirstWriters()
	}
	// Per version read by a read-modify-write: the first such reader, or
	// -1 once a lost update was noted there.
	lost := map[wkey]int32{}
	for _, r := range c.reads {
		add(c.writer(r.k, r.v), r.txn, wr)
		for _, s := range c.successors(r.k, r.v) {
			// A value its own writer overwrote is no version of the
			// committed history (G1b says so); its successor is not
			// an anti-dependency.
			if w := c.writer(r.k, s); w != c.writer(r.k, r.v) {
				add(r.txn, w, rw)
			}
		}
		if r.v == 0 && initial != nil {
			// A register's first writes are rarely ordered by any read:
			// every write follows the initial version, so a reader of it
			// precedes every writer that could have been before it. Writers
			// that began after the read returned are left out (they would
			// only add real-time order, and their number is unbounded).
			end := c.h.Txns[r.txn].Complete
			for _, w := range initial[r.k] {
				if c.h.Txns[w].Invoke >= end {
					break
				}
				add(r.txn, w, rw)
			}
		}
		if r.writes {
			first, seen := lost[wkey{r.k, r.v}]
			switch {
			case !seen:
				lost[wkey{r.k, r.v}] = r.txn
			case first >= 0 && first != r.txn:
				lost[wkey{r.k, r.v}] = -1
				t1, t2 := &c.h.Txns[first], &c.h.Txns[r.txn]
				c.note(LostUpdate, []int32{first, r.txn}, fmt.Sprintf("T%d and T%d both read key %d at version %s and both wrote it: %s; %s",
					first, r.txn, r.k, version(r.v), opsOn(t1, r.k), opsOn(t2, r.k)))
			}
		}
	}
	c.reads = nil
}

// registerFirstWriters lists, per key, the live writers of values whose
// predecessor is unknown or initial, by invocation time.
func (c *checker) registerFirstWriters() map[int64][]int32 {
	m := map[int64][]int32{}
	for i := range c.refs {
		if w := &c.refs[i]; c.live[w.txn] && !w.extra && (!w.predKnown || w.pred == 0) {
			m[w.k] = append(m[w.k], w.txn)
		}
	}
	for k, ws := range m {
		slices.SortFunc(ws, func(a, b int32) int {
			if x := cmp.Compare(c.h.Txns[a].Invoke, c.h.Txns[b].Invoke); x != 0 {
				return x
			}
			return cmp.Compare(a, b)
		})
		m[k] = slices.Compact(ws)
	}
	return m
}

// realTime adds rt edges: T1 → T2 when T1 committed and its commit
// returned before T2 began. Only a transitive reduction is kept (Elle's
// frontier): when T2 begins, it follows every completed transaction not
// already followed by another completed one; that set is at most the
// number of concurrent clients.
func (c *checker) realTime() {
	type event struct {
		at     time.Duration
		invoke bool
		txn    int32
	}
	var ev []event
	for i := range c.h.Txns {
		t := &c.h.Txns[i]
		if !c.live[i] {
			continue
		}
		ev = append(ev, event{t.Invoke, true, int32(i)})
		if t.Outcome == history.Committed {
			ev = append(ev, event{t.Complete, false, int32(i)})
		}
	}
	// At equal times a begin comes first: "returned before began" is strict.
	slices.SortFunc(ev, func(a, b event) int {
		if x := cmp.Compare(a.at, b.at); x != 0 {
			return x
		}
		if a.invoke != b.invoke {
			if a.invoke {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.txn, b.txn)
	})
	var frontier []int32
	preds := map[int32][]int32{} // for transactions in flight: the frontier when they began
	for _, e := range ev {
		if e.invoke {
			for _, f := range frontier {
				c.edges = append(c.edges, edge{f, e.txn, rt})
			}
			if len(frontier) > 0 {
				preds[e.txn] = slices.Clone(frontier)
			}
			continue
		}
		p := preds[e.txn]
		delete(preds, e.txn)
		frontier = slices.DeleteFunc(frontier, func(f int32) bool { return slices.Contains(p, f) })
		frontier = append(frontier, e.txn)
	}
}

// version renders a version for evidence.
func version(v int64) string {
	if v == 0 {
		return "initial"
	}
	return fmt.Sprint(v)
}

// opsOn renders t's operations on key k.
func opsOn(t *history.Txn, k int64) string {
	s := ""
	for _, o := range t.Ops {
		if o.Key == k {
			if s != "" {
				s += " "
			}
			s += o.String()
		}
	}
	return s
}
