package enginetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
)

// KV is the schema engine tests share: a table of integer counters, and a
// reference table (every shard holds it) with the same shape.
var KV = &engines.Schema{Tables: []*engines.Table{
	{
		Name:       "kv",
		Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
	},
	{
		Name:       "ref",
		Columns:    []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
		Reference:  true,
	},
}}

// Table and Ref are KV's tables.
var Table, Ref = KV.Tables[0], KV.Tables[1]

func init() {
	if err := KV.Validate(); err != nil {
		panic(err)
	}
}

// Key is kv's key i.
func Key(i int) engines.Key { return engines.Key{engines.Int(int64(i))} }

// Rows are n rows (i, 0).
func Rows(n int) []engines.Row {
	rows := make([]engines.Row, n)
	for i := range rows {
		rows[i] = engines.Row{engines.Int(int64(i)), engines.Int(0)}
	}
	return rows
}

// Copies returns copies of rows whose strings' bytes are their own: what
// a test keeps of a batch its sender may overwrite afterwards (a workload
// refilling the batches an engine hands back).
func Copies(rows []engines.Row) []engines.Row {
	out := make([]engines.Row, len(rows))
	for i, r := range rows {
		c := make(engines.Row, len(r))
		for j, v := range r {
			if v.Kind() == engines.TypeString {
				v = engines.String(strings.Clone(v.Str()))
			}
			c[j] = v
		}
		out[i] = c
	}
	return out
}

// Ints lists the keys of rows: "[2 3 5]".
func Ints(rows []engines.Row) string {
	var ks []int64
	for _, r := range rows {
		ks = append(ks, r[0].Int())
	}
	return fmt.Sprint(ks)
}

