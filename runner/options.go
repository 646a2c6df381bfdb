package runner

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/sim"
	"github.com/txbench/txbench/workloads"
)

// Owners of the runner's option groups, as help and errors name them.
const (
	OwnerRun       = "run"
	OwnerSimulator = "simulated engines"
	OwnerReal      = "real databases"
)

// Upper bounds of the runner's options: what one machine can serve. A
// simulated run holds every client as a coroutine and a real run as a
// goroutine with a connection; arrivals beyond maxRate per second would
// queue without bound.
const (
	maxClients  = 10000
	maxRate     = 1e6
	maxDuration = 24 * time.Hour
	// maxIntervals bounds the timeline (duration / interval).
	maxIntervals = 1_000_000
)

// Declare declares the runner's own options, bound to c's fields.
func (c *Config) Declare(s *option.Set) {
	s.String(&c.Engine, "engine", func(v string) error { _, err := engines.Lookup(v); return err }, "engine to run (see: bench engines)")
	s.String(&c.Workload, "workload", func(v string) error { _, err := workloads.Lookup(v); return err }, "workload to run (see: bench workloads)")
	s.Uint64(&c.Seed, "seed", 0, math.MaxUint64, "run seed: same seed and options give the same simulated result").ChangesData()
	s.Int(&c.Clients, "clients", 1, maxClients, "closed loop: concurrent clients; open loop: connections serving arrivals").WithUnit("clients")
	s.Float(&c.Rate, "rate", 0, maxRate, "open loop: Poisson arrivals per second (0 = closed loop)").WithUnit("txn/s")
	s.Duration(&c.Think, "think", 0, time.Hour, "closed loop: think time between a client's transactions")
	s.Duration(&c.Warmup, "warmup", 0, maxDuration, "time excluded from the summary at the start")
	s.Duration(&c.Duration, "duration", time.Millisecond, maxDuration, "measured time after warmup (virtual time for simulated engines)")
	s.Duration(&c.Interval, "interval", time.Millisecond, time.Hour, "timeline resolution")
	s.Int(&c.MaxAttempts, "max-attempts", 1, 1000, "attempts per transaction before giving up (retryable aborts only)").WithUnit("attempts")
	s.Duration(&c.Backoff, "backoff", 0, time.Minute, "first retry backoff; doubles per retry, full jitter")
	s.Duration(&c.BackoffMax, "backoff-max", 0, time.Hour, "retry backoff cap")
	s.Custom("fault", "fault", func(v string) error {
		c.Faults = nil
		for _, f := range strings.Fields(v) {
			if err := c.Faults.Set(f); err != nil {
				return err
			}
		}
		return nil
	}, c.Faults.String, "schedule a failure, repeatable: KIND:TARGET@START[+DURATION] with kinds crash, partition, slow, epsilon= "+
		"(simulated; pg: kill-connections); see bench run --help's list").Repeated()
	s.Duration(&c.TxnTimeout, "txn-timeout", 0, time.Hour, "client-side attempt timeout, as a driver's statement timeout: a timed-out attempt fails as timeout(57014) "+
		"and is retried on a new connection (0 = none; runs with --fault default to "+DefaultFaultTimeout.String()+")")
	s.Duration(&c.StatementTimeout, "statement-timeout", 0, time.Hour, "per-statement timeout, as PostgreSQL's statement_timeout: a statement still running after it "+
		"aborts its transaction as statement-timeout(57014), which is retried (0 = none; pg: set on every connection)")
	s.Duration(&c.ReconnectBackoff, "reconnect-backoff", 0, time.Minute, "first wait before reconnecting after a timeout; doubles per consecutive timeout, full jitter")
	s.Duration(&c.AvailabilityInterval, "availability-interval", time.Millisecond, time.Hour, "resolution of the availability timeline (runs with --fault)")
	s.Rule(func() error {
		var errs []error
		for _, f := range c.Faults {
			if end := c.Warmup + c.Duration; f.Start >= end {
				errs = append(errs, fmt.Errorf("--fault %s: starts at %v, after the run ends at %v", f, f.Start, end))
			}
		}
		if c.BackoffMax < c.Backoff {
			errs = append(errs, fmt.Errorf("--backoff-max (%v) must be at least --backoff (%v)", c.BackoffMax, c.Backoff))
		}
		if n := (c.Warmup + c.Duration) / c.Interval; n > maxIntervals {
			errs = append(errs, fmt.Errorf("--interval %v: the run would have %d intervals, at most %d are kept; use a longer --interval", c.Interval, n, maxIntervals))
		}
		return errors.Join(errs...)
	})
}

