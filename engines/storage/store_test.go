package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

type install struct {
	table   int
	key     string
	ts      Timestamp
	v       string
	deleted bool
}

func apply(s *Store[string], ins []install) {
	for _, in := range ins {
		s.Install(in.table, in.key, in.ts, in.v, in.deleted)
	}
}

type read struct {
	key   string
	ts    Timestamp
	want  string
	found bool
}

func checkReads(t *testing.T, s *Store[string], table int, reads []read) {
	t.Helper()
	for _, r := range reads {
		got, ok := s.Get(table, r.key, r.ts)
		if ok != r.found || got != r.want {
			t.Errorf("Get(%d, %q, %d) = %q, %v; want %q, %v", table, r.key, r.ts, got, ok, r.want, r.found)
		}
	}
}

// scanKeys visits a table's keys in order without building its tree: a
// treeless table's loose refs are visited sorted, in a copy, and must be in
// order already where the table says so.
func scanKeys[V any](t *testing.T, s *Store[V], ti int, fn func(r ref) bool) {
	t.Helper()
	tab := &s.tables[ti]
	if !tab.treeless {
		tab.tree.Scan(func(it item) bool { return fn(it.r) })
		return
	}
	if n := tab.tree.Len(); n != 0 {
		t.Errorf("treeless table %d has %d keys in its tree", ti, n)
	}
	refs := slices.Clone(tab.loose)
	byKey := func(a, b ref) int { return strings.Compare(s.at(a).key, s.at(b).key) }
	if tab.looseSorted && !slices.IsSortedFunc(refs, byKey) {
		t.Errorf("table %d: loose refs said to be in key order are not", ti)
	}
	slices.SortFunc(refs, byKey)
	for _, r := range refs {
		if !fn(r) {
			return
		}
	}
}

// checkInvariants verifies the internal layout: chains strictly newest
// first, no needless history, and counters matching the trees.
func checkInvariants[V any](t *testing.T, s *Store[V]) {
	t.Helper()
	keys, vers := 0, 0
	for ti := range s.tables {
		ix := s.indexed(ti) // built here if a bulk load left it out
		prev := ""
		first := true
		scanKeys(t, s, ti, func(r ref) bool {
			e := s.at(r)
			if got := ix.get(s, e.key); got != r {
				t.Errorf("table %d key %q: hash index has entry %d, tree %d", ti, e.key, got, r)
			}
			if !first && e.key <= prev {
				t.Errorf("table %d: keys out of order: %q after %q", ti, e.key, prev)
			}
			first, prev = false, e.key
			keys++
			vers += e.versions()
			if m := e.more; m != nil {
				if !m.deleted && len(m.older) == 0 {
					t.Errorf("table %d key %q: empty history kept", ti, e.key)
				}
				last := e.ts
				for _, o := range m.older {
					if o.ts >= last {
						t.Errorf("table %d key %q: chain not strictly descending: %d after %d", ti, e.key, o.ts, last)
					}
					last = o.ts
				}
			}
			return true
		})
		if held := s.tables[ti].tree.Len() + len(s.tables[ti].loose); ix.n != held {
			t.Errorf("table %d: hash index holds %d keys, tree and loose refs %d", ti, ix.n, held)
		}
	}
	if st := s.Stats(); st.Keys != keys || st.Versions != vers {
		t.Errorf("Stats() = %+v; trees hold Keys:%d Versions:%d", st, keys, vers)
	}
	checkListed(t, s)
}

// checkListed verifies the Collect list: every key with a history is in it
// exactly once with that history, except a buried tombstone of an implicit
// row (nothing to trim, ever); every other item is stale.
func checkListed[V any](t *testing.T, s *Store[V]) {
	t.Helper()
	type item struct {
		table int
		r     ref
	}
	live := map[item]int{}
	for _, it := range s.multi[s.multiNext:] {
		if s.at(it.r).more == it.h {
			live[item{int(it.table), it.r}]++
		}
	}
	for ti := range s.tables {
		scanKeys(t, s, ti, func(r ref) bool {
			e := s.at(r)
			n := live[item{ti, r}]
			delete(live, item{ti, r})
			switch m := e.more; {
			case m == nil:
			case !m.listed:
				im := s.tables[ti].implicit
				if !m.deleted || len(m.older) > 0 || e.ts > s.horizon || im == nil {
					t.Errorf("table %d key %q: history not listed for Collect", ti, e.key)
				} else if _, row := im.row(e.key); !row {
					t.Errorf("table %d key %q: history not listed for Collect", ti, e.key)
				}
			case n != 1:
				t.Errorf("table %d key %q: listed %d times", ti, e.key, n)
			}
			return true
		})
	}
	for it, n := range live {
		t.Errorf("Collect list: %d live items for table %d entry %d, which no tree holds", n, it.table, it.r)
	}
}