// Must fails the test on an error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Near checks a simulated duration to the microsecond.
func Near(t testing.TB, what string, got, want time.Duration) {
	t.Helper()
	if d := got - want; d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// SimConfig is the simulated set-up of a world.
type SimConfig struct {
	Preset  string // topology preset; default region-3az
	Cluster sim.ClusterConfig
	Seed    uint64 // default 1
}

// Sim is a simulated world: a kernel, a cluster, an engine of type E on
// it, KV created and loaded.
type Sim[E engines.Engine] struct {
	K   *sim.Kernel
	Cl  *sim.Cluster
	E   E
	Ctx context.Context
}

// NewSim builds a world: build places the engine on the cluster, and kv
// and ref are loaded with keys rows each (value 0).
func NewSim[E engines.Engine](t testing.TB, sc SimConfig, build func(*sim.Cluster) (E, error), keys int) *Sim[E] {
	t.Helper()
	if sc.Preset == "" {
		sc.Preset = "region-3az"
	}
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	topo, err := sim.Preset(sc.Preset)
	Must(t, err)
	k := sim.NewKernel(sc.Seed)
	t.Cleanup(k.Shutdown)
	cl := sim.NewCluster(k, topo, sc.Cluster)
	e, err := build(cl)
	Must(t, err)
	ctx := context.Background()
	Must(t, e.CreateSchema(ctx, KV))
	for _, tb := range []*engines.Table{Table, Ref} {
		rows := Rows(keys)
		Must(t, e.Load(ctx, tb, rows))
		if engines.LoadCopies(e) {
			// The engine keeps nothing of the batch: scribbled over, it
			// must not change what the scripts read.
			for _, r := range rows {
				clear(r)
			}
		}
	}
	return &Sim[E]{K: k, Cl: cl, E: e, Ctx: ctx}
}

// Client runs body in a process as client id in az.
func (w *Sim[E]) Client(t testing.TB, id int, az string, body func(ctx context.Context, s engines.Session)) {
	t.Helper()
	s, err := w.E.Session(w.Ctx, engines.Client{ID: id, AZ: az})
	Must(t, err)
	w.K.Spawn(fmt.Sprintf("client-%d", id), func(p *sim.Proc) { body(sim.WithProc(w.Ctx, p), s) })
}

// Run runs the simulation until every client is done (ten virtual minutes
// at most).
func (w *Sim[E]) Run() { w.K.Run(10 * time.Minute) }

// Timed is one transaction's outcome: how long its statements and its
// commit took, the commit's ledger (the breakdown by category) and what
// the engine reported about it.
type Timed struct {
	Stmts, Commit, Total time.Duration
	CommitLedger         sim.Ledger
	Info                 engines.TxnInfo
	Err                  error
}

// RunTxn runs body as one transaction attempt and commits it.
func RunTxn(ctx context.Context, s engines.Session, o engines.TxnOptions, body func(tx engines.Txn) error) Timed {
	return RunTxnPaused(ctx, s, o, 0, body)
}

// RunTxnPaused is RunTxn with a pause between the statements and the
// commit (so that a commit timestamp taken from another node's clock is
// above the snapshot whatever the clocks' offsets).
func RunTxnPaused(ctx context.Context, s engines.Session, o engines.TxnOptions, pause time.Duration, body func(tx engines.Txn) error) Timed {
	p := sim.ProcFrom(ctx)
	start := p.Now()
	tx, err := s.Begin(ctx, o)
	if err != nil {
		return Timed{Err: err}
	}
	if err := body(tx); err != nil {
		if _, aborted := engines.AsAbort(err); !aborted {
			_ = tx.Rollback(ctx)
		}
		return Timed{Err: err, Stmts: p.Now() - start, Total: p.Now() - start}
	}
	mid := p.Now()
	p.Sleep(pause, sim.CatOther)
	cstart, before := p.Now(), p.Ledger()
	err = tx.Commit(ctx)
	out := Timed{Stmts: mid - start, Commit: p.Now() - cstart, Total: p.Now() - start, CommitLedger: p.Ledger().Sub(before), Err: err}
	if it, ok := tx.(engines.InfoTxn); ok {
		out.Info = it.Info()
	}
	return out
}

// RW and RO are the options of a read-write and a read-only transaction.
var RW, RO = engines.TxnOptions{}, engines.TxnOptions{ReadOnly: true}

// ReadValue reads one row's value in a read-only transaction.
func ReadValue(t testing.TB, ctx context.Context, s engines.Session, k int) int64 {
	var v int64
	Must(t, RunTxn(ctx, s, RO, func(tx engines.Txn) error {
		r, _, err := tx.Get(ctx, Table, Key(k))
		if err == nil {
			v = r[1].Int()
		}
		return err
	}).Err)
	return v
}

// Increments has clients clients (spread over azs) each increment kv's
// key k each times by read-modify-write, retrying every abort, and returns
// the final value (read a virtual minute later) and the aborts by reason.
func Increments[E engines.Engine](t testing.TB, w *Sim[E], k, clients, each int, azs ...string) (int64, map[engines.Reason]int) {
	count := map[engines.Reason]int{}
	for i := range clients {
		w.Client(t, i, azs[i%len(azs)], func(ctx context.Context, s engines.Session) {
			for range each {
				for _, r := range Retry(t, ctx, s, RW, func(tx engines.Txn) error {
					r, _, err := tx.Get(ctx, Table, Key(k))
					if err != nil {
						return err
					}
					return tx.Update(ctx, Table, Key(k), engines.Set{Col: 1, Val: engines.Int(r[1].Int() + 1)})
				}) {
					count[r]++
				}
			}
		})
	}
	var final int64
	w.Client(t, 1000, azs[0], func(ctx context.Context, s engines.Session) {
		sim.ProcFrom(ctx).Sleep(time.Minute, sim.CatOther)
		final = ReadValue(t, ctx, s, k)
	})
	w.Run()
	return final, count
}

// Retry runs body as one logical transaction until it commits, keeping
// the first attempt's start as its priority and backing off between
// attempts (what the runner does); it returns the abort reasons seen.
func Retry(t testing.TB, ctx context.Context, s engines.Session, o engines.TxnOptions, body func(tx engines.Txn) error) []engines.Reason {
	p := sim.ProcFrom(ctx)
	o.FirstStart = p.Now()
	var reasons []engines.Reason
	for attempt := 1; ; attempt++ {
		o.Attempt = attempt
		err := RunTxn(ctx, s, o, body).Err
		if err == nil {
			return reasons
		}
		a, ok := engines.AsAbort(err)
		if !ok || !a.Retryable {
			t.Errorf("attempt %d: %v", attempt, err)
			return reasons
		}
		reasons = append(reasons, a.Reason)
		p.Sleep(time.Duration(attempt)*100*time.Microsecond, sim.CatBackoff)
	}
}

// Updates sets each key's value in tb to the key plus 100.
func Updates(ctx context.Context, tb *engines.Table, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if err := tx.Update(ctx, tb, Key(k), engines.Set{Col: 1, Val: engines.Int(int64(k) + 100)}); err != nil {
				return err
			}
		}
		return nil
	}
}

// Reads reads each key of tb.
func Reads(ctx context.Context, tb *engines.Table, keys ...int) func(engines.Txn) error {
	return func(tx engines.Txn) error {
		for _, k := range keys {
			if _, _, err := tx.Get(ctx, tb, Key(k)); err != nil {
				return err
			}
		}
		return nil
	}
}

// runtime is what a script needs from where the engine runs: clients
// that run concurrently, one-shot events, and a wait with a timeout —
// processes and futures in virtual time, or goroutines and channels in
// wall time.
type runtime interface {
	spawn(name string, body func(ctx context.Context))
	event() event
	now(ctx context.Context) time.Duration
	// run returns once every spawned body has ended (false if some never
	// did).
	run() bool
}

