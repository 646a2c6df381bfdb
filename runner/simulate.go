package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// Run executes one run as cfg describes and returns its result. When ctx is
// cancelled (Ctrl-C) the run stops early and the result, marked Partial,
// covers what finished.
//
// Every option is checked before any work starts (Resolve); an error in
// them is a BadInput.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r, err := Resolve(cfg)
	if err != nil {
		return nil, err
	}
	if !r.Engine.Simulated {
		return runReal(ctx, r)
	}
	return runSimulated(ctx, r)
}

// Lookup finds the engine and the workload cfg names; errors name the flag.
func Lookup(cfg Config) (*engines.Meta, *workloads.Meta, error) {
	em, err := engines.Lookup(cfg.Engine)
	if err != nil {
		return nil, nil, fmt.Errorf("--engine: %w", err)
	}
	wm, err := workloads.Lookup(cfg.Workload)
	if err != nil {
		return nil, nil, fmt.Errorf("--workload: %w", err)
	}
	return em, wm, nil
}

// simClock is the virtual-time runtime: the calling process comes from ctx.
type simClock struct{ k *sim.Kernel }

func (s simClock) now(context.Context) time.Duration { return s.k.Now() }
func (s simClock) sleep(ctx context.Context, d time.Duration, c sim.Category) error {
	sim.ProcFrom(ctx).Sleep(d, c)
	return nil
}
func (s simClock) ledger(ctx context.Context) (sim.Ledger, bool) {
	return sim.ProcFrom(ctx).Ledger(), true
}

// Simulation is a prepared simulated run: the kernel, cluster, engine and
// loaded workload, before any client starts. Tests use it to drive engines
// directly; Run uses it for whole runs.
type Simulation struct {
	Kernel   *sim.Kernel
	Cluster  *sim.Cluster
	Engine   engines.Engine
	Workload workloads.Workload
	Schema   *engines.Schema
	Topology *sim.Topology
	Epsilon  string
}

// NewSimulation builds the cluster, the engine and the workload of a
// resolved configuration and loads the initial data.
func NewSimulation(ctx context.Context, r *Resolved) (*Simulation, error) {
	cfg, em, wm := r.Config, r.Engine, r.Workload
	topoName := cfg.Topology
	if topoName == "" {
		topoName = em.DefaultTopology
	}
	if topoName == "" {
		topoName = "region-3az"
	}
	topo, err := sim.LoadTopology(topoName)
	if err != nil {
		return nil, fmt.Errorf("--topology: %w", err)
	}
	if cfg.RTTScale != 1 && cfg.RTTScale > 0 {
		topo = topo.Scaled(cfg.RTTScale)
	}
	epsName := cfg.Epsilon
	if epsName == "" {
		epsName = em.DefaultEpsilon
	}
	eps, err := sim.ParseEpsilon(epsName)
	if err != nil {
		return nil, fmt.Errorf("--epsilon: %w", err)
	}
	k := sim.NewKernel(cfg.Seed)
	cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: cfg.Jitter, Epsilon: eps, NetDelay: cfg.NetDelay, MsgCPU: cfg.MsgCPU})
	// A simulated engine fails to build only on its options (a leader
	// region the topology lacks): bad input.
	eng, err := r.NewEngine(engines.Env{Sim: cl})
	if err != nil {
		return nil, badInput(err)
	}
	eng = engines.WithIndexes(eng)
	wl, err := r.NewWorkload()
	if err != nil {
		return nil, err
	}
	if err := checkMemory(wl); err != nil {
		return nil, badInput(err)
	}
	need, _ := loadBytes(wl)
	if err := reserveHugePages(need); err != nil {
		return nil, badInput(err)
	}
	schema := wl.Schema()
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("workload %s: schema: %w", wm.Name, err)
	}
	if err := eng.CreateSchema(ctx, schema); err != nil {
		return nil, err
	}
	// The simulated engine keeps every row it is loaded with: no
	// collection during the load (gcpause.go). Not for a real database,
	// whose load leaves only garbage here.
	resume := pauseGCForLoad()
	err = loadAll(ctx, wl, eng)
	resume()
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", wm.Name, err)
	}
	// Faults name the engine's nodes, so they are checked once it has placed
	// them; loading takes no virtual time, so fault times count from the
	// run's start.
	if len(cfg.Faults) > 0 {
		if err := sim.CheckFaults(cfg.Faults, cl, cfg.Warmup+cfg.Duration); err != nil {
			return nil, badInput(err)
		}
		cl.SetFaults(cfg.Faults)
	}
	return &Simulation{Kernel: k, Cluster: cl, Engine: eng, Workload: wl, Schema: schema, Topology: topo, Epsilon: epsName}, nil
}

