package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// wallClock is the real-time runtime: clients are goroutines and time is
// the wall clock since the run started.
type wallClock struct {
	start time.Time
	done  <-chan struct{} // closed at the end of the run or on interrupt
}

func (w wallClock) now(context.Context) time.Duration { return time.Since(w.start) }
func (w wallClock) sleep(ctx context.Context, d time.Duration, _ sim.Category) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return context.Canceled
	}
}
func (wallClock) ledger(context.Context) (sim.Ledger, bool) { return sim.Ledger{}, false }

// runReal drives a real database in wall time. Transactions in flight when
// the time is up finish (they are counted); none start after it. An
// interrupt stops new transactions at once and marks the result partial.
func runReal(ctx context.Context, r *Resolved) (*Result, error) {
	cfg, em, wm := r.Config, r.Engine, r.Workload
	wallStart := time.Now()
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	parted := cfg.Partition.Count > 1
	wl, err := r.NewWorkload()
	if err != nil {
		return nil, err
	}
	eng, err := r.NewEngine(engines.Env{Log: log, Partitioned: parted, Partition: cfg.Partition.String(), StatementTimeout: cfg.StatementTimeout})
	if err != nil {
		return nil, err
	}
	eng = engines.WithIndexes(eng)
	defer eng.Close()
	schema := wl.Schema()
	if parted {
		pw, ok := wl.(workloads.Partitioned)
		if !ok {
			return nil, fmt.Errorf("--partition: workload %s cannot be split among processes", wm.Name)
		}
		if err := pw.SetPartition(cfg.Partition.Index, cfg.Partition.Count); err != nil {
			return nil, fmt.Errorf("--partition: %w", err)
		}
		schema = WithPartitionBarrier(schema)
	}
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("workload %s: schema: %w", wm.Name, err)
	}
	reused, err := reuse(ctx, r, eng, schema, log)
	if err != nil {
		return nil, err
	}
	if !reused {
		if err := prepareData(ctx, r, eng, wl, schema, log); err != nil {
			return nil, err
		}
	}

	total := cfg.Warmup + cfg.Duration
	rec := NewRecorder(wl.TxnTypes(), cfg.Warmup, cfg.Interval)
	killer, err := realFaults(cfg, eng)
	if err != nil {
		return nil, err
	}
	if len(cfg.Faults) > 0 {
		rec.EnableAvailability(cfg.AvailabilityInterval, cfg.Faults, []string{realGroup})
	}
	var mu sync.Mutex // the Recorder is not safe for concurrent use
	record := func(f func(*Recorder)) { mu.Lock(); f(rec); mu.Unlock() }
	var committed atomic.Int64

	done := make(chan struct{})
	cpuBefore := processCPU()
	clk := wallClock{start: time.Now(), done: done}
	interrupted := false
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return clk.now(ctx) >= total
		}
	}
	var clients []*client
	for i := range cfg.Clients {
		if parted && i%cfg.Partition.Count != cfg.Partition.Index {
			continue // another process drives this client
		}
		sess, err := eng.Session(ctx, engines.Client{ID: i})
		if err != nil {
			return nil, err
		}
		defer sess.Close()
		clients = append(clients, &client{
			id: i, cfg: &cfg, clk: clk, sess: sess, group: realGroup,
			gen: wl.NewClient(i, sim.NewStream(cfg.Seed, fmt.Sprintf("client/%d", i))),
			rng: sim.NewStream(cfg.Seed, fmt.Sprintf("backoff/%d", i)),
			rec: func(f func(*Recorder)) {
				record(f)
			},
			commits: &committed,
			stopped: stopped,
		})
	}
	if len(clients) == 0 {
		return nil, fmt.Errorf("--partition %s: no client falls to this process (--clients %d)", cfg.Partition, cfg.Clients)
	}

	var wg sync.WaitGroup
	if cfg.Rate > 0 {
		arrivals := make(chan time.Duration, 1<<16)
		go func() {
			defer close(arrivals)
			rng := sim.NewStream(cfg.Seed, "arrivals")
			next := time.Duration(0)
			for {
				next += time.Duration(rng.ExpFloat64() / cfg.Rate * float64(time.Second))
				if next >= total || clk.sleep(ctx, next-clk.now(ctx), sim.CatOther) != nil {
					return
				}
				arrivals <- next
			}
		}()
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for intended := range arrivals {
					if stopped() {
						continue // drain: arrivals after the end are not run
					}
					c.execute(ctx, c.gen.Next(), intended)
				}
			}()
		}
	} else {
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stopped() {
					t := c.gen.Next()
					keying, think := pacing(t)
					if keying > 0 && (clk.sleep(ctx, keying, sim.CatThink) != nil || stopped()) {
						return
					}
					c.execute(ctx, t, clk.now(ctx))
					if think += cfg.Think; think > 0 && clk.sleep(ctx, think, sim.CatThink) != nil {
						return
					}
				}
			}()
		}
	}
	var killNotes []string
	var kills sync.WaitGroup
	for _, f := range cfg.Faults {
		kills.Add(1)
		go func() {
			defer kills.Done()
			if clk.sleep(ctx, f.Start-clk.now(ctx), sim.CatOther) != nil {
				return
			}
			n, err := killer.KillConnections(ctx)
			note := fmt.Sprintf("%s: %d of the run's backends terminated", f, n)
			if err != nil {
				note = fmt.Sprintf("%s: %v", f, err)
			}
			mu.Lock()
			killNotes = append(killNotes, note)
			mu.Unlock()
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); kills.Wait(); close(finished) }()

	// Progress line per interval; stop at the end or on interrupt.
	ticker := time.NewTicker(cfg.Interval)
	defer ticker.Stop()
	timer := time.NewTimer(total)
	defer timer.Stop()
	last := int64(0)
