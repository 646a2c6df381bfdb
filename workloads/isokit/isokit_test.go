package isokit_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines/enginetest"
	_ "github.com/txbench/txbench/engines/occ"
	_ "github.com/txbench/txbench/engines/pg"
	_ "github.com/txbench/txbench/engines/sharded"
	_ "github.com/txbench/txbench/engines/twopc"
	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/isolation"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/runner/runnertest"
	"github.com/txbench/txbench/workloads/isokit"
	"github.com/txbench/txbench/workloads/listappend"
	_ "github.com/txbench/txbench/workloads/register"
)

// record runs workload on engine and returns its history and the level
// the engine claims at opts["isolation"].
func record(t *testing.T, cfg runner.Config) (*history.History, isolation.Level) {
	t.Helper()
	r, err := runner.Resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	iso := r.Value("isolation")
	level, err := isolation.ParseLevel(r.Engine.Claims[iso])
	if err != nil {
		t.Fatalf("%s --isolation %q: %v", cfg.Engine, iso, err)
	}
	coll := &history.Collector{}
	coll.H.Model = history.Append
	if cfg.Workload == "register" {
		coll.H.Model = history.Register
	}
	cfg.History = coll
	res, err := runner.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Committed == 0 {
		t.Fatalf("%s: nothing committed", cfg.Engine)
	}
	return &coll.H, level
}

// checked runs and checks, with real-time order when the level promises it.
func checked(t *testing.T, cfg runner.Config) (*isolation.Report, isolation.Level) {
	t.Helper()
	h, level := record(t, cfg)
	r, err := isolation.Check(h, isolation.Options{RealTime: level.RealTime()})
	if err != nil {
		t.Fatal(err)
	}
	if r.WR == 0 || r.RW == 0 || (level.RealTime() && r.RT == 0) {
		t.Fatalf("%s: too few dependencies to show anything: %+v", cfg.Engine, r)
	}
	return r, level
}

func found(r *isolation.Report) map[isolation.Class]bool {
	m := map[isolation.Class]bool{}
	for _, f := range r.Findings {
		m[f.Class] = true
	}
	return m
}

func format(r *isolation.Report, l isolation.Level) string {
	var b strings.Builder
	r.Format(&b, l)
	return b.String()
}

// sharded adds options that keep sharded's lock waits short: deadlocks
// among the few hot rows are otherwise broken only after a second, which
// leaves a short run with few transactions.
func sharded(opts map[string]string) map[string]string {
	m := map[string]string{"keys": "16", "deadlock-timeout": "20ms", "shard-deadlock-timeout": "20ms"}
	for k, v := range opts {
		m[k] = v
	}
	return m
}

// Every simulated engine stays within the level it claims, and the
// anomalies its level allows show up: write skew under every form of
// snapshot isolation, nothing under 2pc's strict serializability (real-time
// order included), lost updates and read skew under read committed.
func TestSimulatedEnginesAgainstTheirClaims(t *testing.T) {
	for _, c := range []struct {
		engine, workload string
		opts             map[string]string
		must             []isolation.Class
		none             bool
	}{
		{"occ", "append", nil, []isolation.Class{isolation.G2Item}, false},
		{"occ", "register", nil, nil, false},
		{"2pc", "append", nil, nil, true},
		{"2pc", "register", nil, nil, true},
		{"2pc", "append", map[string]string{"isolation": "repeatable-read"}, []isolation.Class{isolation.G2Item}, false},
		{"sharded", "append", sharded(nil), []isolation.Class{isolation.G2Item}, false},
		{"sharded", "append", sharded(map[string]string{"isolation": "read-committed"}),
			[]isolation.Class{isolation.LostUpdate, isolation.GSingle}, false},
	} {
		t.Run(c.engine+"/"+c.workload+"/"+c.opts["isolation"], func(t *testing.T) {
			cfg := runnertest.Quick(t, c.engine, c.workload, c.opts)
			r, level := checked(t, cfg)
			if bad := r.Beyond(level); len(bad) > 0 {
				t.Errorf("anomalies beyond %s:\n%s", level, format(r, level))
			}
			got := found(r)
			for _, cl := range c.must {
				if !got[cl] {
					t.Errorf("%s not found:\n%s", cl, format(r, level))
				}
			}
			if c.none && len(r.Findings) > 0 {
				t.Errorf("anomalies found:\n%s", format(r, level))
			}
		})
	}
}

