package ycsb

import (
	"sync"
	"sync/atomic"
)

// KeySequence is the workload's insert counter, YCSB's
// AcknowledgedCounterGenerator: Next hands out new key numbers (starting at
// the record count), and Last is the highest key number below which every
// handed-out number has been acknowledged, i.e. its insert has finished (or
// been given up). Readers choose among keys up to Last, so they do not go
// looking for rows whose insert is still in flight.
//
// It is safe for concurrent use (goroutine clients against a real database);
// in the single-threaded simulator the order of calls, and so every number,
// is a function of the seed.
type KeySequence struct {
	next  atomic.Int64
	limit atomic.Int64

	mu    sync.Mutex
	acked map[int64]struct{} // acknowledged numbers above limit+1
}

// NewKeySequence returns a sequence whose first new key number is start;
// the keys below start exist from the load.
func NewKeySequence(start int64) *KeySequence {
	s := &KeySequence{acked: map[int64]struct{}{}}
	s.next.Store(start)
	s.limit.Store(start - 1)
	return s
}

// Next allocates the next key number.
func (s *KeySequence) Next() int64 { return s.next.Add(1) - 1 }

// Allocated is the number of key numbers handed out so far, plus the start.
func (s *KeySequence) Allocated() int64 { return s.next.Load() }

// Acknowledge marks k's insert as finished.
func (s *KeySequence) Acknowledge(k int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limit.Load()
	if k <= l {
		return
	}
	s.acked[k] = struct{}{}
	for {
		if _, ok := s.acked[l+1]; !ok {
			break
		}
		delete(s.acked, l+1)
		l++
	}
	s.limit.Store(l)
}

// Last is the highest key number that, with every number below it, has
// been loaded or acknowledged.
func (s *KeySequence) Last() int64 { return s.limit.Load() }
