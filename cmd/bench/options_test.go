package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/internal/option"
	"github.com/txbench/txbench/runner"
	"github.com/txbench/txbench/workloads"
)

// runIn runs bench in this process (bad input fails before any work, so
// the table below stays fast) and returns stderr and the exit code.
func runIn(args ...string) (string, int) {
	var out, errs strings.Builder
	code := execute(args, &out, &errs)
	return errs.String(), code
}

// context returns engine and workload flags under which the option applies.
func optionContext(t *testing.T, owner string) []string {
	t.Helper()
	kind, name, _ := strings.Cut(owner, " ")
	switch {
	case owner == runner.OwnerRun:
		return []string{"--engine", "occ", "--workload", "ycsb-a"}
	case owner == runner.OwnerSimulator:
		return []string{"--engine", "occ", "--workload", "ycsb-a"}
	case owner == runner.OwnerReal:
		return []string{"--engine", "pg", "--workload", "ycsb-a"}
	case kind == "engine":
		return []string{"--engine", name, "--workload", "ycsb-a"}
	case kind == "workload":
		return []string{"--engine", "occ", "--workload", name}
	}
	t.Fatalf("unknown owner %q", owner)
	return nil
}

// outside returns values just outside an option's bounds and one that is
// malformed for its kind.
func outside(o *option.Option) (below, above []string, malformed string) {
	switch o.Kind {
	case option.Int:
		lo, _ := strconv.ParseInt(o.Min, 10, 64)
		hi, errHi := strconv.ParseInt(o.Max, 10, 64)
		below = []string{strconv.FormatInt(lo-1, 10)}
		if errHi == nil && hi < math.MaxInt64 {
			above = []string{strconv.FormatInt(hi+1, 10)}
		}
		return below, above, "1.5x"
	case option.Float:
		lo, _ := strconv.ParseFloat(o.Min, 64)
		hi, _ := strconv.ParseFloat(o.Max, 64)
		below = []string{strconv.FormatFloat(lo-math.Max(1e-3, math.Abs(lo)/10), 'g', -1, 64), "NaN"}
		above = []string{strconv.FormatFloat(hi+math.Max(1e-3, hi/10), 'g', -1, 64), "1e308000"}
		if o.MaxOpen {
			above = append(above, o.Max)
		}
		return below, above, "lots"
	case option.Duration:
		lo, _ := time.ParseDuration(o.Min)
		hi, _ := time.ParseDuration(o.Max)
		return []string{(lo - time.Microsecond).String()}, []string{(hi + time.Microsecond).String(), "2000000h"}, "7 parsecs"
	case option.Choice:
		return nil, nil, "no-such-" + o.Name
	case option.Bool:
		return nil, nil, "maybe"
	}
	switch o.Name {
	case "engine", "workload", "topology":
		return nil, nil, "no-such-" + o.Name
	case "epsilon":
		return nil, []string{"2000000h", "sawtooth:1ms-20s/30s"}, "lots"
	case "partition":
		return nil, nil, "3/2"
	case "mix":
		return nil, nil, "new_order=101"
	case "dsn":
		return nil, nil, ""
	case "leader-region", "client-region":
		return nil, nil, "mars-1"
	case "fault":
		return nil, nil, "crash:nowhere@1s"
	}
	return nil, nil, ""
}

