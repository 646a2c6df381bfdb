package storage

import (
	"math/rand/v2"
	"testing"
)

// TestSnapshotsMatchAModel runs random acquisitions (mostly at rising
// timestamps, as clocks give them, some far back) and releases (some
// repeated, some of the zero ID) against a plain list of the live IDs.
func TestSnapshotsMatchAModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := NewSnapshots()
	var live, gone []SnapshotID
	now := Timestamp(1000)
	for step := range 200_000 {
		switch x := r.IntN(100); {
		case x < 50 && len(live) < 300:
			now += Timestamp(r.IntN(3))
			ts := now - Timestamp(r.IntN(5))
			if r.IntN(20) == 0 {
				ts = now - Timestamp(r.IntN(1000)) // a stale reader
			}
			id := s.Acquire(ts)
			if id.TS() != ts || id == (SnapshotID{}) {
				t.Fatalf("step %d: Acquire(%d) = %+v", step, ts, id)
			}
			live = append(live, id)
		case x < 95 && len(live) > 0:
			i := r.IntN(len(live))
			s.Release(live[i])
			gone = append(gone, live[i])
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		case x < 98 && len(gone) > 0:
			s.Release(gone[r.IntN(len(gone))]) // twice: a no-op
		default:
			s.Release(SnapshotID{})
		}
		want, wantOK := Timestamp(0), len(live) > 0
		for i, id := range live {
			if i == 0 || id.ts < want {
				want = id.ts
			}
		}
		if got, ok := s.Min(); got != want || ok != wantOK || s.Len() != len(live) {
			t.Fatalf("step %d: Min %d %v, Len %d; want %d %v, %d", step, got, ok, s.Len(), want, wantOK, len(live))
		}
		if len(s.ids) > 2*len(live)+33 {
			t.Fatalf("step %d: %d entries for %d live", step, len(s.ids), len(live))
		}
	}
}

func BenchmarkSnapshots(b *testing.B) {
	s := NewSnapshots()
	ring := make([]SnapshotID, 128)
	for i := range ring {
		ring[i] = s.Acquire(Timestamp(i))
	}
	for i := 0; b.Loop(); i++ {
		j := (i * 37) % len(ring)
		s.Release(ring[j])
		ring[j] = s.Acquire(Timestamp(128 + i))
	}
}