// DeclareSimulator declares the options of the simulated cluster; they
// apply to simulated engines only.
func (c *Config) DeclareSimulator(s *option.Set) {
	s.String(&c.Topology, "topology", func(v string) error {
		if v == "" {
			return nil
		}
		_, err := sim.LoadTopology(v)
		return err
	}, "simulated cluster: single-az, region-3az, us-3, global-3, zones-5 or a YAML file (default: the engine's)")
	s.Bool(&c.Jitter, "jitter", "log-normal network jitter (--jitter=false: every message takes half the median RTT)")
	s.String(&c.Epsilon, "epsilon", func(v string) error { _, err := sim.ParseEpsilon(v); return err },
		fmt.Sprintf("clock uncertainty ε, e.g. 20us, 4ms or sawtooth:1ms-7ms/30s, at most %v (default: the engine's)", sim.MaxEpsilon))
	s.Float(&c.RTTScale, "rtt-scale", 0.001, 1000, "multiply every network round trip by this factor")
	s.Duration(&c.NetDelay, "net-delay", 0, 10*time.Second, "add this one-way delay to every message between two simulated nodes (Deneva's network-delay experiment)")
	s.Duration(&c.MsgCPU, "msg-cpu", 0, time.Second, "CPU a message between two simulated nodes costs its sender and its receiver (0: messages cost no CPU)")
	s.Bool(&c.OneShot, "one-shot", "run each transaction as one request (a stored procedure, as Deneva's): no client round trip per statement, "+
		"one reply with the outcome; ycsb's read-modify-writes become updates without a read first")
	s.String(&c.ClientRegion, "client-region", nil, "place every client in this region (default: round robin over every region that holds data)")
}

// DeclareReal declares the options that apply to real databases only.
func (c *Config) DeclareReal(s *option.Set) {
	s.Bool(&c.Reuse, "reuse", "keep the data a previous run loaded when it is verified to be this workload's load, unchanged")
	s.Custom("partition", "i/n", c.Partition.Set, c.Partition.String,
		"drive share i of n (clients with id ≡ i mod n, and the workload's share of keys); run n processes and bench merge their results")
}

// Catalog returns every option set with its defaults: the runner's groups,
// then each engine's, then each workload's. The CLI derives its flags and
// help from it; Resolve names an option's owners from it.
func Catalog() []*option.Set {
	d := DefaultConfig()
	sets := runnerSets(&d)
	for _, m := range engines.All() {
		s, _ := engines.DeclareOptions(m)
		sets = append(sets, s)
	}
	for _, m := range workloads.All() {
		s, _ := workloads.DeclareOptions(m)
		sets = append(sets, s)
	}
	return sets
}

func runnerSets(c *Config) []*option.Set {
	run, simulated, real := option.NewSet(OwnerRun), option.NewSet(OwnerSimulator), option.NewSet(OwnerReal)
	c.Declare(run)
	c.DeclareSimulator(simulated)
	c.DeclareReal(real)
	return []*option.Set{run, simulated, real}
}

// Owners lists the owners that declare an option (e.g. "engine occ").
func Owners(catalog []*option.Set, name string) []string {
	var out []string
	for _, s := range catalog {
		if s.Lookup(name) != nil {
			out = append(out, s.Owner())
		}
	}
	return out
}

// BadInput marks an error in the options of a run (the CLI exits 2); other
// errors happened while running (exit 1).
type BadInput struct{ Err error }

func (b BadInput) Error() string { return b.Err.Error() }
func (b BadInput) Unwrap() error { return b.Err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return BadInput{err}
}

// Resolved is a run's configuration with every option set and checked:
// the engine and workload it names, the option sets that apply to it and
// the builders of the engine and workload.
type Resolved struct {
	Config   Config
	Engine   *engines.Meta
	Workload *workloads.Meta
	// Sets are the option sets that apply: the runner's, the simulator's
	// or the real databases', the engine's and the workload's.
	Sets        []*option.Set
	newEngine   engines.Builder
	newWorkload workloads.Builder
}