// loadQueue is how many generated batches may wait for the engine.
const loadQueue = 8

// loadFunc is how initial rows reach an engine (engines.Engine.Load).
type loadFunc = func(ctx context.Context, t *engines.Table, rows []engines.Row) error

// loadAll loads the workload's initial rows and waits until the engine has
// stored them all (engines that load in the background implement Flusher).
func loadAll(ctx context.Context, wl workloads.Workload, eng engines.Engine) error {
	if err := loadImplicit(wl, eng); err != nil {
		return err
	}
	err := loadRows(ctx, wl, eng)
	if f, ok := eng.(engines.Flusher); ok {
		err = errors.Join(err, f.Flush(ctx))
	}
	return err
}

// loadRows hands the engine the workload's rows: packed by the workload
// when both can (workloads.PackedLoader, engines.PackedLoader), else as
// rows, their batches recycled when the engine copies them.
func loadRows(ctx context.Context, wl workloads.Workload, eng engines.Engine) error {
	// Room for the batches that can be out at once (queued, being loaded,
	// back but not yet refilled) when the workload fills one at a time
	// (ycsb); a batch done has no room for is dropped, to the collector,
	// as without recycling (tpcc's several tables).
	const room = loadQueue + 2
	if pw, ok := wl.(workloads.PackedLoader); ok && pw.LoadsPacked() {
		if pl, ok := engines.LoadsPacked(eng); ok {
			done := make(chan []engines.PackedRow, room)
			generate := func(ctx context.Context, load func(context.Context, *engines.Table, []engines.PackedRow) error) error {
				return pw.LoadPacked(ctx, load, done)
			}
			return pipeline(ctx, generate, pl.LoadPacked, done)
		}
	}
	generate := wl.Load
	var done chan []engines.Row
	if r, ok := wl.(workloads.Recycler); ok && engines.LoadCopies(eng) {
		done = make(chan []engines.Row, room)
		generate = func(ctx context.Context, load loadFunc) error { return r.LoadRecycling(ctx, load, done) }
	}
	return pipeline(ctx, generate, eng.Load, done)
}

// loadImplicit hands the engine the workload's implicit rows, if it has
// any (ycsb --implicit-rows).
func loadImplicit(wl workloads.Workload, eng engines.Engine) error {
	im, ok := wl.(workloads.Implicit)
	if !ok {
		return nil
	}
	t, row := im.ImplicitRows()
	if t == nil {
		return nil
	}
	il, ok := engines.Unwrap(eng).(engines.ImplicitLoader)
	if !ok {
		return badInput(errors.New("--implicit-rows: this engine stores only the rows it is loaded with"))
	}
	if err := il.LoadImplicit(t, row); err != nil {
		return badInput(fmt.Errorf("--implicit-rows: %w", err))
	}
	return nil
}

// pipeline runs generate (a workload's Load) on a goroutine of its own and
// hands its batches to load on the caller's, so on two cores a load takes
// about the longer of the two instead of their sum. load receives the
// batches in the order they were generated, so what an engine stores is
// exactly what a one-goroutine load stores; a batch belongs to the engine
// once handed over (workloads.Workload.Load), so the generator never
// touches it again, unless done is not nil: then each batch load stored
// is sent on done, the generator's again (workloads.Recycler), or dropped
// if done is full. Loading happens before the simulation starts: nothing
// here runs inside it. The first error wins and stops the other side.
func pipeline[R any](ctx context.Context, generate func(context.Context, func(context.Context, *engines.Table, []R) error) error, load func(context.Context, *engines.Table, []R) error, done chan<- []R) error {
	// Only the generator's context is cancelled: an engine may keep the
	// one it is given for loading in the background (pg's parallel COPY,
	// until Flush).
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		t    *engines.Table
		rows []R
	}
	batches := make(chan batch, loadQueue)
	generated := make(chan error, 1)
	go func() {
		defer close(batches)
		generated <- generate(genCtx, func(genCtx context.Context, t *engines.Table, rows []R) error {
			select {
			case batches <- batch{t, rows}:
				return nil
			case <-genCtx.Done():
				return genCtx.Err()
			}
		})
	}()
	var err error
	for b := range batches {
		if err != nil {
			continue // drain until the generator sees the cancellation
		}
		if err = load(ctx, b.t, b.rows); err != nil {
			cancel()
			continue
		}
		if done != nil {
			select {
			case done <- b.rows:
			default:
			}
		}
	}
	if gerr := <-generated; err == nil {
		err = gerr
	}
	return err
}

