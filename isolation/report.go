package isolation

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/txbench/txbench/history"
)

// Report is what a check found.
type Report struct {
	Model                       history.Model
	Attempts                    int
	Committed, Aborted, Unknown int
	WW, WR, RW, RT              int // dependency edges (between distinct transactions)
	RealTime                    bool
	Truncated                   bool // the history was cut at its size limit
	Exhausted                   bool // the search budget ran out: counts of cycle classes are lower bounds
	Findings                    []*Finding
}

// Finding is one anomaly class found.
type Finding struct {
	Class Class
	// Count: for cycle classes, the dependency-graph components (strongly
	// connected components) in which a cycle of the class was found, which
	// is how Elle counts; for the others, the occurrences.
	Count int
	// Txns are the attempts (indexes into the history) of the smallest
	// evidence, and Evidence says what each did and how they depend on
	// each other, one line each.
	Txns     []int32
	Evidence []string
	cycle    []int32
	labels   []uint8
	detail   string
}

// note records one occurrence of a non-cycle class; the evidence kept is
// the one with the fewest transactions (the first among equals).
func (c *checker) note(cl Class, txns []int32, detail string) {
	f := c.found[cl]
	if f == nil {
		f = &Finding{Class: cl}
		c.found[cl] = f
	}
	f.Count++
	if f.Txns == nil || len(txns) < len(f.Txns) {
		f.Txns, f.detail = txns, detail
	}
}

// noteCycle records a cycle (nodes in order, labels[i] the edge from
// nodes[i] to the next, the last back to the first).
func (c *checker) noteCycle(cl Class, nodes []int32, labels []uint8, count bool) {
	f := c.found[cl]
	if f == nil {
		f = &Finding{Class: cl}
		c.found[cl] = f
	}
	if count {
		f.Count++
	}
	if f.Txns == nil || len(nodes) < len(f.Txns) {
		f.Txns, f.cycle, f.labels = append([]int32(nil), nodes...), append([]int32(nil), nodes...), labels
	}
}

func (c *checker) report() *Report {
	r := &Report{Model: c.h.Model, Attempts: len(c.h.Txns), RealTime: c.opts.RealTime, Truncated: c.h.Truncated, Exhausted: c.exhausted}
	for _, t := range c.h.Txns {
		switch t.Outcome {
		case history.Committed:
			r.Committed++
		case history.Aborted:
			r.Aborted++
		default:
			r.Unknown++
		}
	}
	for _, k := range c.g.kind {
		for _, x := range []struct {
			bit uint8
			n   *int
		}{{ww, &r.WW}, {wr, &r.WR}, {rw, &r.RW}, {rt, &r.RT}} {
			if k&x.bit != 0 {
				*x.n++
			}
		}
	}
	for _, cl := range Classes {
		f := c.found[cl]
		if f == nil {
			continue
		}
		f.Evidence = c.evidence(f)
		r.Findings = append(r.Findings, f)
	}
	return r
}

// evidence renders a finding for a person: each transaction with its
// operations, then each edge and the read or write behind it.
func (c *checker) evidence(f *Finding) []string {
	var lines []string
	for _, t := range f.Txns {
		lines = append(lines, c.describe(t))
	}
	if f.cycle == nil {
		return append(lines, f.detail)
	}
	for i, a := range f.cycle {
		b := f.cycle[(i+1)%len(f.cycle)]
		lines = append(lines, fmt.Sprintf("T%d -%s-> T%d: %s", a, kindName(f.labels[i]), b, c.explain(a, b, f.labels[i])))
	}
	return lines
}

// describe renders one attempt: T12 (client 3, attempt 1, committed,
// 1.204ms-2.551ms): r(3)=[1 5] append(4, 9).
func (c *checker) describe(i int32) string {
	t := &c.h.Txns[i]
	ops := make([]string, len(t.Ops))
	for j, o := range t.Ops {
		ops[j] = o.String()
	}
	out := t.Outcome.String()
	if t.Reason != "" {
		out += " " + t.Reason
	}
	return fmt.Sprintf("T%d (client %d, attempt %d, %s, %v–%v): %s", i, t.Client, t.Attempt, out,
		t.Invoke.Round(time.Microsecond), t.Complete.Round(time.Microsecond), strings.Join(ops, " "))
}

