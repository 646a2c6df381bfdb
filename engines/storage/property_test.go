package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// model is the naive reference: per table, key -> versions sorted by ts.
// It never forgets anything, so it answers for every ts; the Store only has
// to agree for ts >= its horizon.
type model struct {
	tables []map[string][]modelVersion
}

type modelVersion struct {
	ts      Timestamp
	v       int
	deleted bool
}

func newModel(tables int) *model {
	m := &model{tables: make([]map[string][]modelVersion, tables)}
	for i := range m.tables {
		m.tables[i] = map[string][]modelVersion{}
	}
	return m
}

func (m *model) install(table int, key string, ts Timestamp, v int, deleted bool) {
	vs := m.tables[table][key]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].ts >= ts })
	nv := modelVersion{ts, v, deleted}
	if i < len(vs) && vs[i].ts == ts {
		vs[i] = nv
	} else {
		vs = slices.Insert(vs, i, nv)
	}
	m.tables[table][key] = vs
}

func (m *model) get(table int, key string, ts Timestamp) (int, bool) {
	vs := m.tables[table][key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].ts <= ts {
			return vs[i].v, !vs[i].deleted
		}
	}
	return 0, false
}

func (m *model) scan(table int, from, to string, ts Timestamp, limit int, reverse bool) []string {
	var keys []string
	for k := range m.tables[table] {
		if k >= from && (to == "" || k < to) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	var out []string
	for _, k := range keys {
		if v, ok := m.get(table, k, ts); ok {
			out = append(out, fmt.Sprintf("%s=%d", k, v))
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

func TestPropertyAgainstModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { propertyRun(t, seed, 20_000) })
	}
}

func propertyRun(t *testing.T, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, 0x7478_6265_6e63_6800))
	const tables = 2
	nkeys := 3 + rng.IntN(30)
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%02d", i)
	}
	s := New[int](tables)
	m := newModel(tables)
	var now Timestamp = 100 // newest ts handed out so far
	// Some tables start with a bulk load, like an engine's initial data:
	// in key order (TPC-C) or not (YCSB's hashed keys), some keys twice
	// (the later load wins).
	for tb := range tables {
		if rng.IntN(2) == 0 {
			order := rng.Perm(nkeys)
			if rng.IntN(2) == 0 {
				slices.Sort(order)
			}
			for _, i := range order {
				if rng.IntN(3) > 0 {
					s.Load(tb, keys[i], 1, -i)
					m.install(tb, keys[i], 1, -i, false)
				}
				if rng.IntN(8) == 0 {
					s.Load(tb, keys[i], 1, -100-i)
					m.install(tb, keys[i], 1, -100-i, false)
				}
			}
		}
	}
	randTS := func() Timestamp { // a readable ts: [horizon, now + 20]
		h := s.Horizon()
		return h + Timestamp(rng.IntN(int(now+20-h)+1))
	}
	randKey := func() string {
		if rng.IntN(20) == 0 {
			return keys[rng.IntN(nkeys)] + "x" // between keys, often absent
		}
		return keys[rng.IntN(nkeys)]
	}
	for op := range ops {
		switch r := rng.IntN(100); {
		case r < 40: // install, mostly new, sometimes out of order or replacing
			var ts Timestamp
			if rng.IntN(4) == 0 {
				ts = randTS()
				ts = min(ts, now)
			} else {
				now += Timestamp(1 + rng.IntN(5))
				ts = now
			}
			tb, k, v, del := rng.IntN(tables), randKey(), op, rng.IntN(6) == 0
			s.Install(tb, k, ts, v, del)
			m.install(tb, k, ts, v, del)
		case r < 47: // advance the horizon, staying at or below "now"
			if rng.IntN(3) == 0 {
				s.SetHorizon(s.Horizon() - 5) // ignored
			} else {
				s.SetHorizon(s.Horizon() + Timestamp(rng.IntN(int(now-s.Horizon())+1)))
			}
		case r < 52:
			s.Collect(rng.IntN(12))
		case r < 80:
			tb, k, ts := rng.IntN(tables), randKey(), randTS()
			got, gok := s.Get(tb, k, ts)
			want, wok := m.get(tb, k, ts)
			if gok != wok || (wok && got != want) {
				t.Fatalf("op %d: Get(%d, %q, %d) = %d %v; want %d %v (horizon %d)", op, tb, k, ts, got, gok, want, wok, s.Horizon())
			}
		case r < 95:
			tb, ts := rng.IntN(tables), randTS()
			var from, to string
			if rng.IntN(3) > 0 {
				from = randKey()
			}
			if rng.IntN(3) > 0 {
				to = randKey()
			}
			limit := rng.IntN(8) - 2
			reverse := rng.IntN(2) == 0
			var got []string
			s.Scan(tb, from, to, ts, limit, reverse, func(k string, v int) bool {
				got = append(got, fmt.Sprintf("%s=%d", k, v))
				return true
			})
			if want := m.scan(tb, from, to, ts, limit, reverse); !slices.Equal(got, want) {
				t.Fatalf("op %d: Scan(%d, %q, %q, %d, %d, %v) = %v; want %v", op, tb, from, to, ts, limit, reverse, got, want)
			}
		default: // Latest: exact, except that a tombstone at or below the
			// horizon may already be gone.
			tb, k := rng.IntN(tables), randKey()
			v, ts, live, exists := s.Latest(tb, k)
			vs := m.tables[tb][k]
			if len(vs) == 0 {
				if exists {
					t.Fatalf("op %d: Latest(%q) exists; model has nothing", op, k)
				}
				break
			}
			w := vs[len(vs)-1]
			if !exists {
				if !w.deleted || w.ts > s.Horizon() {
					t.Fatalf("op %d: Latest(%q) missing; model newest %+v, horizon %d", op, k, w, s.Horizon())
				}
				break
			}
			if ts != w.ts || live == w.deleted || (live && v != w.v) {
				t.Fatalf("op %d: Latest(%q) = %d %d %v; model newest %+v", op, k, v, ts, live, w)
			}
		}
	}
	checkInvariants(t, s)

	// After a full sweep every key is tight: at most one version at or
	// below the horizon, and it is not a tombstone.
	s.Collect(1 << 30)
	checkInvariants(t, s)
	h := s.Horizon()
	for tb := range s.tables {
		scanKeys(t, s, tb, func(r ref) bool {
			e := s.at(r)
			below := 0
			if e.ts <= h {
				below++
				if !e.live() {
					t.Errorf("table %d %q: dead tombstone survived a full sweep", tb, e.key)
				}
			}
			if e.more != nil {
				for _, o := range e.more.older {
					if o.ts <= h {
						below++
						if o.deleted {
							t.Errorf("table %d %q: tombstone at %d <= horizon %d kept", tb, e.key, o.ts, h)
						}
					}
				}
			}
			if below > 1 {
				t.Errorf("table %d %q: %d versions at or below the horizon", tb, e.key, below)
			}
			return true
		})
	}
	// And still agrees with the model everywhere at or above the horizon.
	for tb := range tables {
		for _, k := range keys {
			for range 50 {
				ts := randTS()
				got, gok := s.Get(tb, k, ts)
				want, wok := m.get(tb, k, ts)
				if gok != wok || (wok && got != want) {
					t.Fatalf("final: Get(%d, %q, %d) = %d %v; want %d %v", tb, k, ts, got, gok, want, wok)
				}
			}
		}
	}
}
