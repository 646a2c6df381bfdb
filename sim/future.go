package sim

// Future is a value that becomes available at some virtual time. Processes
// block on it with Await; completing it wakes them at the current instant, in
// the order they started waiting.
type Future[T any] struct {
	k    *Kernel
	done bool
	val  T
	// The first waiter and callback are held inline: most futures have
	// one of either, and then waiting allocates nothing. The rest are in
	// more, made for the first of them: the few futures that have several
	// pay for it, instead of every future carrying two empty slices (a
	// future is 48 bytes instead of 80; engines make one or more per
	// request).
	waiter *Proc
	then1  func(T)
	more   *futureMore[T]
}

// futureMore is a future's waiters after the first and callbacks after
// the first, each in order.
type futureMore[T any] struct {
	waiters []*Proc
	then    []func(T)
	// waitBuf backs waiters while they are few: a record's future that
	// several readers wait on (2pc's waitRecords) costs one allocation,
	// not two.
	waitBuf [3]*Proc
}

// NewFuture returns an incomplete future.
func NewFuture[T any](k *Kernel) *Future[T] { return &Future[T]{k: k} }

// MakeFuture returns an incomplete future for a record to hold by value,
// so that the record and its futures are one allocation. It must not be
// copied once in use (waiters and callbacks hold its address).
func MakeFuture[T any](k *Kernel) Future[T] { return Future[T]{k: k} }

// NewFutures returns n incomplete futures in buf's array when it holds n
// (a record keeping a few inline, as one allocation), else in a new slice.
func NewFutures[T any](k *Kernel, buf []*Future[T], n int) []*Future[T] {
	fs := buf[:0]
	if n > cap(buf) {
		fs = make([]*Future[T], 0, n)
	}
	for range n {
		fs = append(fs, NewFuture[T](k))
	}
	return fs
}

// InlineFutures returns n incomplete futures held in a record's own fs,
// through its ptrs, when both have room for n (the record and its futures
// one allocation), else n new ones (NewFutures).
func InlineFutures[T any](k *Kernel, fs []Future[T], ptrs []*Future[T], n int) []*Future[T] {
	if n > len(fs) || n > len(ptrs) {
		return NewFutures[T](k, nil, n)
	}
	for i := range n {
		fs[i] = MakeFuture[T](k)
		ptrs[i] = &fs[i]
	}
	return ptrs[:n:n]
}

// Done reports whether the future is complete.
func (f *Future[T]) Done() bool { return f.done }

// Value returns the value (the zero value before completion).
func (f *Future[T]) Value() T { return f.val }

// Set completes the future; later calls are ignored (first completion wins,
// which is what a quorum or a timeout race wants).
func (f *Future[T]) Set(v T) {
	if f.done {
		return
	}
	f.done = true
	f.val = v
	if f.waiter != nil {
		f.k.wake(f.k.now, f.waiter)
		f.waiter = nil
	}
	m := f.more
	f.more = nil
	if m != nil {
		for _, p := range m.waiters {
			f.k.wake(f.k.now, p)
		}
	}
	if fn := f.then1; fn != nil {
		f.then1 = nil
		fn(v)
	}
	if m != nil {
		for _, fn := range m.then {
			fn(v)
		}
	}
}

// Then calls fn when the future completes (at once if it is complete). fn
// runs inside the event that completes the future and must not block.
func (f *Future[T]) Then(fn func(T)) {
	if f.done {
		fn(f.val)
		return
	}
	if f.then1 == nil {
		f.then1 = fn
		return
	}
	if f.more == nil {
		f.more = new(futureMore[T])
	}
	f.more.then = append(f.more.then, fn)
}

// Await blocks p until f completes, charging the wait to c.
func Await[T any](p *Proc, f *Future[T], c Category) T {
	if !f.done {
		start := p.k.now
		switch {
		case f.waiter == nil && (f.more == nil || len(f.more.waiters) == 0):
			f.waiter = p
		case f.more == nil:
			m := new(futureMore[T])
			m.waiters = append(m.waitBuf[:0], p)
			f.more = m
		default:
			m := f.more
			if m.waiters == nil {
				m.waiters = m.waitBuf[:0]
			}
			m.waiters = append(m.waiters, p)
		}
		p.park()
		p.ledger[c] += p.k.now - start
	}
	return f.val
}

// AwaitTimeout is Await with a deadline; ok is false on timeout.
func AwaitTimeout[T any](p *Proc, f *Future[T], d Time, c Category) (v T, ok bool) {
	if f.done {
		return f.val, true
	}
	timer := NewFuture[bool](p.k)
	p.k.After(d, func() { timer.Set(false) })
	f.Then(func(T) { timer.Set(true) })
	if !Await(p, timer, c) {
		return v, false
	}
	return f.val, true
}

// Go runs fn in a new process and returns a future of its result. It is how
// a process sends requests in parallel (a fan-out, a quorum write).
func Go[T any](k *Kernel, name string, fn func(p *Proc) T) *Future[T] {
	f := NewFuture[T](k)
	k.Spawn(name, func(p *Proc) { f.Set(fn(p)) })
	return f
}

// Quorum returns a future that completes with true once n of fs have
// completed, in virtual time (the stragglers keep running).
func Quorum[T any](k *Kernel, fs []*Future[T], n int) *Future[bool] {
	q := NewFuture[bool](k)
	if n <= 0 {
		q.Set(true)
		return q
	}
	count := 0
	arrived := func(T) { // one closure for every future
		count++
		if count == n {
			q.Set(true)
		}
	}
	for _, f := range fs {
		f.Then(arrived)
	}
	return q
}

// All is Quorum(k, fs, len(fs)).
func All[T any](k *Kernel, fs []*Future[T]) *Future[bool] { return Quorum(k, fs, len(fs)) }
