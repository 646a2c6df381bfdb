package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/dsn"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// Run executes one run as cfg describes and returns its result. When ctx is
// cancelled (Ctrl-C) the run stops early and the result, marked Partial,
// covers what finished.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	em, wm, err := Lookup(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Flags == nil {
		cfg.Flags = NewFlagSet()
	}
	if !em.Simulated {
		if cfg.NetDelay > 0 || cfg.OneShot {
			return nil, fmt.Errorf("--net-delay and --one-shot: %s is a real database; they apply to simulated engines", em.Name)
		}
		return runReal(ctx, cfg, em, wm)
	}
	if cfg.Partition.Count > 1 {
		return nil, fmt.Errorf("--partition: %s is simulated in one process; partitions split a real database's load among machines", em.Name)
	}
	return runSimulated(ctx, cfg, em, wm)
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

// NewSimulation builds the cluster, the engine and the workload and loads
// the initial data.
func NewSimulation(ctx context.Context, cfg Config, em *engines.Meta, wm *workloads.Meta) (*Simulation, error) {
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
	cl := sim.NewCluster(k, topo, sim.ClusterConfig{Jitter: cfg.Jitter, Epsilon: eps, NetDelay: cfg.NetDelay})
	eng, err := em.New(engines.Env{Seed: cfg.Seed, Sim: cl, Flags: cfg.Flags})
	if err != nil {
		return nil, err
	}
	wl, err := wm.New(cfg.Flags, cfg.Seed)
	if err != nil {
		return nil, err
	}
	schema := wl.Schema()
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("workload %s: schema: %w", wm.Name, err)
	}
	if err := eng.CreateSchema(ctx, schema); err != nil {
		return nil, err
	}
	if err := loadAll(ctx, wl, eng); err != nil {
		return nil, fmt.Errorf("loading %s: %w", wm.Name, err)
	}
	// Faults name the engine's nodes, so they are checked once it has placed
	// them; loading takes no virtual time, so fault times count from the
	// run's start.
	if len(cfg.Faults) > 0 {
		if err := sim.CheckFaults(cfg.Faults, cl, cfg.Warmup+cfg.Duration); err != nil {
			return nil, err
		}
		cl.SetFaults(cfg.Faults)
	}
	return &Simulation{Kernel: k, Cluster: cl, Engine: eng, Workload: wl, Schema: schema, Topology: topo, Epsilon: epsName}, nil
}

// loadAll loads the workload's initial rows and waits until the engine has
// stored them all (engines that load in the background implement Flusher).
func loadAll(ctx context.Context, wl workloads.Workload, eng engines.Engine) error {
	err := wl.Load(ctx, eng.Load)
	if f, ok := eng.(engines.Flusher); ok {
		err = errors.Join(err, f.Flush(ctx))
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

func runSimulated(ctx context.Context, cfg Config, em *engines.Meta, wm *workloads.Meta) (*Result, error) {
	wallStart := time.Now()
	s, err := NewSimulation(ctx, cfg, em, wm)
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
		Config:    configMap(cfg, s.Topology.Name, s.Epsilon),
		Partial:   interrupted,
		WarmupS:   cfg.Warmup.Seconds(),
		SimEvents: k.Events(),
		Notes: []string{
			fmt.Sprintf("topology %s, clock uncertainty %s, jitter %v", s.Topology.Name, s.Epsilon, cfg.Jitter),
		},
	}
	if cfg.NetDelay > 0 || cfg.OneShot {
		res.Notes = append(res.Notes, fmt.Sprintf("added network delay %v one way, one-shot transactions %v", cfg.NetDelay, cfg.OneShot))
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
	if (cfg.Observe != nil || cfg.AfterRun != nil) && !interrupted {
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

// configMap records every option (flag name → value) so a run can be
// repeated from its results file: the run's own settings, then the engine's
// and workload's options. Options that only steer output are left out.
func configMap(cfg Config, topology, epsilon string) map[string]string {
	m := map[string]string{
		"engine":       cfg.Engine,
		"workload":     cfg.Workload,
		"seed":         fmt.Sprint(cfg.Seed),
		"clients":      fmt.Sprint(cfg.Clients),
		"rate":         fmt.Sprint(cfg.Rate),
		"think":        cfg.Think.String(),
		"warmup":       cfg.Warmup.String(),
		"duration":     cfg.Duration.String(),
		"interval":     cfg.Interval.String(),
		"max-attempts": fmt.Sprint(cfg.MaxAttempts),
		"backoff":      cfg.Backoff.String(),
		"backoff-max":  cfg.BackoffMax.String(),
	}
	if cfg.Partition.Count > 1 {
		m["partition"] = cfg.Partition.String()
	}
	// Fault options appear only in runs that use them, so that the results
	// of runs without faults stay as they were.
	if len(cfg.Faults) > 0 {
		m["fault"] = cfg.Faults.String()
		m["reconnect-backoff"] = cfg.ReconnectBackoff.String()
		m["availability-interval"] = cfg.AvailabilityInterval.String()
	}
	if d := cfg.timeout(); d > 0 {
		m["txn-timeout"] = d.String()
	}
	if topology != "" { // simulated runs
		m["topology"], m["epsilon"] = topology, epsilon
		m["jitter"], m["rtt-scale"] = fmt.Sprint(cfg.Jitter), fmt.Sprint(cfg.RTTScale)
		m["net-delay"] = cfg.NetDelay.String()
		if cfg.OneShot {
			m["one-shot"] = "true"
		}
	}
	skip := map[string]bool{"out": true, "config": true, "quiet": true, "help": true,
		"check": true, "load-only": true, "cpuprofile": true,
		"fault": true, "txn-timeout": true, "reconnect-backoff": true, "availability-interval": true}
	cfg.Flags.VisitAll(func(f *pflag.Flag) {
		if _, set := m[f.Name]; set || skip[f.Name] {
			return
		}
		v := f.Value.String()
		if _, secret := f.Annotations[dsn.SecretAnnotation]; secret {
			v = dsn.Redact(v)
		}
		m[f.Name] = v
	})
	return m
}

// NewFlagSet returns a flag set with every engine's and workload's options
// at their defaults, for programs that call Run without the CLI.
func NewFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("txbench", pflag.ContinueOnError)
	engines.RegisterFlags(fs)
	workloads.RegisterFlags(fs)
	return fs
}
