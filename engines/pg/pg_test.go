package pg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/enginetest"
	"github.com/txbench/txbench/engines/pg"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
	_ "github.com/txbench/txbench/workloads/tpcc"
	_ "github.com/txbench/txbench/workloads/ycsb"
)

// testDB is a fresh database on the test server (skipped without one,
// failed under CI=true).
var testDB = enginetest.PostgresDB

var schema = &engines.Schema{Tables: []*engines.Table{
	{Name: "kv", Columns: []engines.Column{{Name: "k", Type: engines.TypeInt}, {Name: "v", Type: engines.TypeInt}}, PrimaryKey: []int{0}, ShardKey: -1},
	{Name: "lines", Columns: []engines.Column{
		{Name: "w", Type: engines.TypeInt}, {Name: "name", Type: engines.TypeString, Size: 16},
		{Name: "qty", Type: engines.TypeFloat}, {Name: "at", Type: engines.TypeTimestamp, Nullable: true},
	}, PrimaryKey: []int{0, 1}, ShardKey: 0},
}}

func open(t *testing.T, dsn, iso string) *pg.Engine {
	t.Helper()
	e, err := pg.Open(context.Background(), pg.Config{DSN: dsn, Isolation: iso, Conns: 4, Reconnects: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := schema.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateSchema(context.Background(), schema); err != nil {
		t.Fatal(err)
	}
	var rows []engines.Row
	for i := range 10 {
		rows = append(rows, engines.Row{engines.Int(int64(i)), engines.Int(0)})
	}
	if err := e.Load(context.Background(), schema.Tables[0], rows); err != nil {
		t.Fatal(err)
	}
	at := engines.Timestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	var lines []engines.Row
	for w := 1; w <= 2; w++ {
		for _, n := range []string{"b", "a", "c", "B"} {
			lines = append(lines, engines.Row{engines.Int(int64(w)), engines.String(n), engines.Float(1.5), at})
		}
	}
	if err := e.Load(context.Background(), schema.Tables[1], lines); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatementsAgainstARealServer(t *testing.T) {
	ctx := context.Background()
	e := open(t, testDB(t), "repeatable-read")
	kv, lines := schema.Tables[0], schema.Tables[1]
	s, err := e.Session(ctx, engines.Client{})
	must(t, err)
	defer s.Close()
	tx, err := s.Begin(ctx, engines.TxnOptions{})
	must(t, err)
	r, ok, err := tx.Get(ctx, kv, engines.Key{engines.Int(3)})
	if err != nil || !ok || r[0].Int() != 3 {
		t.Fatalf("get: %v %v %v", r, ok, err)
	}
	if _, ok, _ := tx.Get(ctx, kv, engines.Key{engines.Int(99)}); ok {
		t.Fatal("found a missing row")
	}
	if err := tx.Insert(ctx, kv, engines.Row{engines.Int(3), engines.Int(1)}); err != engines.ErrDuplicateKey {
		t.Fatalf("duplicate insert: %v", err)
	}
	must(t, tx.Insert(ctx, kv, engines.Row{engines.Int(50), engines.Int(1)})) // the transaction survives the duplicate
	if err := tx.Update(ctx, kv, engines.Key{engines.Int(77)}, engines.Set{Col: 1, Val: engines.Int(1)}); err != engines.ErrNotFound {
		t.Fatalf("update of a missing row: %v", err)
	}
	must(t, tx.Update(ctx, kv, engines.Key{engines.Int(4)}, engines.Set{Col: 1, Val: engines.Int(44)}))
	must(t, tx.Delete(ctx, kv, engines.Key{engines.Int(5)}))
	if err := tx.Delete(ctx, kv, engines.Key{engines.Int(5)}); err != engines.ErrNotFound {
		t.Fatalf("second delete: %v", err)
	}
	// Byte order (COLLATE "C"): "B" < "a" < "b" < "c".
	got, err := tx.Scan(ctx, lines, engines.ScanSpec{Start: engines.Key{engines.Int(1)}, End: engines.Key{engines.Int(1)}, EndInclusivePrefix: true})
	must(t, err)
	var names []string
	for _, r := range got {
		names = append(names, r[1].Str())
	}
	if strings.Join(names, ",") != "B,a,b,c" {
		t.Fatalf("prefix scan order %v", names)
	}
	if got[0][2].Float() != 1.5 || got[0][3].Time().Year() != 2026 {
		t.Fatalf("typed values: %v", got[0])
	}
	got, err = tx.Scan(ctx, kv, engines.ScanSpec{Start: engines.Key{engines.Int(3)}, Limit: 3, Reverse: true})
	must(t, err)
	if len(got) != 3 || got[0][0].Int() != 50 || got[2][0].Int() != 8 {
		t.Fatalf("reverse scan: %v", got)
	}
	must(t, tx.Commit(ctx))
	ro, err := s.Begin(ctx, engines.TxnOptions{ReadOnly: true})
	must(t, err)
	if err := ro.Update(ctx, kv, engines.Key{engines.Int(1)}, engines.Set{Col: 1, Val: engines.Int(1)}); err != engines.ErrReadOnly {
		t.Fatalf("write in read-only: %v", err)
	}
	r, _, _ = ro.Get(ctx, kv, engines.Key{engines.Int(4)})
	if r[1].Int() != 44 {
		t.Fatalf("committed update not visible: %v", r)
	}
	must(t, ro.Commit(ctx))
}

// Crossed lock orders: PostgreSQL detects the deadlock and one transaction
// gets 40P01, classified as a retryable deadlock abort.
func TestDeadlockIsClassified(t *testing.T) {
	ctx := context.Background()
	e := open(t, testDB(t), "read-committed")
	kv := schema.Tables[0]
	var wg sync.WaitGroup
	errs := make([]error, 2)
	ready, release := make(chan struct{}), make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.Session(ctx, engines.Client{ID: i})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			tx, _ := s.Begin(ctx, engines.TxnOptions{})
			first, second := engines.Key{engines.Int(int64(i))}, engines.Key{engines.Int(int64(1 - i))}
			if errs[i] = tx.Update(ctx, kv, first, engines.Set{Col: 1, Val: engines.Int(1)}); errs[i] != nil {
				return
			}
			ready <- struct{}{}
			<-release
			if errs[i] = tx.Update(ctx, kv, second, engines.Set{Col: 1, Val: engines.Int(1)}); errs[i] != nil {
				return
			}
			errs[i] = tx.Commit(ctx)
		}()
	}
	<-ready
	<-ready
	close(release)
	wg.Wait()
	deadlocks := 0
	for _, err := range errs {
		if a, ok := engines.AsAbort(err); ok && a.Reason == engines.ReasonDeadlock && a.Retryable {
			deadlocks++
		} else if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if deadlocks != 1 {
		t.Fatalf("%d deadlock aborts, want 1 (errors %v)", deadlocks, errs)
	}
}

func pgRun(t *testing.T, dsn string, opts map[string]string, d time.Duration) (*runner.Result, error) {
	t.Helper()
	cfg := pgConfig(t, dsn, d)
	for k, v := range opts {
		if k == "workload" {
			cfg.Workload = v
			continue
		}
		cfg.Options[k] = v
	}
	return runner.Run(context.Background(), cfg)
}

// pgConfig is a YCSB-A run of 4 clients on 1000 records for d, no warm-up.
func pgConfig(t *testing.T, dsn string, d time.Duration) runner.Config {
	t.Helper()
	cfg := runner.DefaultConfig()
	cfg.Engine, cfg.Workload = "pg", "ycsb-a"
	cfg.Warmup, cfg.Duration, cfg.Clients = 0, d, 4
	cfg.Options = map[string]string{"dsn": dsn, "records": "1000"}
	return cfg
}

func TestYCSBUnderEveryIsolationLevel(t *testing.T) {
	dsn := testDB(t)
	for _, iso := range []string{"read-committed", "repeatable-read", "serializable"} {
		res, err := pgRun(t, dsn, map[string]string{"isolation": iso}, time.Second)
		must(t, err)
		if res.Mode != "real" || res.Summary.Committed == 0 {
			t.Fatalf("%s: mode %s committed %d", iso, res.Mode, res.Summary.Committed)
		}
		// Every abort is one the level may raise (a hot zipfian key can
		// exhaust the retries under the stricter levels); no plain errors.
		allowed := map[string]bool{
			string(engines.ReasonSerialization): iso != "read-committed",
			string(engines.ReasonDeadlock):      true,
		}
		for reason, n := range res.Summary.AbortReasons {
			if !allowed[reason] {
				t.Fatalf("%s: %d aborts for %q", iso, n, reason)
			}
		}
		if res.Summary.Failed > res.Summary.Committed/100 {
			t.Fatalf("%s: %d of %d transactions gave up", iso, res.Summary.Failed, res.Summary.Committed)
		}
		if res.Config["isolation"] != iso {
			t.Fatalf("config records isolation %q", res.Config["isolation"])
		}
	}
}

// A hot set of rows under SERIALIZABLE provokes 40001; the runner retries
// and counts it.
func TestSerializableConflictsAreRetriedAndCounted(t *testing.T) {
	res, err := pgRun(t, testDB(t), map[string]string{
		"workload": "ycsb", "isolation": "serializable", "records": "10", "ops-per-txn": "4", "write-frac": "1", "theta": "0",
	}, 2*time.Second)
	must(t, err)
	s := res.Summary
	t.Logf("committed %d, aborted attempts %d, reasons %v, retries/txn %.2f", s.Committed, s.AbortedAttempts, s.AbortReasons, s.RetriesPerTxn)
	if s.AbortReasons[string(engines.ReasonSerialization)] == 0 || s.RetriesPerTxn == 0 || s.Committed == 0 {
		t.Fatal("no serialization failures were counted and retried")
	}
}

// Killing backends mid-run: the sessions reconnect, the run completes and
// the lost connections are counted.
func TestKilledBackendsAreSurvivedAndCounted(t *testing.T) {
	dsn := testDB(t)
	db := dsn[strings.LastIndex(dsn, "/")+1:]
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(1500 * time.Millisecond)
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(context.Background())
		_, err = c.Exec(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db)
		if err != nil {
			t.Error(err)
		}
	}()
	res, err := pgRun(t, dsn, nil, 3*time.Second)
	<-done
	must(t, err)
	lost := res.Summary.AbortReasons[string(engines.ReasonConnection)]
	t.Logf("committed %d, connection-lost aborts %d", res.Summary.Committed, lost)
	if lost == 0 || res.Summary.Committed == 0 {
		t.Fatalf("committed %d, connection-lost %d: the kill was not survived and counted", res.Summary.Committed, lost)
	}
	last := res.Timeline[len(res.Timeline)-1]
	if last.Committed == 0 {
		t.Fatal("nothing committed after the kill")
	}
	if !strings.Contains(strings.Join(res.Notes, ";"), " reconnections") || strings.Contains(strings.Join(res.Notes, ";"), ";0 reconnections") {
		t.Fatalf("the reconnections are not reported: %v", res.Notes)
	}
}

func TestPasswordNeverAppears(t *testing.T) {
	dsn := testDB(t)
	// Trust authentication ignores the password, so the run works.
	secret := strings.Replace(dsn, "postgres@", "postgres:hunter2secret@", 1)
	res, err := pgRun(t, secret, nil, 500*time.Millisecond)
	must(t, err)
	blob, _ := json.Marshal(res)
	var out bytes.Buffer
	runner.WriteSummary(&out, res)
	if bytes.Contains(blob, []byte("hunter2")) || strings.Contains(out.String(), "hunter2") {
		t.Fatal("the password leaked into the results or the summary")
	}
	if !strings.Contains(string(blob), "xxxxx") {
		t.Fatal("the redacted DSN is not recorded")
	}
	// An unreachable server: one line, names --dsn, no secret.
	_, err = pg.Open(context.Background(), pg.Config{DSN: "postgres://u:hunter2secret@127.0.0.1:1/x", Isolation: "serializable"}, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "--dsn") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("unreachable server error: %v", err)
	}
	if !errors.Is(err, err) {
		t.Fatal()
	}
}

