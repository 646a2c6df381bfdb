package isolation

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/history"
)

// Operations for hand-made histories.
func rl(k int64, l ...int64) history.Op {
	if l == nil {
		l = []int64{}
	}
	return history.Op{Kind: history.OpRead, Key: k, List: l}
}
func rv(k, v int64) history.Op { return history.Op{Kind: history.OpRead, Key: k, Value: v} }
func ap(k, v int64) history.Op { return history.Op{Kind: history.OpAppend, Key: k, Value: v} }
func wv(k, v int64) history.Op { return history.Op{Kind: history.OpWrite, Key: k, Value: v} }

// tx is a committed attempt running from ms inv to ms done.
func tx(inv, done int, ops ...history.Op) history.Txn {
	return history.Txn{Client: inv, Attempt: 1, Invoke: time.Duration(inv) * time.Millisecond,
		Complete: time.Duration(done) * time.Millisecond, Outcome: history.Committed, Ops: ops}
}

func aborted(t history.Txn) history.Txn {
	t.Outcome, t.Reason = history.Aborted, "conflict(OC000)"
	return t
}

func check(t *testing.T, m history.Model, realTime bool, txns ...history.Txn) *Report {
	t.Helper()
	r, err := Check(&history.History{Model: m, Txns: txns}, Options{RealTime: realTime})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// classes lists the classes found with their counts, e.g. "G2-item:1".
func classes(r *Report) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, string(f.Class)+":"+itoa(f.Count))
	}
	return strings.Join(s, " ")
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(time.Duration(n).String(), "ns", "", 1))
}

func want(t *testing.T, r *Report, classesWant string) {
	t.Helper()
	if got := classes(r); got != classesWant {
		var b strings.Builder
		r.Format(&b, StrictSerializable)
		t.Fatalf("found %q, want %q\n%s", got, classesWant, b.String())
	}
}

func TestHandMadeAppendHistories(t *testing.T) {
	for _, c := range []struct {
		name string
		rt   bool
		txns []history.Txn
		want string
	}{
		{"write skew", false, []history.Txn{
			tx(0, 10, rl(1), rl(2), ap(1, 11)),
			tx(1, 11, rl(1), rl(2), ap(2, 21)),
			tx(20, 30, rl(1, 11), rl(2, 21)),
		}, "G2-item:1"},
		{"lost update", false, []history.Txn{
			tx(0, 10, rl(1), ap(1, 11)),
			tx(1, 11, rl(1), ap(1, 12)),
			tx(20, 30, rl(1, 12)),
		}, "lost-update:1 G2-item:1"},
		{"read skew", false, []history.Txn{
			tx(0, 10, ap(1, 11), ap(2, 21)),
			tx(1, 12, rl(1), rl(2, 21)),
			tx(20, 30, rl(1, 11)),
		}, "G-single:1"},
		{"fractured read", false, []history.Txn{
			tx(0, 10, ap(1, 11), ap(2, 21)),
			tx(1, 12, rl(1, 11), rl(2)),
			tx(20, 30, rl(2, 21)),
		}, "G-single:1"},
		{"aborted read", false, []history.Txn{
			aborted(tx(0, 10, ap(1, 11))),
			tx(5, 12, rl(1, 11)),
		}, "G1a:1"},
		{"intermediate read", false, []history.Txn{
			tx(0, 10, ap(1, 11), ap(1, 12)),
			tx(5, 12, rl(1, 11)),
		}, "G1b:1"},
		{"circular information flow", false, []history.Txn{
			tx(0, 10, ap(1, 11), rl(2, 21)),
			tx(0, 10, ap(2, 21), rl(1, 11)),
		}, "G1c:1"},
		{"write cycle", false, []history.Txn{
			tx(0, 10, ap(1, 11), ap(2, 22)),
			tx(0, 10, ap(1, 12), ap(2, 21)),
			tx(20, 30, rl(1, 11, 12), rl(2, 21, 22)),
		}, "G0:1"},
		{"stale read, not checked", false, []history.Txn{
			tx(0, 10, ap(1, 11)),
			tx(20, 30, rl(1)),
			tx(40, 50, rl(1, 11)),
		}, ""},
		{"stale read", true, []history.Txn{
			tx(0, 10, ap(1, 11)),
			tx(20, 30, rl(1)),
			tx(40, 50, rl(1, 11)),
		}, "G-single-realtime:1"},
		{"garbage read", false, []history.Txn{
			tx(0, 10, rl(1, 99)),
		}, "garbage-read:1"},
		{"incompatible order", false, []history.Txn{
			tx(0, 10, ap(1, 11)),
			tx(0, 10, ap(1, 12)),
			tx(20, 30, rl(1, 11, 12)),
			tx(20, 30, rl(1, 12, 11)),
		}, "incompatible-order:2"},
	} {
		t.Run(c.name, func(t *testing.T) { want(t, check(t, history.Append, c.rt, c.txns...), c.want) })
	}
}