// explain says why there is an edge of the kind from a to b.
func (c *checker) explain(a, b int32, kind uint8) string {
	ta, tb := &c.h.Txns[a], &c.h.Txns[b]
	isWrite := func(o history.Op) bool { return o.Kind == history.OpWrite || o.Kind == history.OpAppend }
	switch kind {
	case ww:
		for _, o := range tb.Ops {
			if w := c.ref(o.Key, o.Value); isWrite(o) && w != nil && w.predKnown && c.writer(o.Key, w.pred) == a {
				return fmt.Sprintf("T%d's %s comes right after T%d's write of %d to key %d", b, o, a, w.pred, o.Key)
			}
		}
	case wr:
		for _, o := range tb.Ops {
			if o.Kind == history.OpRead && c.writer(o.Key, c.versionRead(o)) == a {
				return fmt.Sprintf("T%d's %s saw T%d's write of %d", b, o, a, c.versionRead(o))
			}
		}
	case rw:
		for _, o := range ta.Ops {
			if o.Kind != history.OpRead {
				continue
			}
			for _, q := range tb.Ops {
				if !isWrite(q) || q.Key != o.Key {
					continue
				}
				w := c.ref(q.Key, q.Value)
				v := c.versionRead(o)
				if w.predKnown && w.pred == v || v == 0 && c.h.Model == history.Register && !w.predKnown {
					return fmt.Sprintf("T%d's %s did not see T%d's %s, which follows version %s", a, o, b, q, version(v))
				}
			}
		}
	case rt:
		return fmt.Sprintf("T%d's commit returned at %v, before T%d began at %v", a, ta.Complete.Round(time.Microsecond), b, tb.Invoke.Round(time.Microsecond))
	}
	return "(inferred)"
}

// versionRead is the version a read returned.
func (c *checker) versionRead(o history.Op) int64 {
	if c.h.Model == history.Append {
		if len(o.List) == 0 {
			return 0
		}
		return o.List[len(o.List)-1]
	}
	return o.Value
}

// Beyond returns the findings the level forbids.
func (r *Report) Beyond(l Level) []*Finding {
	var out []*Finding
	for _, f := range r.Findings {
		if l.Proscribes(f.Class) {
			out = append(out, f)
		}
	}
	return out
}

// Format writes the report as bench check prints it, judged against the
// claimed level: every class found with its count and evidence, marked
// FORBIDDEN by the level or allowed.
func (r *Report) Format(w io.Writer, l Level) {
	fmt.Fprintf(w, "isolation (%s history: %d attempts, %d committed, %d aborted, %d unknown; edges ww %d, wr %d, rw %d",
		r.Model, r.Attempts, r.Committed, r.Aborted, r.Unknown, r.WW, r.WR, r.RW)
	if r.RealTime {
		fmt.Fprintf(w, ", rt %d", r.RT)
	}
	fmt.Fprintf(w, "), claimed level %s:\n", l)
	if r.Truncated {
		fmt.Fprintln(w, "  note: the history reached its size limit and was cut; reads of values whose writer is missing are not judged")
	}
	if r.Exhausted {
		fmt.Fprintln(w, "  note: the cycle search ran out of budget; counts of cycle classes are lower bounds")
	}
	if !r.RealTime {
		fmt.Fprintf(w, "  real-time order not checked (%s does not constrain it)\n", l)
	}
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, "  no anomalies found")
		return
	}
	for _, f := range r.Findings {
		verdict := "allowed by " + string(l)
		if l.Proscribes(f.Class) {
			verdict = "FORBIDDEN by " + string(l)
		}
		fmt.Fprintf(w, "  %s (%s): %d found, %s; smallest, %d transactions:\n", f.Class, f.Class.Describe(), f.Count, verdict, len(f.Txns))
		for _, line := range f.Evidence {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
}