func TestGetAsOf(t *testing.T) {
	tests := []struct {
		name  string
		ins   []install
		reads []read
	}{
		{
			name: "in order",
			ins:  []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}, {0, "k", 30, "c", false}},
			reads: []read{
				{"k", 0, "", false}, {"k", 9, "", false}, {"k", 10, "a", true}, {"k", 19, "a", true},
				{"k", 20, "b", true}, {"k", 29, "b", true}, {"k", 30, "c", true}, {"k", 1 << 60, "c", true},
				{"other", 30, "", false},
			},
		},
		{
			name: "out of order",
			ins:  []install{{0, "k", 30, "c", false}, {0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			reads: []read{
				{"k", 5, "", false}, {"k", 10, "a", true}, {"k", 25, "b", true}, {"k", 30, "c", true},
			},
		},
		{
			name: "older than all, inserted last",
			ins:  []install{{0, "k", 20, "b", false}, {0, "k", 30, "c", false}, {0, "k", 5, "z", false}},
			reads: []read{
				{"k", 4, "", false}, {"k", 5, "z", true}, {"k", 19, "z", true}, {"k", 20, "b", true},
			},
		},
		{
			name: "same ts replaces",
			ins: []install{
				{0, "k", 10, "a", false}, {0, "k", 20, "b", false}, {0, "k", 30, "c", false},
				{0, "k", 20, "B", false}, {0, "k", 30, "C", false}, {0, "k", 10, "A", false},
			},
			reads: []read{{"k", 10, "A", true}, {"k", 20, "B", true}, {"k", 30, "C", true}},
		},
		{
			name: "tombstone in the middle",
			ins:  []install{{0, "k", 10, "a", false}, {0, "k", 20, "", true}, {0, "k", 30, "c", false}},
			reads: []read{
				{"k", 10, "a", true}, {"k", 19, "a", true}, {"k", 20, "", false}, {"k", 29, "", false}, {"k", 30, "c", true},
			},
		},
		{
			name:  "tombstone newest",
			ins:   []install{{0, "k", 10, "a", false}, {0, "k", 20, "", true}},
			reads: []read{{"k", 15, "a", true}, {"k", 20, "", false}, {"k", 100, "", false}},
		},
		{
			name:  "tombstone only",
			ins:   []install{{0, "k", 20, "", true}},
			reads: []read{{"k", 10, "", false}, {"k", 20, "", false}},
		},
		{
			name: "tombstone replaced by live at same ts and back",
			ins: []install{
				{0, "k", 10, "a", false}, {0, "k", 20, "", true}, {0, "k", 20, "b", false},
				{0, "j", 10, "x", false}, {0, "j", 10, "", true},
			},
			reads: []read{{"k", 20, "b", true}, {"k", 15, "a", true}, {"j", 10, "", false}},
		},
		{
			name: "out of order tombstone",
			ins:  []install{{0, "k", 10, "a", false}, {0, "k", 30, "c", false}, {0, "k", 20, "", true}},
			reads: []read{
				{"k", 10, "a", true}, {"k", 20, "", false}, {"k", 30, "c", true},
			},
		},
		{
			name: "tables are independent",
			ins:  []install{{0, "k", 10, "t0", false}, {1, "k", 20, "t1", false}},
			reads: []read{
				{"k", 15, "t0", true}, {"k", 25, "t0", true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New[string](2)
			apply(s, tc.ins)
			checkReads(t, s, 0, tc.reads)
			checkInvariants(t, s)
		})
	}
}

func TestLatest(t *testing.T) {
	s := New[string](1)
	if _, _, _, exists := s.Latest(0, "k"); exists {
		t.Fatal("Latest on empty store: exists")
	}
	s.Install(0, "k", 30, "c", false)
	s.Install(0, "k", 10, "a", false)
	if v, ts, live, exists := s.Latest(0, "k"); v != "c" || ts != 30 || !live || !exists {
		t.Fatalf("Latest = %q %d %v %v; want c 30 true true", v, ts, live, exists)
	}
	s.Install(0, "k", 40, "", true)
	if _, ts, live, exists := s.Latest(0, "k"); ts != 40 || live || !exists {
		t.Fatalf("Latest after delete = %d %v %v; want 40 false true", ts, live, exists)
	}
	s.Install(0, "k", 35, "late", false) // older than the tombstone: Latest unchanged
	if _, ts, live, _ := s.Latest(0, "k"); ts != 40 || live {
		t.Fatalf("Latest after late install = %d %v; want 40 false", ts, live)
	}
	if v, ok := s.Get(0, "k", 37); !ok || v != "late" {
		t.Fatalf("Get(37) = %q %v; want late true", v, ok)
	}
}

func TestLoad(t *testing.T) {
	s := New[string](2)
	if s.Tables() != 2 {
		t.Fatalf("Tables() = %d", s.Tables())
	}
	for i := range 1000 {
		s.Load(0, fmt.Sprintf("k%04d", i), 1, fmt.Sprint(i))
	}
	// Unsorted and duplicate loads still work (just without the fast path).
	s.Load(1, "b", 1, "b")
	s.Load(1, "a", 1, "a")
	s.Install(1, "a", 5, "a5", false)
	s.Load(1, "a", 2, "A") // replaces the whole history
	if st := s.Stats(); st.Keys != 1002 || st.Versions != 1002 {
		t.Fatalf("Stats = %+v; want 1002 keys, 1002 versions", st)
	}
	for i := range 1000 {
		if v, ok := s.Get(0, fmt.Sprintf("k%04d", i), 1); !ok || v != fmt.Sprint(i) {
			t.Fatalf("k%04d = %q %v", i, v, ok)
		}
	}
	if v, ok := s.Get(1, "a", 10); !ok || v != "A" {
		t.Fatalf("a = %q %v; want A", v, ok)
	}
	if _, ok := s.Get(0, "k0001", 0); ok {
		t.Fatal("loaded row visible before its ts")
	}
	checkInvariants(t, s)
}

// A bulk load into an empty table leaves its hash index to the first read
// by key; loads into an indexed table, and loads after the table emptied,
// keep every key findable.
func TestLoadThenIndex(t *testing.T) {
	s := New[string](1)
	for i := range 300 {
		s.Load(0, fmt.Sprintf("k%04d", i), 1, "a")
	}
	if !s.tables[0].unindexed || s.tables[0].index.n != 0 {
		t.Fatal("a bulk load into an empty table built the hash index key by key")
	}
	if v, ok := s.Get(0, "k0299", 1); !ok || v != "a" {
		t.Fatalf("k0299 = %q %v", v, ok)
	}
	for i := 300; i < 600; i++ { // indexed now: kept up to date
		s.Load(0, fmt.Sprintf("k%04d", i), 1, "b")
	}
	s.Load(0, "k0000", 1, "c") // replaces a key the index holds
	checkInvariants(t, s)
	for i := range 600 {
		s.Install(0, fmt.Sprintf("k%04d", i), 2, "", true)
	}
	s.SetHorizon(3)
	s.Collect(1000)
	if st := s.Stats(); st.Keys != 0 {
		t.Fatalf("Stats = %+v after deleting every key", st)
	}
	s.Load(0, "k0007", 4, "d") // empty again: left out of the index
	s.Load(0, "k0008", 4, "e")
	if v, ok := s.Get(0, "k0008", 4); !ok || v != "e" {
		t.Fatalf("k0008 = %q %v", v, ok)
	}
	checkInvariants(t, s)
}

// A table's tree is built only when something needs the keys' order:
// loads (in any order, a key twice), reads and installs by key leave it
// treeless; a scan builds it, with every key, once, in order.
func TestTreelessUntilOrdered(t *testing.T) {
	s := New[string](2)
	for _, i := range []int{5, 3, 9, 1, 7, 3} { // 3 twice: the later load wins
		s.Load(0, fmt.Sprintf("k%d", i), 1, fmt.Sprintf("v%d%d", i, len(s.tables[0].loose)))
	}
	for i := range 4 { // in order
		s.Load(1, fmt.Sprintf("k%d", i), 1, "x")
	}
	if tab := s.tables[1]; !tab.treeless || !tab.looseSorted {
		t.Fatalf("table 1 loaded in key order: treeless %v, in order %v", tab.treeless, tab.looseSorted)
	}
	if v, ok := s.Get(0, "k3", 1); !ok || v != "v35" {
		t.Fatalf("k3 = %q %v; want the later load's v35", v, ok)
	}
	s.Install(0, "k2", 5, "new", false)   // a new key
	s.Install(0, "k9", 5, "again", false) // an existing one
	if st := s.Stats(); st.Keys != 10 || st.Versions != 11 {
		t.Fatalf("Stats = %+v; want 10 keys (6 + 4), 11 versions", st)
	}
	if tab := s.tables[0]; !tab.treeless || tab.looseSorted || len(tab.loose) != 6 {
		t.Fatalf("after reads and installs by key: treeless %v, in order %v, %d loose refs; want true, false, 6",
			tab.treeless, tab.looseSorted, len(tab.loose))
	}
	checkInvariants(t, s)
	var got []string
	s.Scan(0, "", "", 10, 0, false, func(k, v string) bool {
		got = append(got, k+"="+v)
		return true
	})
	want := []string{"k1=v13", "k2=new", "k3=v35", "k5=v50", "k7=v74", "k9=again"}
	if !slices.Equal(got, want) {
		t.Fatalf("scan = %v; want %v", got, want)
	}
	if tab := s.tables[0]; tab.treeless || tab.loose != nil || tab.tree.Len() != 6 {
		t.Fatalf("after a scan: treeless %v, %d loose refs, %d keys in the tree", tab.treeless, len(tab.loose), tab.tree.Len())
	}
	// Removing a key needs the tree too.
	s.Install(1, "k2", 5, "", true)
	s.SetHorizon(6)
	s.Collect(100)
	if tab := s.tables[1]; tab.treeless || tab.tree.Len() != 3 {
		t.Fatalf("after a key's removal: treeless %v, %d keys in the tree; want false, 3", tab.treeless, tab.tree.Len())
	}
	checkInvariants(t, s)
}

// scanData: keys a..h in table 0.
//
//	a: 10 "a1"
//	b: 10 "b1", 20 tombstone
//	c: 30 "c3"             (invisible before 30)
//	d: 10 "d1", 20 "d2"
//	e: 20 tombstone         (never visible)
//	f: 10 "f1", 20 tombstone, 30 "f3"
//	g: 10 "g1"
//	h: 5 "h0"
func scanData() *Store[string] {
	s := New[string](1)
	apply(s, []install{
		{0, "a", 10, "a1", false},
		{0, "b", 10, "b1", false}, {0, "b", 20, "", true},
		{0, "c", 30, "c3", false},
		{0, "d", 20, "d2", false}, {0, "d", 10, "d1", false},
		{0, "e", 20, "", true},
		{0, "f", 30, "f3", false}, {0, "f", 10, "f1", false}, {0, "f", 20, "", true},
		{0, "g", 10, "g1", false},
		{0, "h", 5, "h0", false},
	})
	return s
}

func TestScan(t *testing.T) {
	s := scanData()
	tests := []struct {
		name     string
		from, to string
		ts       Timestamp
		limit    int
		reverse  bool
		stopAt   string // fn returns false after this key
		want     string
	}{
		{name: "all at 10", ts: 10, want: "a=a1 b=b1 d=d1 f=f1 g=g1 h=h0"},
		{name: "all at 20", ts: 20, want: "a=a1 d=d2 g=g1 h=h0"},
		{name: "all at 30", ts: 30, want: "a=a1 c=c3 d=d2 f=f3 g=g1 h=h0"},
		{name: "all at 5", ts: 5, want: "h=h0"},
		{name: "all at 0", ts: 0, want: ""},
		{name: "reverse all at 30", ts: 30, reverse: true, want: "h=h0 g=g1 f=f3 d=d2 c=c3 a=a1"},
		{name: "bounded", from: "b", to: "g", ts: 30, want: "c=c3 d=d2 f=f3"},
		{name: "bounded reverse", from: "b", to: "g", ts: 30, reverse: true, want: "f=f3 d=d2 c=c3"},
		{name: "from only", from: "d", ts: 10, want: "d=d1 f=f1 g=g1 h=h0"},
		{name: "to only", to: "d", ts: 10, want: "a=a1 b=b1"},
		{name: "to only reverse", to: "d", ts: 10, reverse: true, want: "b=b1 a=a1"},
		{name: "from only reverse", from: "d", ts: 10, reverse: true, want: "h=h0 g=g1 f=f1 d=d1"},
		{name: "bounds between keys", from: "bb", to: "dd", ts: 30, want: "c=c3 d=d2"},
		{name: "bounds between keys reverse", from: "bb", to: "dd", ts: 30, reverse: true, want: "d=d2 c=c3"},
		{name: "to past the end reverse", from: "g", to: "zz", ts: 30, reverse: true, want: "h=h0 g=g1"},
		{name: "from before the start", from: "0", to: "b", ts: 30, want: "a=a1"},
		{name: "limit skips invisible", ts: 20, limit: 3, want: "a=a1 d=d2 g=g1"},
		{name: "limit reverse", ts: 30, limit: 2, reverse: true, want: "h=h0 g=g1"},
		{name: "limit larger than rows", ts: 5, limit: 10, want: "h=h0"},
		{name: "fn stops", ts: 30, stopAt: "c", want: "a=a1 c=c3"},
		{name: "fn stops reverse", ts: 30, reverse: true, stopAt: "f", want: "h=h0 g=g1 f=f3"},
		{name: "empty range", from: "d", to: "d", ts: 30, want: ""},
		{name: "inverted range", from: "e", to: "b", ts: 30, want: ""},
		{name: "single key range", from: "d", to: "d\x00", ts: 30, want: "d=d2"},
		{name: "single key range reverse", from: "d", to: "d\x00", ts: 30, reverse: true, want: "d=d2"},
		{name: "range of only tombstones", from: "e", to: "f", ts: 30, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			s.Scan(0, tc.from, tc.to, tc.ts, tc.limit, tc.reverse, func(k, v string) bool {
				got = append(got, k+"="+v)
				return k != tc.stopAt
			})
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("Scan(%q, %q, ts=%d, limit=%d, reverse=%v) = %q; want %q",
					tc.from, tc.to, tc.ts, tc.limit, tc.reverse, g, tc.want)
			}
		})
	}
}