// TPC-C on a real server, then its consistency conditions read back through
// the engine (the path `bench run --check` takes).
func TestTPCCWithConsistencyCheck(t *testing.T) {
	dsn := testDB(t)
	for _, iso := range []string{"read-committed", "serializable"} {
		cfg := runner.DefaultConfig()
		cfg.Engine, cfg.Workload = "pg", "tpcc"
		cfg.Warmup, cfg.Duration, cfg.Clients = 0, 2*time.Second, 4
		cfg.Options = map[string]string{"dsn": dsn, "scale": "0.05", "isolation": iso}
		var results []workloads.CheckResult
		var checkErr error
		cfg.AfterRun = func(wl workloads.Workload, exec runner.Executor) {
			checkErr = exec(context.Background(), func(ctx context.Context, s engines.Session) error {
				var err error
				results, err = wl.(workloads.Checker).Check(ctx, s)
				return err
			})
		}
		res, err := runner.Run(context.Background(), cfg)
		must(t, err)
		must(t, checkErr)
		var tpmC float64
		for _, m := range res.WorkloadMetrics {
			if m.Name == "tpmC" {
				tpmC = m.Value
			}
		}
		if tpmC <= 0 {
			t.Fatalf("%s: tpmC %v", iso, tpmC)
		}
		passed := 0
		for _, r := range results {
			switch r.Status {
			case workloads.CheckFail:
				t.Errorf("%s: %s failed: %s", iso, r.Name, r.Detail)
			case workloads.CheckPass:
				passed++
			}
		}
		t.Logf("%s: tpmC %.0f, %d conditions pass", iso, tpmC, passed)
		if passed < 11 {
			t.Fatalf("%s: only %d conditions evaluated as passing", iso, passed)
		}
	}
}

