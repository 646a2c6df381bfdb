package storage

import "errors"

// ErrNotApplied is returned by a Replica asked to read at a timestamp it has
// not applied yet; the engine decides whether to wait, retry elsewhere, or
// fail. It is returned as is (never wrapped) so checks stay cheap.
var ErrNotApplied = errors.New("storage: replica has not applied the requested timestamp")

// Replica is a view of a Store as one replica sees it: all replicas of a
// shard apply the same committed log in order, so one Store plus a
// per-replica applied watermark reproduces each replica's state without
// copying data. A replica at watermark w holds exactly the versions with
// ts <= w, which are all a read at ts <= w can see anyway; so the view only
// has to refuse reads above w. This relies on the engine installing a commit
// into the Store before any replica's watermark passes its timestamp, and on
// the GC horizon staying at or below every timestamp a replica will serve.
type Replica[V any] struct {
	s       *Store[V]
	applied Timestamp
}

// NewReplica returns a view of s that has applied nothing (watermark 0).
func NewReplica[V any](s *Store[V]) *Replica[V] { return &Replica[V]{s: s} }

// Store returns the underlying store.
func (r *Replica[V]) Store() *Store[V] { return r.s }

// Applied returns the replica's applied watermark.
func (r *Replica[V]) Applied() Timestamp { return r.applied }

// Advance moves the watermark to ts; it only moves forward.
func (r *Replica[V]) Advance(ts Timestamp) {
	if ts > r.applied {
		r.applied = ts
	}
}

// CanRead reports whether the replica can serve a read at ts.
func (r *Replica[V]) CanRead(ts Timestamp) bool { return ts <= r.applied }

// Get is Store.Get, or ErrNotApplied if ts > Applied().
func (r *Replica[V]) Get(table int, key string, ts Timestamp) (V, bool, error) {
	if ts > r.applied {
		var zero V
		return zero, false, ErrNotApplied
	}
	v, ok := r.s.Get(table, key, ts)
	return v, ok, nil
}

// Scan is Store.Scan, or ErrNotApplied (without calling fn) if ts > Applied().
func (r *Replica[V]) Scan(table int, from, to string, ts Timestamp, limit int, reverse bool, fn func(string, V) bool) error {
	if ts > r.applied {
		return ErrNotApplied
	}
	r.s.Scan(table, from, to, ts, limit, reverse, fn)
	return nil
}