// Every declared option: a value below and above its bounds and a
// malformed one are refused with exit 2 and one line naming the option;
// values at the bounds pass its declaration.
func TestEveryOptionIsBounded(t *testing.T) {
	for _, s := range runner.Catalog() {
		for _, o := range s.Options() {
			ctx := optionContext(t, s.Owner())
			below, above, malformed := outside(o)
			var bad []string
			bad = append(bad, below...)
			bad = append(bad, above...)
			if malformed != "" || o.Name == "dsn" {
				bad = append(bad, malformed)
			}
			if len(bad) == 0 {
				t.Errorf("%s --%s: no value outside its declaration to try", s.Owner(), o.Name)
			}
			for _, v := range bad {
				args := append([]string{"run"}, ctx...)
				if o.Name == "engine" || o.Name == "workload" {
					args = []string{"run"}
				}
				args = append(args, "--"+o.Name+"="+v, "-q")
				stderr, code := runIn(args...)
				if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "--"+o.Name) {
					t.Errorf("%s --%s=%q: exit %d, stderr %q; want exit 2 and one line naming --%s", s.Owner(), o.Name, v, code, stderr, o.Name)
				}
			}
			// At the bounds the declaration accepts the value.
			for _, v := range []string{o.Min, o.Max} {
				if v == "" || (v == o.Max && o.MaxOpen) {
					continue
				}
				fresh := freshOption(t, s.Owner(), o.Name)
				if err := fresh.Set(v); err != nil {
					t.Errorf("%s --%s=%s (a bound): %v", s.Owner(), o.Name, v, err)
				} else if err := fresh.Check(); err != nil {
					t.Errorf("%s --%s=%s (a bound): %v", s.Owner(), o.Name, v, err)
				}
			}
		}
	}
}

// freshOption declares an owner's options anew (so setting one does not
// change the catalog's defaults) and returns one.
func freshOption(t *testing.T, owner, name string) *option.Option {
	t.Helper()
	for _, s := range runner.Catalog() {
		if s.Owner() == owner {
			return s.Lookup(name)
		}
	}
	t.Fatalf("no owner %q", owner)
	return nil
}

// An option of another engine or workload is refused, naming its owner.
func TestOptionOfAnotherOwnerIsRefused(t *testing.T) {
	catalog := runner.Catalog()
	tried := 0
	for _, s := range catalog {
		kind, name, _ := strings.Cut(s.Owner(), " ")
		for _, o := range s.Options() {
			var args []string
			switch kind {
			case "engine":
				for _, m := range engines.All() {
					if other, _ := engines.DeclareOptions(m); other.Lookup(o.Name) == nil {
						args = []string{"--engine", m.Name}
						break
					}
				}
			case "workload":
				for _, m := range workloads.All() {
					if other, _ := workloads.DeclareOptions(m); other.Lookup(o.Name) == nil {
						args = []string{"--workload", m.Name}
						break
					}
				}
			case "simulated":
				args = []string{"--engine", "pg"}
			case "real":
				args = []string{"--engine", "occ"}
			}
			if args == nil {
				continue // every engine (or workload) declares it, e.g. isolation
			}
			tried++
			v := o.Default
			if v == "" || o.Kind == option.Kind("i/n") {
				v = "x"
			}
			if o.Name == "partition" {
				v = "0/2"
			}
			stderr, code := runIn(append(append([]string{"run", "-q"}, args...), "--"+o.Name+"="+v)...)
			if code != exitUsage || !strings.Contains(stderr, "--"+o.Name+" does not apply") || !strings.Contains(stderr, s.Owner()) {
				t.Errorf("%s --%s with %v: exit %d, %q; want exit 2 naming %s", name, o.Name, args, code, stderr, s.Owner())
			}
		}
	}
	if tried < 20 {
		t.Fatalf("only %d options tried", tried)
	}
}

// An option refused for a workload that has its own option for the same
// thing points at it (ycsb's --theta is ycsb-a's --zipf-constant).
func TestRefusedOptionNamesItsStandIn(t *testing.T) {
	for _, c := range []struct{ workload, given, want string }{
		{"ycsb-a", "theta", "workload ycsb-a has --zipf-constant for it"},
		{"ycsb", "zipf-constant", "workload ycsb has --theta for it"},
	} {
		stderr, code := runIn("run", "-q", "--engine", "occ", "--workload", c.workload, "--"+c.given, "0.9")
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("--workload %s --%s: exit %d, %q; want exit 2 and one line with %q", c.workload, c.given, code, stderr, c.want)
		}
	}
}

// Sizes within their bounds that this machine could not hold in the
// simulator are refused before loading, with the estimate.
func TestLoadBeyondMemoryIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--workload", "tpcc", "--warehouses", "100000"},
		{"--workload", "ycsb-a", "--records", "1000000000"},
	} {
		stderr, code := runIn(append([]string{"run", "-q"}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, args[2]+" "+args[3]+" needs about") || !strings.Contains(stderr, "GiB available") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}