// Two processes' worth of clients drive one database together
// (--partition 0/2 and 1/2, at the same time): each loads its warehouses,
// they meet at the barrier, and merging their results gives the totals.
func TestPartitionedRunsMergeToTheTotals(t *testing.T) {
	dsn := testDB(t)
	parts := make([]*runner.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	// If one process fails, the other would wait at the load barrier:
	// cancel it, so the test reports the failure instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := runner.DefaultConfig()
			cfg.Engine, cfg.Workload = "pg", "tpcc"
			cfg.Warmup, cfg.Duration, cfg.Clients = 0, 2*time.Second, 4
			cfg.Partition = runner.Partition{Index: i, Count: 2}
			cfg.Options = map[string]string{"dsn": dsn, "scale": "0.05", "warehouses": "2"}
			parts[i], errs[i] = runner.Run(ctx, cfg)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	must(t, errs[0])
	must(t, errs[1])
	m, err := runner.Merge(parts)
	must(t, err)
	if m.Summary.Committed != parts[0].Summary.Committed+parts[1].Summary.Committed || m.Summary.Committed == 0 {
		t.Fatalf("merged %d from %d + %d", m.Summary.Committed, parts[0].Summary.Committed, parts[1].Summary.Committed)
	}
	// Each process drove only its own warehouses' terminals.
	for i, p := range parts {
		if p.Config["partition"] != fmt.Sprintf("%d/2", i) {
			t.Fatalf("part %d config partition %q", i, p.Config["partition"])
		}
	}
	// The database the two built together is consistent.
	e, err := pg.Open(context.Background(), pg.Config{DSN: dsn, Isolation: "repeatable-read", Conns: 2, Reconnects: 1}, nil)
	must(t, err)
	defer e.Close()
	wm, _ := workloads.Lookup("tpcc")
	wl, err := workloads.New(wm.Name, map[string]string{"scale": "0.05", "warehouses": "2"}, 1)
	must(t, err)
	s := wl.Schema()
	must(t, s.Validate())
	sess, err := e.Session(context.Background(), engines.Client{})
	must(t, err)
	defer sess.Close()
	results, err := wl.(workloads.Checker).Check(context.Background(), sess)
	must(t, err)
	for _, r := range results {
		if r.Status == workloads.CheckFail {
			t.Errorf("%s failed: %s", r.Name, r.Detail)
		}
	}
	// A second partitioned run on the same tables is refused until cleanup.
	cfg := runner.DefaultConfig()
	cfg.Engine, cfg.Workload, cfg.Duration = "pg", "tpcc", time.Second
	cfg.Partition = runner.Partition{Index: 0, Count: 2}
	cfg.Options = map[string]string{"dsn": dsn, "scale": "0.05", "warehouses": "2"}
	if _, err := runner.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "cleanup") {
		t.Fatalf("a stale barrier was not reported: %v", err)
	}
}