wait:
	for {
		select {
		case <-finished:
			break wait
		case <-timer.C:
			close(done)
			<-finished
			break wait
		case <-ctx.Done():
			interrupted = true
			close(done)
			<-finished
			break wait
		case <-ticker.C:
			n := committed.Load()
			mu.Lock()
			line := rec.progressLine(clk.now(ctx), n-last)
			mu.Unlock()
			last = n
			fmt.Fprintln(log, line)
		}
	}
	elapsed := clk.now(ctx)
	cpu := processCPU() - cpuBefore
	measured := max(elapsed-cfg.Warmup, 0)
	if !interrupted {
		measured = cfg.Duration + (elapsed - total) // in-flight transactions finished after the end
	}
	res := &Result{
		Schema:   ResultSchema,
		Engine:   em.Name,
		Workload: wm.Name,
		Seed:     cfg.Seed,
		Mode:     "real",
		Config:   configMap(r, "", ""),
		Partial:  interrupted,
	}
	if r, ok := eng.(interface{ Notes() []string }); ok {
		res.Notes = r.Notes()
	}
	if d, ok := eng.(engines.Describer); ok {
		maps.Copy(res.Config, d.Settings())
	}
	slices.Sort(killNotes)
	res.Notes = append(res.Notes, killNotes...)
	rec.Fill(res, measured)
	workloadReport(res, wl, measured)
	res.Wall = NewWallFacts(wallStart, time.Since(wallStart))
	res.Wall.ClientCPUSeconds = round3(cpu.Seconds())
	if cfg.AfterRun != nil {
		cfg.AfterRun(wl, func(ctx context.Context, fn func(context.Context, engines.Session) error) error {
			sess, err := eng.Session(ctx, engines.Client{ID: -1})
			if err != nil {
				return err
			}
			defer sess.Close()
			return fn(ctx, sess)
		})
	}
	return res, nil
}

// reuse keeps a previous load when --reuse is set and the engine finds the
// tables hold exactly this workload's load.
func reuse(ctx context.Context, rs *Resolved, eng engines.Engine, schema *engines.Schema, log io.Writer) (bool, error) {
	cfg := rs.Config
	if !cfg.Reuse {
		return false, nil
	}
	r, ok := eng.(engines.Reuser)
	if !ok {
		return false, fmt.Errorf("--reuse: engine %s cannot keep data between runs", cfg.Engine)
	}
	if cfg.Partition.Count > 1 {
		return false, errors.New("--reuse: a partitioned run always loads its share (run bench cleanup first)")
	}
	fp := rs.DataFingerprint()
	ok, why, err := r.Reuse(ctx, schema, fp)
	if err != nil {
		return false, fmt.Errorf("--reuse: %w", err)
	}
	if ok {
		fmt.Fprintf(log, "reusing the loaded data (%s)\n", fp)
	} else {
		fmt.Fprintf(log, "--reuse: loading afresh: %s\n", why)
	}
	return ok, nil
}

// prepareData creates the tables and loads them (a partitioned run: this
// process's share, then the barrier), and records the load for --reuse.
func prepareData(ctx context.Context, rs *Resolved, eng engines.Engine, wl workloads.Workload, schema *engines.Schema, log io.Writer) error {
	cfg, wm := rs.Config, rs.Workload
	parted := cfg.Partition.Count > 1
	if err := eng.CreateSchema(ctx, schema); err != nil {
		return err
	}
	var bar *barrierSession
	if parted {
		var err error
		if bar, err = openBarrier(ctx, eng, schema, cfg.Partition); err != nil {
			return err
		}
		defer bar.close()
		if err := bar.checkFresh(); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "loading %s ...\n", wm.Name)
	loadStart := time.Now()
	if err := loadAll(ctx, wl, eng); err != nil {
		return fmt.Errorf("loading %s: %w", wm.Name, err)
	}
	fmt.Fprintf(log, "loaded in %v\n", time.Since(loadStart).Round(time.Millisecond))
	if parted {
		return bar.arrive(log)
	}
	if r, ok := eng.(engines.Reuser); ok {
		if err := r.MarkLoaded(ctx, schema, rs.DataFingerprint()); err != nil {
			fmt.Fprintf(log, "could not record the load for --reuse: %v\n", err)
		}
	}
	return nil
}

// processCPU is this process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// realGroup is the one client group of a run against a real database.
const realGroup = "clients"

// connectionKiller is an engine that can end its own run's connections
// (pg: pg_terminate_backend on its application_name).
type connectionKiller interface {
	KillConnections(ctx context.Context) (int, error)
}

// realFaults checks the faults of a run against a real database: only
// kill-connections applies, and the engine must support it.
func realFaults(cfg Config, eng engines.Engine) (connectionKiller, error) {
	if len(cfg.Faults) == 0 {
		return nil, nil
	}
	for _, f := range cfg.Faults {
		if f.Kind != sim.FaultKillConnections {
			return nil, fmt.Errorf("--fault %s: a real database takes kill-connections only; crashes, partitions, slow links and ε apply to simulated engines", f)
		}
	}
	k, ok := eng.(connectionKiller)
	if !ok {
		return nil, fmt.Errorf("--fault %s: engine %s cannot end its connections", cfg.Faults[0], cfg.Engine)
	}
	return k, nil
}