type event interface {
	set()
	// wait blocks until the event is set (true) or, when timeout > 0, the
	// timeout passes (false).
	wait(ctx context.Context, timeout time.Duration) bool
}

type simRuntime struct {
	k       *sim.Kernel
	running int
}

type simEvent struct{ f *sim.Future[struct{}] }

func (r *simRuntime) spawn(name string, body func(ctx context.Context)) {
	r.running++
	r.k.Spawn(name, func(p *sim.Proc) {
		body(sim.WithProc(context.Background(), p))
		r.running--
	})
}
func (r *simRuntime) event() event                          { return simEvent{sim.NewFuture[struct{}](r.k)} }
func (r *simRuntime) now(ctx context.Context) time.Duration { return sim.ProcFrom(ctx).Now() }
func (r *simRuntime) run() bool {
	r.k.Run(10 * time.Minute)
	return r.running == 0
}

func (e simEvent) set() {
	if !e.f.Done() {
		e.f.Set(struct{}{})
	}
}

func (e simEvent) wait(ctx context.Context, timeout time.Duration) bool {
	p := sim.ProcFrom(ctx)
	if timeout <= 0 {
		sim.Await(p, e.f, sim.CatOther)
		return true
	}
	_, ok := sim.AwaitTimeout(p, e.f, timeout, sim.CatOther)
	return ok
}

type wallRuntime struct {
	start time.Time
	wg    sync.WaitGroup
	limit time.Duration
}

type wallEvent struct {
	once sync.Once
	c    chan struct{}
}

func (r *wallRuntime) spawn(_ string, body func(ctx context.Context)) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		body(context.Background())
	}()
}
func (r *wallRuntime) event() event                      { return &wallEvent{c: make(chan struct{})} }
func (r *wallRuntime) now(context.Context) time.Duration { return time.Since(r.start) }
func (r *wallRuntime) run() bool {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(r.limit):
		return false
	}
}

func (e *wallEvent) set() { e.once.Do(func() { close(e.c) }) }

func (e *wallEvent) wait(_ context.Context, timeout time.Duration) bool {
	if timeout <= 0 {
		<-e.c
		return true
	}
	select {
	case <-e.c:
		return true
	case <-time.After(timeout):
		return false
	}
}

// CheckGetInto checks a session's engines.GetInto against Get: the same
// row, unpacked into the buffer when the transaction is an
// engines.IntoGetter (a read-write and a read-only transaction, on rows
// 1 and 2 of Table; row 2 also after the transaction updated it, when the
// row is its own write). With engines.Discard for the buffer it must find
// what Get finds, rows and a missing key alike, and return Discard for a
// row from storage.
func CheckGetInto(t testing.TB, ctx context.Context, s engines.Session) {
	for _, ro := range []bool{false, true} {
		tx, err := s.Begin(ctx, engines.TxnOptions{ReadOnly: ro})
		Must(t, err)
		_, into := tx.(engines.IntoGetter)
		if !into {
			t.Errorf("%T is not an engines.IntoGetter", tx)
		}
		check := func(k int, own bool) {
			want, ok, err := tx.Get(ctx, Table, Key(k))
			Must(t, err)
			dst := make(engines.Row, len(want)+1)
			for i := range dst {
				dst[i] = engines.String("dirty")
			}
			got, gotOK, err := engines.GetInto(ctx, tx, Table, Key(k), dst)
			Must(t, err)
			if !ok || !gotOK || Ints([]engines.Row{got}) != Ints([]engines.Row{want}) {
				t.Errorf("read-only %v, key %d: GetInto %v %v, Get %v %v", ro, k, got, gotOK, want, ok)
			}
			if into && !own && &got[0] != &dst[0] {
				t.Errorf("read-only %v, key %d: GetInto did not unpack into the buffer", ro, k)
			}
			for _, k := range []int{k, 1 << 40} {
				_, ok, err := tx.Get(ctx, Table, Key(k))
				Must(t, err)
				got, gotOK, err := engines.GetInto(ctx, tx, Table, Key(k), engines.Discard)
				Must(t, err)
				if gotOK != ok || into && ok && !own && (len(got) != 0 || cap(got) != 0) {
					t.Errorf("read-only %v, key %d: GetInto(Discard) %v %v, Get found it: %v", ro, k, got, gotOK, ok)
				}
			}
		}
		check(1, false)
		if !ro {
			Must(t, tx.Update(ctx, Table, Key(2), engines.Set{Col: 1, Val: engines.Int(7)}))
		}
		check(2, !ro)
		Must(t, tx.Commit(ctx))
	}
}