// --reuse keeps a load only when it is this workload's load, unchanged.
func TestReuseKeepsOnlyAMatchingUnchangedLoad(t *testing.T) {
	dsn := testDB(t)
	runWith := func(workload, seed string, reuse bool) string {
		var log bytes.Buffer
		cfg := runner.DefaultConfig()
		cfg.Engine, cfg.Workload = "pg", workload
		cfg.Warmup, cfg.Duration, cfg.Clients, cfg.Reuse = 0, 300*time.Millisecond, 2, reuse
		cfg.Log = &log
		cfg.Options = map[string]string{"dsn": dsn, "records": "2000"}
		if _, err := fmt.Sscan(seed, &cfg.Seed); err != nil {
			t.Fatal(err)
		}
		_, err := runner.Run(context.Background(), cfg)
		must(t, err)
		return log.String()
	}
	runWith("ycsb-c", "1", false)
	if out := runWith("ycsb-c", "1", true); !strings.Contains(out, "reusing the loaded data") {
		t.Fatalf("a matching load was not reused:\n%s", out)
	}
	// YCSB-D inserts rows: the next --reuse must reload.
	runWith("ycsb-d", "1", false)
	runWith("ycsb-d", "1", true)
	if out := runWith("ycsb-d", "1", true); !strings.Contains(out, "loading afresh") || !strings.Contains(out, "a run changed it") {
		t.Fatalf("a changed load was reused:\n%s", out)
	}
	if out := runWith("ycsb-d", "2", true); !strings.Contains(out, "another load") {
		t.Fatalf("another seed's load was reused:\n%s", out)
	}
}

