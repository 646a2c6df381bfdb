package storage

import (
	"strings"
	"testing"
)

// implicitRow makes every key "row-N" a row, valued "v(row-N)".
func implicitRow(key string) (string, bool) {
	if !strings.HasPrefix(key, "row-") {
		return "", false
	}
	return "v(" + key + ")", true
}

func TestImplicitRowsReadWriteAndCollect(t *testing.T) {
	s := New[string](2)
	s.SetImplicit(0, 1, implicitRow)

	// Unwritten: the implicit row from the load's timestamp on, in table 0
	// only, for its keys only; nothing is stored.
	checkReads(t, s, 0, []read{
		{"row-1", 1, "v(row-1)", true},
		{"row-1", 100, "v(row-1)", true},
		{"row-1", 0, "", false},
		{"other", 100, "", false},
	})
	checkReads(t, s, 1, []read{{"row-1", 100, "", false}})
	if v, ts, live, exists := s.Latest(0, "row-2"); v != "v(row-2)" || ts != 1 || !live || !exists {
		t.Errorf("Latest(row-2) = %q, %d, %v, %v; want the implicit row at 1", v, ts, live, exists)
	}
	if st := s.Stats(); st.Keys != 0 {
		t.Errorf("reads stored %d keys; want 0", st.Keys)
	}

	// A write installs over the implicit row, which older snapshots still
	// see; a key that is not a row is an ordinary install.
	apply(s, []install{{0, "row-1", 10, "w1", false}, {0, "other", 10, "o", false}, {0, "row-3", 10, "", true}})
	checkReads(t, s, 0, []read{
		{"row-1", 5, "v(row-1)", true},
		{"row-1", 10, "w1", true},
		{"other", 5, "", false},
		{"other", 10, "o", true},
		{"row-3", 5, "v(row-3)", true},
		{"row-3", 10, "", false},
	})
	checkInvariants(t, s)

	// Past the horizon the implicit version goes, and a deleted row's
	// tombstone stays (were it collected, the implicit row would be back).
	s.SetHorizon(20)
	s.Collect(1 << 20)
	apply(s, []install{{0, "row-3", 30, "", true}})
	checkReads(t, s, 0, []read{
		{"row-1", 20, "w1", true},
		{"row-3", 20, "", false},
		{"row-3", 40, "", false},
		{"row-4", 40, "v(row-4)", true},
	})
	checkInvariants(t, s)
	if st := s.Stats(); st.Keys != 3 || st.Versions != 3 {
		t.Errorf("Stats = %+v; want 3 keys (row-1, other, row-3's tombstone), 3 versions", st)
	}
}