func TestHandMadeRegisterHistories(t *testing.T) {
	for _, c := range []struct {
		name string
		txns []history.Txn
		want string
	}{
		{"write skew", []history.Txn{
			tx(0, 10, rv(1, 0), rv(2, 0), wv(1, 11)),
			tx(1, 11, rv(1, 0), rv(2, 0), wv(2, 21)),
		}, "G2-item:1"},
		{"lost update", []history.Txn{
			tx(0, 10, rv(1, 0), wv(1, 11)),
			tx(1, 11, rv(1, 0), wv(1, 12)),
		}, "lost-update:1 G2-item:1"},
		{"read skew", []history.Txn{
			tx(0, 10, wv(1, 11), wv(2, 21)),
			tx(1, 12, rv(1, 0), rv(2, 21)),
		}, "G-single:1"},
		{"aborted read", []history.Txn{
			aborted(tx(0, 10, wv(1, 11))),
			tx(5, 12, rv(1, 11)),
		}, "G1a:1"},
		{"intermediate read", []history.Txn{
			tx(0, 10, wv(1, 11), wv(1, 12)),
			tx(5, 12, rv(1, 11)),
		}, "G1b:1"},
		{"circular information flow", []history.Txn{
			tx(0, 10, wv(1, 11), rv(2, 21)),
			tx(0, 10, wv(2, 21), rv(1, 11)),
		}, "G1c:1"},
		{"write cycle", []history.Txn{
			tx(0, 10, rv(1, 0), wv(1, 11), rv(2, 22), wv(2, 23)),
			tx(0, 10, rv(1, 11), wv(1, 12), rv(2, 0), wv(2, 22)),
		}, "G0:1 G1c:1"}, // the reads that reveal the order make a G1c too
	} {
		t.Run(c.name, func(t *testing.T) { want(t, check(t, history.Register, false, c.txns...), c.want) })
	}
}

// serial runs random transactions one after the other against a model
// database and records them: a serial history has no anomaly, real-time
// order included.
func serial(m history.Model, n, keys, ops int, seed uint64) *history.History {
	rng := rand.New(rand.NewPCG(seed, 1))
	lists := map[int64][]int64{}
	regs := map[int64]int64{}
	h := &history.History{Model: m}
	next := int64(1)
	for i := 0; i < n; i++ {
		var t history.Txn
		for range ops {
			k := rng.Int64N(int64(keys))
			read := rng.IntN(2) == 0
			switch {
			case read && m == history.Append:
				t.Ops = append(t.Ops, rl(k, lists[k]...))
			case read:
				t.Ops = append(t.Ops, rv(k, regs[k]))
			case m == history.Append:
				t.Ops = append(t.Ops, ap(k, next))
				lists[k] = append(lists[k][:len(lists[k]):len(lists[k])], next)
			default:
				t.Ops = append(t.Ops, wv(k, next))
				regs[k] = next
			}
			next++
		}
		t.Client, t.Attempt, t.Outcome = i%4, 1, history.Committed
		t.Invoke, t.Complete = time.Duration(2*i), time.Duration(2*i+1)
		h.Txns = append(h.Txns, t)
	}
	return h
}

func TestSerialHistoriesAreClean(t *testing.T) {
	for _, m := range []history.Model{history.Append, history.Register} {
		h := serial(m, 2000, 5, 4, 7)
		r, err := Check(h, Options{RealTime: true})
		if err != nil {
			t.Fatal(err)
		}
		want(t, r, "")
		if r.WR == 0 || r.RT == 0 || (m == history.Append && (r.WW == 0 || r.RW == 0)) {
			t.Fatalf("%s: too few edges to mean anything: %+v", m, r)
		}
	}
}

func TestEvidenceNamesTheEdges(t *testing.T) {
	r := check(t, history.Append, false,
		tx(0, 10, rl(1), rl(2), ap(1, 11)),
		tx(1, 11, rl(1), rl(2), ap(2, 21)),
		tx(20, 30, rl(1, 11), rl(2, 21)))
	var b strings.Builder
	r.Format(&b, SnapshotIsolation)
	out := b.String()
	for _, s := range []string{
		"G2-item (write skew): 1 found, allowed by snapshot-isolation; smallest, 2 transactions:",
		"T0 (client 0, attempt 1, committed, 0s–10ms): r(1)=[] r(2)=[] append(1, 11)",
		"T0 -rw-> T1: T0's r(2)=[] did not see T1's append(2, 21), which follows version initial",
		"T1 -rw-> T0: T1's r(1)=[] did not see T0's append(1, 11), which follows version initial",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
	if len(r.Beyond(SnapshotIsolation)) != 0 || len(r.Beyond(Serializable)) != 1 {
		t.Fatalf("write skew: beyond SI %v, beyond serializable %v", r.Beyond(SnapshotIsolation), r.Beyond(Serializable))
	}
}

func TestLevels(t *testing.T) {
	for _, c := range []struct {
		l         Level
		forbidden []Class
		allowed   []Class
	}{
		{ReadCommitted, []Class{G0, G1a, G1b, G1c}, []Class{GSingle, LostUpdate, G2Item, GSingleRealTime}},
		{SnapshotIsolation, []Class{G1c, GSingle, LostUpdate}, []Class{G2Item, GSingleRealTime}},
		{StrongSnapshotIsolation, []Class{GSingle, GSingleRealTime, G1cRealTime}, []Class{G2Item, G2ItemRealTime}},
		{Serializable, []Class{G2Item, GSingle}, []Class{G2ItemRealTime, G0RealTime}},
		{StrictSerializable, Classes, nil},
	} {
		for _, cl := range c.forbidden {
			if !c.l.Proscribes(cl) {
				t.Errorf("%s allows %s", c.l, cl)
			}
		}
		for _, cl := range c.allowed {
			if c.l.Proscribes(cl) {
				t.Errorf("%s forbids %s", c.l, cl)
			}
		}
	}
	if _, err := ParseLevel("repeatable-read"); err == nil || !strings.Contains(err.Error(), "snapshot-isolation") {
		t.Fatalf("ParseLevel: %v", err)
	}
}

func TestInvalidHistories(t *testing.T) {
	for _, txns := range [][]history.Txn{
		{tx(0, 1, ap(1, 5)), tx(2, 3, ap(1, 5))},
		{tx(0, 1, wv(1, 0))},
	} {
		if _, err := Check(&history.History{Model: history.Append, Txns: txns}, Options{}); err == nil {
			t.Errorf("%v: no error", txns)
		}
	}
}