// A scan callback may read the same store (engines look up other keys while
// iterating), even though the lookup reuses the store's search probe.
// The empty key is a key like any other: an unbounded scan sees it in
// either direction (a reverse scan once mistook it for its upper bound).
func TestScanEmptyKey(t *testing.T) {
	s := New[string](1)
	s.Install(0, "", 10, "empty", false)
	s.Install(0, "a", 10, "a1", false)
	for _, reverse := range []bool{false, true} {
		var got []string
		s.Scan(0, "", "", 10, 0, reverse, func(k, v string) bool {
			got = append(got, k+"="+v)
			return true
		})
		want := []string{"=empty", "a=a1"}
		if reverse {
			slices.Reverse(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("reverse=%v: scan = %q, want %q", reverse, got, want)
		}
	}
}

func TestScanCallbackReads(t *testing.T) {
	s := scanData()
	var got []string
	s.Scan(0, "b", "g", 30, 0, false, func(k, v string) bool {
		w, _ := s.Get(0, "a", 30)
		got = append(got, k+"="+v+"/"+w)
		return true
	})
	if g := strings.Join(got, " "); g != "c=c3/a1 d=d2/a1 f=f3/a1" {
		t.Fatalf("got %q", g)
	}
	got = got[:0]
	s.Scan(0, "b", "g", 30, 0, true, func(k, v string) bool {
		s.Scan(0, "", "b", 30, 0, false, func(string, string) bool { return true })
		got = append(got, k)
		return true
	})
	if g := strings.Join(got, " "); g != "f d c" {
		t.Fatalf("reverse got %q", g)
	}
}

func TestHorizonPrune(t *testing.T) {
	tests := []struct {
		name     string
		ins      []install
		horizon  Timestamp
		after    []install // installed after the horizon is set
		wantVers int
		wantKeys int
		reads    []read
	}{
		{
			name:     "hidden versions dropped on write",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			horizon:  25,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 2, wantKeys: 1,
			reads: []read{{"k", 25, "b", true}, {"k", 30, "c", true}},
		},
		{
			name:     "versions newer than the horizon kept",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			horizon:  15,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 3, wantKeys: 1,
			reads: []read{{"k", 15, "a", true}, {"k", 20, "b", true}, {"k", 30, "c", true}},
		},
		{
			name:     "version exactly at the horizon is the one kept",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			horizon:  20,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 2, wantKeys: 1,
			reads: []read{{"k", 20, "b", true}, {"k", 30, "c", true}},
		},
		{
			name:     "tombstone below the horizon removes the key",
			ins:      []install{{0, "k", 10, "a", false}},
			horizon:  25,
			after:    []install{{0, "k", 25, "", true}},
			wantVers: 0, wantKeys: 0,
			reads: []read{{"k", 25, "", false}, {"k", 100, "", false}},
		},
		{
			name:     "tombstone above the horizon kept",
			ins:      []install{{0, "k", 10, "a", false}},
			horizon:  25,
			after:    []install{{0, "k", 30, "", true}},
			wantVers: 2, wantKeys: 1,
			reads: []read{{"k", 25, "a", true}, {"k", 30, "", false}},
		},
		{
			name:     "tombstone at the horizon under a newer version dropped",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "", true}},
			horizon:  25,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 1, wantKeys: 1,
			reads: []read{{"k", 25, "", false}, {"k", 30, "c", true}},
		},
		{
			name:     "tombstone of a new key below the horizon is not stored",
			horizon:  25,
			after:    []install{{0, "k", 25, "", true}},
			wantVers: 0, wantKeys: 0,
			reads: []read{{"k", 25, "", false}},
		},
		{
			name:     "out of order install hidden at the horizon is dropped",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			horizon:  20,
			after:    []install{{0, "k", 40, "d", false}, {0, "k", 30, "c", false}},
			wantVers: 3, wantKeys: 1,
			reads: []read{{"k", 20, "b", true}, {"k", 30, "c", true}, {"k", 40, "d", true}},
		},
		{
			name:     "other keys untouched until swept",
			ins:      []install{{0, "j", 10, "a", false}, {0, "j", 20, "b", false}, {0, "k", 10, "a", false}},
			horizon:  25,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 4, wantKeys: 2,
			reads: []read{{"j", 25, "b", true}, {"k", 25, "a", true}},
		},
		{
			name:     "horizon never moves back",
			ins:      []install{{0, "k", 10, "a", false}, {0, "k", 20, "b", false}},
			horizon:  25,
			after:    []install{{0, "k", 30, "c", false}},
			wantVers: 2, wantKeys: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New[string](1)
			apply(s, tc.ins)
			s.SetHorizon(tc.horizon)
			s.SetHorizon(tc.horizon - 10)
			if s.Horizon() != tc.horizon {
				t.Fatalf("Horizon() = %d; want %d", s.Horizon(), tc.horizon)
			}
			apply(s, tc.after)
			if st := s.Stats(); st.Versions != tc.wantVers || st.Keys != tc.wantKeys {
				t.Errorf("Stats = %+v; want Keys:%d Versions:%d", st, tc.wantKeys, tc.wantVers)
			}
			checkReads(t, s, 0, tc.reads)
			checkInvariants(t, s)
		})
	}
}

