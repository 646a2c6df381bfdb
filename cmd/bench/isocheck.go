package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/txbench/txbench/history"
	"github.com/txbench/txbench/isolation"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// maxCheckAttempts bounds the history bench check keeps in memory (about
// 1 KiB per attempt at the default options); a longer run is checked on
// its first attempts and the report says the history was cut.
const maxCheckAttempts = 5_000_000

// historyFlags registers the options that record a history.
func historyFlags(fs *pflag.FlagSet, path *string, limit *int64) {
	fs.StringVar(path, "history", "", "write the run's history (append, register: every attempt's operations, outcome and times) here, gzip-compressed JSON lines")
	fs.Int64Var(limit, "history-limit", 1<<30, "stop recording the history file at about this many compressed bytes (the file says it was cut)")
}

// historySink opens the history file path (if any) for the workload cfg
// names and hooks it into cfg. done closes it.
func historySink(cfg *runner.Config, path string, limit int64) (done func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	model, ok, err := historyModel(cfg)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("--history: workload %s records no history (append and register do)", cfg.Workload)
	}
	if limit <= 0 {
		return nil, fmt.Errorf("--history-limit must be positive, got %d", limit)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--history: %w", err)
	}
	w := history.NewWriter(f, model, limit)
	if cfg.History != nil {
		cfg.History = history.Tee{cfg.History, w}
	} else {
		cfg.History = w
	}
	return func() error {
		if w.Truncated() {
			fmt.Fprintf(os.Stderr, "bench: the history in %s reached --history-limit and was cut\n", path)
		}
		return errors.Join(w.Close(), f.Close())
	}, nil
}

// historyModel is the data model of the workload cfg names; ok is false
// when its transactions record no history.
func historyModel(cfg *runner.Config) (_ history.Model, ok bool, _ error) {
	r, err := runner.Resolve(*cfg)
	if err != nil {
		return "", false, err
	}
	wl, err := r.NewWorkload()
	if err != nil {
		return "", false, err
	}
	h, ok := wl.(workloads.Historied)
	if !ok {
		return "", false, nil
	}
	return h.HistoryModel(), true, nil
}

// isoCheck checks a run's history against the isolation level the engine
// claims (or --claim).
type isoCheck struct {
	level isolation.Level
	claim string // where the level comes from, for the report
	coll  *history.Collector
}

// newIsoCheck returns nil when the workload records no history (bench
// check then checks consistency conditions instead); otherwise it hooks a
// collector into cfg.
func newIsoCheck(cfg *runner.Config, claim string) (*isoCheck, error) {
	model, ok, err := historyModel(cfg)
	if err != nil || !ok {
		return nil, err
	}
	level, from, err := claimedLevel(cfg, claim)
	if err != nil {
		return nil, err
	}
	c := &isoCheck{level: level, claim: from, coll: &history.Collector{Max: maxCheckAttempts}}
	c.coll.H.Model = model
	cfg.History = c.coll
	return c, nil
}

// claimedLevel is --claim if given, else what the engine claims at its
// --isolation.
func claimedLevel(cfg *runner.Config, claim string) (isolation.Level, string, error) {
	if claim != "" {
		l, err := isolation.ParseLevel(claim)
		if err != nil {
			return "", "", fmt.Errorf("--claim: %w", err)
		}
		return l, "--claim", nil
	}
	r, err := runner.Resolve(*cfg)
	if err != nil {
		return "", "", err
	}
	em := r.Engine
	iso := r.Value("isolation")
	name, ok := em.Claims[iso]
	if !ok {
		return "", "", fmt.Errorf("--claim: engine %s states no isolation level for --isolation %q; name the level to check against", em.Name, iso)
	}
	l, err := isolation.ParseLevel(name)
	if err != nil {
		return "", "", fmt.Errorf("engine %s: %w", em.Name, err)
	}
	return l, fmt.Sprintf("what %s claims at --isolation %s", em.Name, iso), nil
}

// finish checks the history and prints the report; anomalies the level
// forbids are an error (exit 1).
func (c *isoCheck) finish(w io.Writer) error {
	return judge(w, &c.coll.H, c.level, c.claim)
}

// judge checks h against level and prints the verdict.
func judge(w io.Writer, h *history.History, level isolation.Level, from string) error {
	r, err := isolation.Check(h, isolation.Options{RealTime: level.RealTime()})
	if err != nil {
		return fmt.Errorf("isolation check: %w", err)
	}
	if r.Committed == 0 {
		return fmt.Errorf("isolation check: no transaction committed; nothing to judge")
	}
	fmt.Fprintf(w, "judged against %s (%s)\n", level, from)
	r.Format(w, level)
	bad := r.Beyond(level)
	if len(bad) == 0 {
		if len(r.Findings) > 0 {
			fmt.Fprintf(w, "every anomaly found is allowed by %s\n", level)
		}
		return nil
	}
	names := make([]string, len(bad))
	for i, f := range bad {
		names[i] = string(f.Class)
	}
	return fmt.Errorf("isolation check failed: %s found, which %s forbids", strings.Join(names, ", "), level)
}

// checkHistoryFile judges a recorded history file (bench check
// --from-history).
func checkHistoryFile(w io.Writer, path, claim string) error {
	if claim == "" {
		return usage(fmt.Errorf("--from-history: give --claim, the isolation level to judge the history against"))
	}
	level, err := isolation.ParseLevel(claim)
	if err != nil {
		return usage(fmt.Errorf("--claim: %w", err))
	}
	f, err := os.Open(path)
	if err != nil {
		return usage(fmt.Errorf("--from-history: %w", err))
	}
	defer f.Close()
	h, err := history.Read(f)
	if err != nil {
		return usage(fmt.Errorf("--from-history %s: %w", path, err))
	}
	return judge(w, h, level, "--claim, history "+path)
}