// Resolve applies cfg.Options on top of cfg's fields and the engine's and
// workload's defaults, and checks every value against its declaration.
// An option that the chosen engine and workload do not declare is refused,
// naming who does; so is a simulator option on a real database and the
// other way round. Every problem is returned at once, as a BadInput.
func Resolve(cfg Config) (*Resolved, error) {
	r := &Resolved{Config: cfg}
	c := &r.Config
	run := runnerSets(c)
	// The engine and workload options choose the other sets: set them first.
	var errs []error
	for _, name := range []string{"engine", "workload"} {
		if v, ok := cfg.Options[name]; ok {
			errs = append(errs, run[0].Set(name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, badInput(err)
	}
	em, wm, err := Lookup(*c)
	if err != nil {
		return nil, badInput(err)
	}
	r.Engine, r.Workload = em, wm
	es, eb := engines.DeclareOptions(em)
	ws, wb := workloads.DeclareOptions(wm)
	r.newEngine, r.newWorkload = eb, wb
	applies, other := run[1], run[2]
	if !em.Simulated {
		applies, other = other, applies
	}
	r.Sets = []*option.Set{run[0], applies, es, ws}

	var catalog []*option.Set
	for _, name := range slices.Sorted(maps.Keys(cfg.Options)) {
		if name == "engine" || name == "workload" {
			continue
		}
		set := false
		for _, s := range r.Sets {
			if s.Lookup(name) != nil {
				errs = append(errs, s.Set(name, cfg.Options[name]))
				set = true
			}
		}
		if set {
			continue
		}
		if catalog == nil {
			catalog = Catalog()
		}
		owners := Owners(catalog, name)
		if len(owners) == 0 {
			errs = append(errs, fmt.Errorf("--%s: unknown option (see bench run --help)", name))
			continue
		}
		errs = append(errs, fmt.Errorf("--%s does not apply to engine %s and workload %s (it is an option of %s)%s",
			name, em.Name, wm.Name, strings.Join(owners, ", "), standIn(r.Sets, name)))
	}
	// A field a Go program set away from its default in the group that
	// does not apply is refused too (e.g. a topology for a real database).
	d := DefaultConfig()
	defaults := runnerSets(&d)
	for _, o := range other.Options() {
		if o.Value() != defaults[slices.Index(run, other)].Lookup(o.Name).Value() {
			errs = append(errs, fmt.Errorf("--%s applies to %s only; %s is not one", o.Name, other.Owner(), em.Name))
		}
	}
	for _, s := range r.Sets {
		errs = append(errs, s.Check())
	}
	if err := errors.Join(errs...); err != nil {
		return nil, badInput(err)
	}
	return r, nil
}

// Values are the effective options of the run, as the results' config
// records them: the runner's, the simulator's or real databases', the
// engine's and the workload's, and nothing else (secret ones redacted).
func (r *Resolved) Values() map[string]string {
	m := map[string]string{}
	for _, s := range r.Sets {
		maps.Copy(m, s.Values())
	}
	if r.Config.Partition.Count <= 1 {
		delete(m, "partition")
	}
	return m
}

// Value is an applying option's effective value ("" if none declares it).
func (r *Resolved) Value(name string) string {
	for _, s := range r.Sets {
		if o := s.Lookup(name); o != nil {
			return o.Value()
		}
	}
	return ""
}

// DataFingerprint names the data a run loads: the workload and every
// option that changes the loaded data (ChangesData), so --reuse keeps a
// load when only run-time options differ.
func (r *Resolved) DataFingerprint() string {
	parts := []string{r.Workload.Name}
	for _, s := range r.Sets {
		for _, o := range s.Options() {
			if o.Data {
				parts = append(parts, o.Name+"="+o.Recorded())
			}
		}
	}
	return strings.Join(parts, " ")
}

// NewWorkload builds the workload from the resolved options.
func (r *Resolved) NewWorkload() (workloads.Workload, error) {
	wl, err := r.newWorkload(r.Config.Seed)
	if err != nil {
		return nil, badInput(err)
	}
	return wl, nil
}

// NewEngine builds the engine from the resolved options.
func (r *Resolved) NewEngine(env engines.Env) (engines.Engine, error) {
	env.Seed, env.Clients = r.Config.Seed, r.Config.Clients
	return r.newEngine(env)
}

// standIn is "; use --X" when an option that applies stands for the
// refused one (option.Option.Like), else "".
func standIn(sets []*option.Set, name string) string {
	for _, s := range sets {
		for _, o := range s.Options() {
			if slices.Contains(o.Like, name) {
				return fmt.Sprintf("; %s has --%s for it", s.Owner(), o.Name)
			}
		}
	}
	return ""
}