func TestCollect(t *testing.T) {
	const tables, perTable = 3, 50
	s := New[string](tables)
	for tb := range tables {
		for i := range perTable {
			k := fmt.Sprintf("k%03d", i)
			s.Load(tb, k, 1, "v1")
			s.Install(tb, k, 10, "v10", false)
			switch i % 5 {
			case 0: // deleted: the key must disappear
				s.Install(tb, k, 20, "", true)
			case 1: // written after the horizon: keep two versions
				s.Install(tb, k, 40, "v40", false)
			}
		}
	}
	before := s.Stats()
	if before.Versions != tables*perTable*2+tables*perTable/5*2 {
		t.Fatalf("setup: %+v", before)
	}
	if n := s.Collect(100); n != 0 {
		t.Fatalf("Collect with horizon 0 freed %d", n)
	}
	s.SetHorizon(30)

	// Small budgets: several calls must cover every key of every table.
	freed := 0
	for range (tables*perTable + 6) / 7 {
		freed += s.Collect(7)
	}
	// Per table: 40 plain keys lose v1 (1 each), 10 deleted keys lose all 3,
	// 10 rewritten keys lose v1 (v10 is what the horizon sees).
	wantFreed := tables * (30*1 + 10*3 + 10*1)
	if freed != wantFreed {
		t.Fatalf("freed %d versions; want %d", freed, wantFreed)
	}
	st := s.Stats()
	if st.Keys != tables*perTable*4/5 || st.Versions != before.Versions-wantFreed {
		t.Fatalf("Stats after collect = %+v (before %+v)", st, before)
	}
	checkInvariants(t, s)
	for tb := range tables {
		for i := range perTable {
			k := fmt.Sprintf("k%03d", i)
			v, ok := s.Get(tb, k, 30)
			if i%5 == 0 {
				if ok {
					t.Errorf("table %d %s visible after delete", tb, k)
				}
				if _, _, _, exists := s.Latest(tb, k); exists {
					t.Errorf("table %d %s: dead tombstone not removed", tb, k)
				}
				continue
			}
			if !ok || v != "v10" {
				t.Errorf("table %d %s at 30 = %q %v", tb, k, v, ok)
			}
		}
	}
	// Nothing is left to find; a huge budget visits each key once and returns.
	if n := s.Collect(1 << 30); n != 0 {
		t.Fatalf("Collect after everything was trimmed freed %d", n)
	}
	if n := New[string](0).Collect(10); n != 0 {
		t.Fatal("Collect on a store without tables")
	}
}