// clientGroup returns how clients are grouped in the availability figures:
// by region in a multi-region topology, by AZ in a single region (where an
// AZ is what fails).
func (s *Simulation) clientGroup() func(az string) string {
	if len(s.Topology.FullRegions()) > 1 {
		return s.Topology.RegionOf
	}
	return func(az string) string { return az }
}

// ClientAZs lists where clients go, round robin: every AZ of every region
// that holds data, in topology order.
func (s *Simulation) ClientAZs() []string {
	var azs []string
	for _, r := range s.Topology.FullRegions() {
		azs = append(azs, r.AZs...)
	}
	return azs
}

func runSimulated(ctx context.Context, r *Resolved) (*Result, error) {
	cfg, em, wm := r.Config, r.Engine, r.Workload
	wallStart := time.Now()
	s, err := NewSimulation(ctx, r)
	if err != nil {
		return nil, err
	}
	k := s.Kernel
	defer k.Shutdown()
	total := cfg.Warmup + cfg.Duration
	rec := NewRecorder(s.Workload.TxnTypes(), cfg.Warmup, cfg.Interval)
	groupOf := s.clientGroup()
	if len(cfg.Faults) > 0 {
		var groups []string
		for _, az := range s.ClientAZs() {
			if g := groupOf(az); !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
		rec.EnableAvailability(cfg.AvailabilityInterval, cfg.Faults, groups)
	}
	var committed, active atomic.Int64
	record := func(f func(*Recorder)) { f(rec) }
	stopped := func() bool { return k.Now() >= total }

	azs := s.ClientAZs()
	if cfg.ClientRegion != "" {
		r := s.Topology.Region(cfg.ClientRegion)
		if r == nil || r.Witness {
			return nil, badInput(fmt.Errorf("--client-region: %q is not a region of topology %s that holds data", cfg.ClientRegion, s.Topology.Name))
		}
		azs = r.AZs
	}
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		az := azs[i%len(azs)]
		who := engines.Client{ID: i, Region: s.Topology.RegionOf(az), AZ: az}
		sess, err := s.Engine.Session(ctx, who)
		if err != nil {
			return nil, err
		}
		clients[i] = &client{
			group:  groupOf(az),
			reopen: func(ctx context.Context) (engines.Session, error) { return s.Engine.Session(ctx, who) },
			id:     i, cfg: &cfg, clk: simClock{k}, sess: sess,
			gen:     s.Workload.NewClient(i, sim.NewStream(cfg.Seed, fmt.Sprintf("client/%d", i))),
			rng:     sim.NewStream(cfg.Seed, fmt.Sprintf("backoff/%d", i)),
			rec:     record,
			commits: &committed,
			active:  &active,
			stopped: stopped,
		}
	}

	if cfg.Rate > 0 {
		startOpenLoop(ctx, k, cfg, clients, total)
	} else {
		for _, c := range clients {
			k.Spawn(fmt.Sprintf("client-%d", c.id), func(p *sim.Proc) {
				cctx := sim.WithProc(ctx, p)
				for !stopped() {
					t := c.gen.Next()
					keying, think := pacing(t)
					if keying > 0 {
						p.Sleep(keying, sim.CatThink)
						if stopped() {
							return
						}
					}
					intended := p.Now()
					c.execute(cctx, t, intended)
					if think += cfg.Think; think > 0 {
						p.Sleep(think, sim.CatThink)
					}
				}
			})
		}
	}

	// A watcher process reports progress and notices an interrupt; it only
	// reads state, so it cannot change the simulation's outcome.
	interrupted := false
	step := max(total/100, time.Millisecond)
	step = min(step, 100*time.Millisecond)
	k.Spawn("watcher", func(p *sim.Proc) {
		for {
			p.Sleep(step, sim.CatOther)
			if ctx.Err() != nil {
				interrupted = true
				k.Stop()
				return
			}
			if cfg.Progress != nil {
				cfg.Progress(p.Now(), total, committed.Load())
			}
		}
	})
	runStart, simStart, eventsBefore := time.Now(), k.Now(), k.Events()
	k.Run(total)
	speed := NewSimSpeed(k.Now()-simStart, time.Since(runStart), k.Events()-eventsBefore)

	measured := min(k.Now(), total) - cfg.Warmup
	if measured < 0 {
		measured = 0
	}
	res := &Result{
		Schema:    ResultSchema,
		Engine:    em.Name,
		Workload:  wm.Name,
		Seed:      cfg.Seed,
		Mode:      "simulated",
		Config:    configMap(r, s.Topology.Name, s.Epsilon),
		Partial:   interrupted,
		WarmupS:   cfg.Warmup.Seconds(),
		SimEvents: k.Events(),
		Notes: []string{
			fmt.Sprintf("topology %s, clock uncertainty %s, jitter %v", s.Topology.Name, s.Epsilon, cfg.Jitter),
		},
	}
	if cfg.NetDelay > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("added network delay %v one way", cfg.NetDelay))
	}
	if cfg.MsgCPU > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("every message costs %v of CPU at each end", cfg.MsgCPU))
	}
	if len(cfg.Faults) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("faults %s; attempt timeout %v, reconnect backoff %v", cfg.Faults.String(), cfg.timeout(), cfg.ReconnectBackoff))
	}
	if n, ok := s.Engine.(interface{ Notes() []string }); ok {
		res.Notes = append(res.Notes, n.Notes()...)
	}
	rec.Fill(res, measured)
	workloadReport(res, s.Workload, measured)
	res.Wall = NewWallFacts(wallStart, time.Since(wallStart))
	res.Wall.SimSpeed = speed
	// Observe and AfterRun run after the figures are final: whatever they
	// run in the simulation (a consistency check through Exec) cannot change
	// them. Transactions still in flight at the end finish first, so a check
	// sees a state no transaction is half-way through.
	// A history needs every attempt's outcome too: a write whose attempt
	// never finished would look, to the checker, like data nobody wrote.
	if (cfg.Observe != nil || cfg.AfterRun != nil || cfg.History != nil) && !interrupted {
		drain(k, &active)
	}
	if cfg.Observe != nil {
		cfg.Observe(s)
	}
	if cfg.AfterRun != nil {
		cfg.AfterRun(s.Workload, s.Exec)
	}
	return res, nil
}