// Under crashes, partitions and slow links no engine lets through an
// anomaly beyond its claim; attempts cut off by the client's timeout are
// recorded with an unknown outcome, and their writes still count.
func TestFaultsStayWithinClaims(t *testing.T) {
	faults := []string{"crash:us-east-1a@500ms+300ms", "partition:us-east-1b|us-east-1c@1s+300ms", "slow:us-east-1a|us-east-1b=20ms@200ms+1s"}
	for _, engine := range []string{"occ", "2pc", "sharded"} {
		t.Run(engine, func(t *testing.T) {
			var opts map[string]string
			if engine == "sharded" {
				opts = sharded(nil)
			}
			cfg := runnertest.Quick(t, engine, "append", opts)
			cfg.TxnTimeout = 100 * time.Millisecond
			for _, f := range faults {
				if err := cfg.Faults.Set(f); err != nil {
					t.Fatal(err)
				}
			}
			r, level := checked(t, cfg)
			if bad := r.Beyond(level); len(bad) > 0 {
				t.Errorf("anomalies beyond %s under faults:\n%s", level, format(r, level))
			}
			if r.Unknown == 0 {
				t.Errorf("no attempt with an unknown outcome: the faults did nothing? %+v", r)
			}
		})
	}
}

// The same seed records the same history.
func TestHistoryIsDeterministic(t *testing.T) {
	var hs []*history.History
	for range 2 {
		h, _ := record(t, runnertest.Quick(t, "occ", "append", nil))
		hs = append(hs, h)
	}
	if len(hs[0].Txns) == 0 || !reflect.DeepEqual(hs[0], hs[1]) {
		t.Fatalf("histories differ (%d and %d attempts)", len(hs[0].Txns), len(hs[1].Txns))
	}
}

// PostgreSQL's repeatable read (snapshot isolation) lets write skew
// through and nothing weaker; serializable (SSI) lets nothing through,
// and on one server it respects real time as well, also when its
// connections are killed.
func TestPostgreSQLLevels(t *testing.T) {
	dsn := enginetest.PostgresDB(t)
	for _, c := range []struct {
		iso   string
		must  []isolation.Class
		fault string
	}{
		{"repeatable-read", []isolation.Class{isolation.G2Item}, ""},
		{"serializable", nil, ""},
		// The run's connections are killed mid-run: attempts in flight
		// end unknown or aborted, and still nothing slips through.
		{"serializable", nil, "kill-connections@1s"},
	} {
		cfg := runner.DefaultConfig()
		if c.fault != "" {
			if err := cfg.Faults.Set(c.fault); err != nil {
				t.Fatal(err)
			}
		}
		cfg.Engine, cfg.Workload = "pg", "append"
		// Write skew must be seen: on a loaded machine a few seconds may
		// hold only a few dozen attempts, so that run is longer.
		cfg.Warmup, cfg.Duration, cfg.Clients = 0, 3*time.Second, 8
		if c.must != nil {
			cfg.Duration = 10 * time.Second
		}
		cfg.Options = map[string]string{"dsn": dsn, "isolation": c.iso, "keys": "8", "key-pool": "4000"}
		h, level := record(t, cfg)
		r, err := isolation.Check(h, isolation.Options{RealTime: true})
		if err != nil {
			t.Fatal(err)
		}
		if bad := r.Beyond(level); len(bad) > 0 {
			t.Errorf("%s: anomalies beyond %s:\n%s", c.iso, level, format(r, level))
		}
		got := found(r)
		for _, cl := range c.must {
			if !got[cl] {
				t.Errorf("%s: %s not found:\n%s", c.iso, cl, format(r, level))
			}
		}
		if c.must == nil && len(r.Findings) > 0 {
			t.Errorf("%s: anomalies found:\n%s", c.iso, format(r, isolation.StrictSerializable))
		}
	}
}

func TestBadOptions(t *testing.T) {
	for k, v := range map[string]string{"keys": "0", "read-frac": "2", "key-dist": "gauss", "key-pool": "-1"} {
		cfg := runnertest.Quick(t, "occ", "append", map[string]string{k: v})
		if _, err := runner.Resolve(cfg); err == nil || !strings.Contains(err.Error(), "--"+k) {
			t.Errorf("--%s %s: error %v does not name it", k, v, err)
		}
	}
	cfg := runnertest.Quick(t, "occ", "register", map[string]string{"keys": "100", "key-pool": "50"})
	if _, err := runner.Resolve(cfg); err == nil || !strings.Contains(err.Error(), "--key-pool") {
		t.Errorf("pool below keys: %v", err)
	}
}

func TestParseList(t *testing.T) {
	for in, want := range map[string][]int64{"": {}, "5": {5}, "1,22,3": {1, 22, 3}} {
		got, err := listappend.Parse(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := listappend.Parse("1,x"); err == nil {
		t.Error("Parse(1,x): no error")
	}
}

// Keys retire after --max-writes-per-key writes, to a fresh key of the
// same slot, until the pool runs out.
func TestKeysRetire(t *testing.T) {
	o := isokit.DefaultOptions()
	o.Keys, o.TxnOps, o.ReadFrac, o.MaxWrites, o.Pool = 1, 1, 0, 2, 3
	ks := isokit.NewKeyspace(o)
	c := isokit.NewClient(ks, 0, rand.New(rand.NewPCG(1, 1)))
	var keys []int64
	for range 8 {
		keys = append(keys, c.Plan()[0].Key)
	}
	if want := []int64{0, 0, 1, 1, 2, 2, 2, 2}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
}