// --fault kill-connections ends the run's own backends (by application_name)
// and nothing else; the run reconnects, goes on, and the availability
// figures show the failure.
func TestKillConnectionsFaultEndsOnlyTheRunsBackends(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	bystander, err := pgx.Connect(ctx, dsn) // another application's connection
	must(t, err)
	defer bystander.Close(ctx)
	cfg := pgConfig(t, dsn, 3*time.Second)
	must(t, cfg.Faults.Set("kill-connections@1s"))
	res, err := runner.Run(ctx, cfg)
	must(t, err)
	var killed int
	for _, n := range res.Notes {
		if _, err := fmt.Sscanf(n, "kill-connections@1s: %d of the run's backends terminated", &killed); err == nil {
			break
		}
	}
	if killed < cfg.Clients {
		t.Fatalf("%d backends terminated, want at least one per client (%d); notes %v", killed, cfg.Clients, res.Notes)
	}
	if err := bystander.Ping(ctx); err != nil {
		t.Fatalf("a connection that is not the run's was ended: %v", err)
	}
	a := res.Availability
	if a == nil || len(a.Faults) != 1 || a.Faults[0].FirstFailureS == nil {
		t.Fatalf("no availability figures for the kill: %+v", a)
	}
	after := int64(0)
	for _, p := range a.Timeline["clients"] {
		if p.TS >= 1.5 {
			after += p.Committed
		}
	}
	if after == 0 {
		t.Fatal("nothing committed after the kill")
	}
}