// drain runs the simulation until no client is inside a transaction (no new
// one starts after the end), for at most drainLimit of virtual time.
func drain(k *sim.Kernel, active *atomic.Int64) {
	limit := k.Now() + drainLimit
	for active.Load() > 0 && k.Now() < limit && k.Pending() > 0 {
		k.Run(k.Now() + 10*time.Millisecond)
	}
}

// drainLimit bounds drain: a transaction still running after an hour of
// virtual time waits for something that will not come.
const drainLimit = time.Hour

// pacing returns a transaction's own keying and think times, if it has any
// (workloads.Paced).
func pacing(t workloads.Txn) (keying, think time.Duration) {
	if p, ok := t.(workloads.Paced); ok {
		return p.Pacing()
	}
	return 0, 0
}

// startOpenLoop schedules Poisson arrivals at cfg.Rate per second; each is
// served by the first free connection in order, and its latency counts from
// its arrival, so a backlog shows up in the figures instead of slowing the
// offered load (no coordinated omission).
func startOpenLoop(ctx context.Context, k *sim.Kernel, cfg Config, clients []*client, total time.Duration) {
	var queue []time.Duration
	var idle []*sim.Future[struct{}]
	arrivals := sim.NewStream(cfg.Seed, "arrivals")
	k.Spawn("arrivals", func(p *sim.Proc) {
		for {
			gap := time.Duration(arrivals.ExpFloat64() / cfg.Rate * float64(time.Second))
			p.Sleep(gap, sim.CatOther)
			if p.Now() >= total {
				return
			}
			queue = append(queue, p.Now())
			if len(idle) > 0 {
				f := idle[0]
				idle = idle[1:]
				f.Set(struct{}{})
			}
		}
	})
	for _, c := range clients {
		k.Spawn(fmt.Sprintf("conn-%d", c.id), func(p *sim.Proc) {
			cctx := sim.WithProc(ctx, p)
			for p.Now() < total {
				if len(queue) == 0 {
					f := sim.NewFuture[struct{}](k)
					idle = append(idle, f)
					sim.Await(p, f, sim.CatOther)
					continue
				}
				intended := queue[0]
				queue = queue[1:]
				c.execute(cctx, c.gen.Next(), intended)
			}
		})
	}
}

// configMap records the effective options of the run (see
// Resolved.Values), with the topology and clock uncertainty the simulated
// engine used when the run left them to its defaults.
func configMap(r *Resolved, topology, epsilon string) map[string]string {
	m := r.Values()
	if topology != "" {
		m["topology"], m["epsilon"] = topology, epsilon
	}
	return m
}