// Collect takes listed keys in the order they gained a history; a key
// trimmed to one version leaves the list, and is listed again at the back
// when a write gives it a history again.
func TestCollectOrderAndRelist(t *testing.T) {
	s := New[string](1)
	for _, k := range []string{"", "a", "b", "c", "d"} { // "" is a valid key
		s.Install(0, k, 10, "x", false)
		s.Install(0, k, 20, "y", false)
	}
	s.SetHorizon(20)
	if n := s.Collect(2); n != 2 { // "" and "a"
		t.Fatalf("first Collect freed %d; want 2", n)
	}
	s.Install(0, "a", 30, "", true)
	// "a" left the list at the first Collect and is back, after d.
	s.SetHorizon(30)
	if n := s.Collect(3); n != 3 { // b, c, d
		t.Fatalf("second Collect freed %d; want 3", n)
	}
	if n := s.Collect(10); n != 2 { // "a" loses the tombstone and y
		t.Fatalf("third Collect freed %d; want 2", n)
	}
	if st := s.Stats(); st.Keys != 4 || st.Versions != 4 {
		t.Fatalf("Stats = %+v", st)
	}
	checkInvariants(t, s)
}

func TestMemoryBounded(t *testing.T) {
	const keys, installs, lag = 16, 200_000, 50
	s := New[[]int64](2)
	maxVers := 0
	for i := range installs {
		ts := Timestamp(i + 1)
		s.SetHorizon(ts - lag)
		key := fmt.Sprintf("hot%02d", (i*7)%keys)
		s.Install(i%2, key, ts, []int64{int64(i)}, i%97 == 0)
		maxVers = max(maxVers, s.Stats().Versions)
	}
	// Each key keeps at most the versions newer than the horizon plus the
	// one the horizon sees; installs round-robin over the keys.
	bound := 2 * keys * (lag/keys + 2)
	if maxVers > bound {
		t.Fatalf("versions peaked at %d; want <= %d", maxVers, bound)
	}
	s.SetHorizon(installs + 1)
	s.Collect(1 << 20)
	if st := s.Stats(); st.Versions > 2*keys {
		t.Fatalf("after final collect: %+v", st)
	}
	checkInvariants(t, s)
}