// signalWriter closes ready at the first write (the run's first log line,
// "loading ...", comes after the run lock is taken).
type signalWriter struct {
	once  sync.Once
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ready) })
	return len(p), nil
}

// Two runs on one database: the second is refused before it touches the
// tables, naming the first; the first finishes normally and its results
// record what ran — the effective isolation, the server's version and
// settings, and no simulator option.
func TestSecondRunOnOneDatabaseIsRefused(t *testing.T) {
	dsn := testDB(t)
	first := pgConfig(t, dsn, 2*time.Second)
	log := &signalWriter{ready: make(chan struct{})}
	first.Log = log
	type outcome struct {
		res *runner.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := runner.Run(context.Background(), first)
		done <- outcome{res, err}
	}()
	select {
	case <-log.ready:
	case o := <-done:
		t.Fatalf("the first run ended before loading: %v", o.err)
	}
	second := pgConfig(t, dsn, time.Second)
	_, err := runner.Run(context.Background(), second)
	if err == nil || !strings.Contains(err.Error(), "another bench run is using this database (held by txbench-") {
		t.Fatalf("second run: %v", err)
	}
	o := <-done
	must(t, o.err)
	if o.res.Summary.Committed == 0 || o.res.Summary.Failed != 0 {
		t.Fatalf("first run: committed %d, failed %d", o.res.Summary.Committed, o.res.Summary.Failed)
	}
	c := o.res.Config
	if c["isolation"] != "read-committed" || c["server-default_transaction_isolation"] == "" ||
		c["server-synchronous_commit"] == "" || c["server-max_connections"] == "" || c["server-version"] == "" {
		t.Errorf("config lacks the effective isolation or the server's settings: %v", c)
	}
	for _, simOnly := range []string{"topology", "epsilon", "jitter", "rtt-scale", "net-delay", "adjudicators", "splits", "shards"} {
		if v, ok := c[simOnly]; ok {
			t.Errorf("a pg run's config records the simulator option %s=%s", simOnly, v)
		}
	}
	// Once the first run is over, the database is free again.
	_, err = runner.Run(context.Background(), pgConfig(t, dsn, 200*time.Millisecond))
	must(t, err)
}

// --statement-timeout sets statement_timeout on the run's connections: while
// another connection holds the table locked for half a second, statements
// pass the 50 ms timeout, PostgreSQL cancels them (57014), and the runner
// counts them as statement-timeout(57014) and retries them.
func TestStatementTimeoutIsSetClassifiedAndRetried(t *testing.T) {
	dsn := testDB(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(1500 * time.Millisecond)
		ctx := context.Background()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE usertable IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Error(err)
		}
		time.Sleep(500 * time.Millisecond)
		if err := tx.Commit(ctx); err != nil {
			t.Error(err)
		}
	}()
	cfg := pgConfig(t, dsn, 3*time.Second)
	cfg.StatementTimeout = 50 * time.Millisecond
	res, err := runner.Run(context.Background(), cfg)
	<-done
	must(t, err)
	s := res.Summary
	n := s.AbortReasons[string(engines.ReasonStatementTimeout)]
	t.Logf("committed %d, statement timeouts %d, reasons %v", s.Committed, n, s.AbortReasons)
	if n == 0 || s.Committed == 0 {
		t.Fatalf("committed %d, statement-timeout aborts %d", s.Committed, n)
	}
	if res.Config["statement-timeout"] != "50ms" {
		t.Errorf("config records statement-timeout %q", res.Config["statement-timeout"])
	}
	if last := res.Timeline[len(res.Timeline)-1]; last.Committed == 0 {
		t.Error("nothing committed after the lock was released")
	}
}
