package simengine

// Refs counts what may still use a simulated engine's transaction record:
// its methods while they run (a statement cut off by a timeout runs on in
// its own process, after the runner has moved on) and the processes it
// spawned (second-phase notices, releases, deadlock checks). A session
// keeps its latest record and reuses it for the next Begin only when that
// transaction is finished and nothing uses it any more (Recycle): a
// transaction record was 20–40% of the bytes a YCSB-A run allocated.
type Refs int

// Hold counts one use; the use ends with Release:
//
//	defer t.refs.Hold().Release()
func (r *Refs) Hold() *Refs {
	*r++
	return r
}

// Release ends a use counted by Hold.
func (r *Refs) Release() { *r-- }

// Idle reports that nothing uses the record.
func (r Refs) Idle() bool { return r == 0 }

// Recycle returns the session's latest record *last when reusable says it
// may be reused (its transaction is finished and its Refs idle), else a new
// record, which becomes the latest. The caller resets the record it gets.
func Recycle[T any](last **T, reusable func(*T) bool) *T {
	if t := *last; t != nil && reusable(t) {
		return t
	}
	t := new(T)
	*last = t
	return t
}

// Spare takes the last record of a list of records to reuse, or a new one
// when the list is empty (2pc's Paxos records, occ's journal records). The
// caller resets the record it gets.
func Spare[T any](spare *[]*T) *T {
	s := *spare
	n := len(s)
	if n == 0 {
		return new(T)
	}
	r := s[n-1]
	s[n-1] = nil
	*spare = s[:n-1]
	return r
}