func TestSnapshots(t *testing.T) {
	s := NewSnapshots()
	if _, ok := s.Min(); ok || s.Len() != 0 {
		t.Fatal("empty set has a min")
	}
	a := s.Acquire(30)
	b := s.Acquire(10)
	c := s.Acquire(10)
	d := s.Acquire(20)
	steps := []struct {
		release SnapshotID
		min     Timestamp
		ok      bool
		n       int
	}{
		{SnapshotID{}, 10, true, 4}, // zero ID: no-op
		{b, 10, true, 3},            // another reader at 10 remains
		{b, 10, true, 3},            // double release: no-op
		{c, 20, true, 2},
		{a, 20, true, 1},
		{d, 0, false, 0},
	}
	for i, st := range steps {
		s.Release(st.release)
		m, ok := s.Min()
		if m != st.min || ok != st.ok || s.Len() != st.n {
			t.Fatalf("step %d: Min = %d %v, Len = %d; want %d %v %d", i, m, ok, s.Len(), st.min, st.ok, st.n)
		}
	}
	if a.TS() != 30 {
		t.Fatalf("TS() = %d", a.TS())
	}
	ids := []SnapshotID{s.Acquire(5), s.Acquire(5), s.Acquire(5)}
	if ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatal("IDs at the same ts collide")
	}
}

