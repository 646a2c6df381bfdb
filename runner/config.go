package runner

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/workloads"
)

// Config is one run. Defaults live in DefaultConfig only; the CLI's flags
// and scenario files fill it.
type Config struct {
	Engine   string
	Workload string
	Seed     uint64

	// Simulated engines only.
	Topology string  // preset name or YAML path; "" = the engine's default
	Jitter   bool    // network jitter
	Epsilon  string  // clock uncertainty; "" = the engine's default
	RTTScale float64 // multiply every RTT (for sweeps); 1 = as the topology says
	// NetDelay is added to every message between two nodes (Deneva's added
	// network delay).
	NetDelay time.Duration
	// MsgCPU is the CPU a message between two nodes costs at each end
	// (sim.ClusterConfig.MsgCPU; 0 = free).
	MsgCPU time.Duration
	// OneShot runs every transaction as one request to the engine (a
	// stored procedure; engines.TxnOptions.OneShot), and workloads write
	// without reading first where they can (workloads.OneShot).
	OneShot bool
	// ClientRegion, when set, places every client in this region's AZs
	// instead of round robin over every region that holds data.
	ClientRegion string

	// Load generation.
	Clients int           // closed loop: concurrent clients; open loop: connections
	Rate    float64       // > 0: open loop, Poisson arrivals per second overall
	Think   time.Duration // closed loop: pause between a client's transactions

	Warmup   time.Duration // excluded from the summary
	Duration time.Duration // measured time (virtual for simulated engines)
	Interval time.Duration // timeline resolution

	// Retries re-run the same logical transaction.
	MaxAttempts int
	Backoff     time.Duration // first backoff; doubles per retry
	BackoffMax  time.Duration // cap; each sleep is uniform in [0, current cap]

	// Faults are scheduled failures (crashes, partitions, slow links, ε
	// rises; kill-connections for real databases), in run time from the
	// start (warm-up included).
	Faults FaultList
	// TxnTimeout bounds one attempt, as a driver's statement timeout does:
	// an attempt still running after it fails as timeout(57014) and is
	// retried on a new connection, so a run never hangs on a crashed node.
	// 0 = none, except that a run with faults uses DefaultFaultTimeout.
	TxnTimeout time.Duration
	// StatementTimeout bounds one statement (COMMIT included), as
	// PostgreSQL's statement_timeout does: a statement still running after
	// it fails as statement-timeout(57014), the transaction aborts and is
	// retried. Simulated engines: the client stops waiting and reconnects
	// (boundedTxn); pg: the server's statement_timeout. 0 = none.
	StatementTimeout time.Duration
	// ReconnectBackoff is the first wait before a client whose attempt timed
	// out opens a new connection; it doubles per consecutive timeout, up to
	// BackoffMax·10, with full jitter.
	ReconnectBackoff time.Duration
	// AvailabilityInterval is the resolution of the availability timeline
	// (per client region; recorded in runs with faults).
	AvailabilityInterval time.Duration

	// Partition makes this process drive only its share of one run that n
	// processes (on n machines) drive together: clients whose id ≡ Index
	// mod Count, and the workload's share of keys/warehouses. Count 0 or 1
	// is an ordinary run.
	Partition Partition
	// Reuse keeps a previous load on a real database when it is verified to
	// be this workload's load, unchanged (row counts as loaded).
	Reuse bool

	// Options sets options by name (flag name without dashes → value in
	// command-line syntax), on top of the fields above and the engine's and
	// workload's defaults: how the CLI, scenario files and plans pass every
	// option. Resolve checks them against their declarations.
	Options map[string]string
	// Progress, if set, is called about every 1% of the run with the time
	// done and the total (virtual time for simulated runs).
	Progress func(done, total time.Duration, committed int64)
	// Log receives progress lines of wall-time runs (one per interval) and
	// loading messages; nil discards them.
	Log io.Writer
	// AfterRun, if set, is called once the figures are final, with the
	// workload and an Executor that runs a function with a session of its
	// own on the engine (in the simulation for simulated engines, in wall
	// time for real ones): how a consistency check reads the final state.
	AfterRun func(wl workloads.Workload, exec Executor)
	// History, if set, receives every attempt of a workload whose
	// transactions record their operations (workloads.Recorded): what it
	// read and wrote, its outcome and its client-side times. Unset, the
	// runner does nothing more per attempt than a nil check.
	History history.Sink
	// Observe, if set, sees a simulated run's state after the last event
	// and before the kernel shuts down (tests use it to inspect engines).
	Observe func(s *Simulation)
}

// Partition is "i/n": this process is number Index of Count.
type Partition struct{ Index, Count int }

func (p Partition) String() string {
	if p.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", p.Index, p.Count)
}

// Set parses "i/n" (pflag.Value).
func (p *Partition) Set(s string) error {
	var i, n int
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || fmt.Sprintf("%d/%d", i, n) != s {
		return fmt.Errorf("want i/n, e.g. 0/4, got %q", s)
	}
	if n < 1 || i < 0 || i >= n {
		return fmt.Errorf("want 0 <= i < n, got %q", s)
	}
	p.Index, p.Count = i, n
	return nil
}

// Type names the flag's value in help.
func (p *Partition) Type() string { return "i/n" }

// Executor runs fn with a fresh session on the run's engine and returns
// fn's error.
type Executor func(ctx context.Context, fn func(ctx context.Context, sess engines.Session) error) error

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Engine:      "occ",
		Workload:    "ycsb-a",
		Seed:        1,
		Jitter:      true,
		RTTScale:    1,
		Clients:     16,
		Warmup:      1 * time.Second,
		Duration:    10 * time.Second,
		Interval:    1 * time.Second,
		MaxAttempts: 10,
		Backoff:     1 * time.Millisecond,
		BackoffMax:  100 * time.Millisecond,

		ReconnectBackoff:     50 * time.Millisecond,
		AvailabilityInterval: 100 * time.Millisecond,
	}
}

// Validate checks every option against its declaration (see Resolve) and
// names every bad one at once.
func (c *Config) Validate() error {
	_, err := Resolve(*c)
	return err
}