func TestReplica(t *testing.T) {
	s := New[string](1)
	s.Install(0, "a", 10, "a10", false)
	s.Install(0, "b", 10, "b10", false)
	s.Install(0, "a", 20, "a20", false) // in the store, not applied by r yet
	r := NewReplica(s)
	if r.Applied() != 0 || !r.CanRead(0) || r.CanRead(1) {
		t.Fatal("new replica")
	}
	if _, _, err := r.Get(0, "a", 10); err != ErrNotApplied {
		t.Fatalf("Get above watermark: err = %v", err)
	}
	called := false
	if err := r.Scan(0, "", "", 10, 0, false, func(string, string) bool { called = true; return true }); err != ErrNotApplied || called {
		t.Fatalf("Scan above watermark: err = %v, called = %v", err, called)
	}
	r.Advance(15)
	r.Advance(12) // never moves back
	if r.Applied() != 15 || !r.CanRead(15) || r.CanRead(16) {
		t.Fatalf("Applied = %d", r.Applied())
	}
	if v, ok, err := r.Get(0, "a", 15); err != nil || !ok || v != "a10" {
		t.Fatalf("Get(a, 15) = %q %v %v", v, ok, err)
	}
	if _, _, err := r.Get(0, "a", 20); err != ErrNotApplied {
		t.Fatalf("Get(a, 20): err = %v", err)
	}
	var got []string
	if err := r.Scan(0, "", "", 15, 0, true, func(k, v string) bool { got = append(got, v); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"b10", "a10"}) {
		t.Fatalf("Scan = %v", got)
	}
	r2 := NewReplica(s)
	r2.Advance(20)
	if v, _, err := r2.Get(0, "a", 20); err != nil || v != "a20" {
		t.Fatalf("second replica Get = %q %v", v, err)
	}
	if r2.Store() != s {
		t.Fatal("Store()")
	}
}

// A large budget after a partial call trims every listed key in one call:
// the keys a call puts back are visited again by the next call, not twice in
// this one.
func TestCollectAllAfterPartial(t *testing.T) {
	s := New[string](2)
	for tb := range 2 {
		for i := range 10 {
			k := fmt.Sprintf("k%d", i)
			s.Install(tb, k, 10, "x", false)
			s.Install(tb, k, 20, "y", false)
		}
	}
	if n := s.Collect(3); n != 0 { // horizon 0: three keys go to the back
		t.Fatalf("freed %d at horizon 0", n)
	}
	s.SetHorizon(20)
	if n := s.Collect(1000); n != 20 {
		t.Fatalf("Collect after a partial one freed %d; want 20", n)
	}
	s.Install(0, "k0", 30, "", true)
	s.Install(1, "k9", 30, "", true)
	s.SetHorizon(30)
	if n := s.Collect(1000); n != 4 {
		t.Fatalf("second Collect freed %d; want 4", n)
	}
	if st := s.Stats(); st.Keys != 18 || st.Versions != 18 {
		t.Fatalf("Stats = %+v", st)
	}
}

// A newer version's install hands the store its key string, so a loaded
// key that shares an allocation with the loaded value (as the simulated
// engines load rows) stops holding that allocation once the old version is
// trimmed; an older install does not change the key the store keeps, and
// a key the store handed out (a scan's) is copied.
func TestInstallTakesTheNewestKey(t *testing.T) {
	s := New[string](1)
	loaded := "k1" + "-loaded value bytes"
	s.Load(0, loaded[:2], 1, loaded[2:])
	keyOf := func() (k string) {
		s.Scan(0, "", "", 100, 0, false, func(key, _ string) bool { k = key; return false })
		return k
	}
	if unsafe.StringData(keyOf()) != unsafe.StringData(loaded) {
		t.Fatal("the loaded key is not the string loaded")
	}
	fresh := strings.Clone("k1")
	s.Install(0, fresh, 10, "v10", false)
	if unsafe.StringData(keyOf()) != unsafe.StringData(fresh) {
		t.Error("a newer install did not hand over its key")
	}
	older := strings.Clone("k1")
	s.Install(0, older, 5, "v5", false)
	if unsafe.StringData(keyOf()) != unsafe.StringData(fresh) {
		t.Error("an older install replaced the newest version's key")
	}
	checkReads(t, s, 0, []read{{"k1", 1, "-loaded value bytes", true}, {"k1", 7, "v5", true}, {"k1", 10, "v10", true}})
	s = New[string](1) // keyOf reads this one now
	s.Load(0, loaded[:2], 1, loaded[2:])
	s.Install(0, keyOf(), 10, "v10", false)
	if k := keyOf(); k != "k1" || unsafe.StringData(k) == unsafe.StringData(loaded) {
		t.Errorf("an install with the key a scan gave kept the loaded allocation (key %q)", k)
	}
}

// The tree's items order keys by an 8-byte prefix first (see item): keys
// that differ before, at and after the eighth byte, zero bytes that pad
// like a missing byte, and high bytes must still come out in string order,
// from a full scan and from scans bounded anywhere, whether they were in
// the table when its tree was built or went into the tree after.
func TestTreeOrderAroundThePrefix(t *testing.T) {
	keys := []string{
		"\x00", "\x00\x00", "a", "a\x00", "a\x00\x00\x00\x00\x00\x00\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00",
		"abcdefg", "abcdefg\x00", "abcdefgh", "abcdefgh\x00", "abcdefgha", "abcdefghb", "abcdefgi",
		"abcdefh", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x7f\x80",
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, load := range []bool{false, true} {
		s := New[string](1)
		for n, i := range rng.Perm(len(keys)) {
			if n == len(keys)/2 {
				// The tree is built at the first scan; the rest go into it.
				s.Scan(0, "", "", 1, 0, false, func(string, string) bool { return false })
			}
			if load {
				s.Load(0, keys[i], 1, keys[i])
			} else {
				s.Install(0, keys[i], 1, keys[i], false)
			}
		}
		checkInvariants(t, s)
		for i, from := range want {
			for _, to := range append(slices.Clone(want[i+1:]), "") {
				for _, reverse := range []bool{false, true} {
					var got []string
					s.Scan(0, from, to, 1, 0, reverse, func(k, _ string) bool {
						got = append(got, k)
						return true
					})
					w := want[i:]
					if to != "" {
						w = want[i:slices.Index(want, to)]
					}
					if reverse {
						w = slices.Clone(w)
						slices.Reverse(w)
					}
					if !slices.Equal(got, w) {
						t.Fatalf("load=%v: Scan(%q, %q, reverse=%v) = %q; want %q", load, from, to, reverse, got, w)
					}
				}
			}
		}
	}
}

// LatestAndGet answers what Latest and Get at ts answer, for stored keys
// with several versions and tombstones, implicit rows written over or not,
// and missing keys.
func TestLatestAndGet(t *testing.T) {
	s := New[string](1)
	s.SetImplicit(0, 1, implicitRow)
	s.Install(0, "k", 10, "a", false)
	s.Install(0, "k", 30, "c", false)
	s.Install(0, "d", 20, "x", false)
	s.Install(0, "d", 25, "", true)
	s.Install(0, "row-1", 15, "w", false)
	for _, key := range []string{"k", "d", "row-1", "row-2", "missing"} {
		for _, ts := range []Timestamp{0, 1, 5, 10, 15, 20, 25, 30, 99} {
			lv, lts, live, exists := s.Latest(0, key)
			v, found := s.Get(0, key, ts)
			glv, glts, glive, gexists, gv, gfound := s.LatestAndGet(0, key, ts)
			if glv != lv || glts != lts || glive != live || gexists != exists || gv != v || gfound != found {
				t.Errorf("LatestAndGet(%s, %d) = %q %d %v %v %q %v; Latest and Get: %q %d %v %v %q %v",
					key, ts, glv, glts, glive, gexists, gv, gfound, lv, lts, live, exists, v, found)
			}
		}
	}
}

// A history holds its first older version inline, and lets go of that
// copy once a second one moves the versions to a slice of their own (the
// copy would keep a value alive after the horizon trims it).
func TestHistoryFirstVersionInline(t *testing.T) {
	h := newHistory[string](false)
	h.insert(0, version[string]{ts: 5, v: "five"})
	if &h.older[0] != &h.first[0] {
		t.Fatal("the first older version is not held inline")
	}
	h.insert(0, version[string]{ts: 7, v: "seven"})
	if h.first[0] != (version[string]{}) {
		t.Errorf("the inline copy %+v stays after the versions moved", h.first[0])
	}
	if len(h.older) != 2 || h.older[0].v != "seven" || h.older[1].v != "five" {
		t.Errorf("older = %+v, want seven then five", h.older)
	}
}
