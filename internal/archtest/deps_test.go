package archtest

import (
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/txbench/txbench"

// rules say which of the project's packages a package may import (its
// non-test files; tests may reach further, e.g. an engine's end-to-end test
// runs a workload through the runner). Paths are relative to the module;
// "x/..." is x and every package below it. A package takes the rule that
// names it exactly, else the longest "x/..." that covers it. Keep this
// table and docs/architecture.md saying the same.
var rules = []struct {
	pkg   string
	may   []string
	about string
}{
	{"sim", nil, "the kernel and the cluster model import nothing of ours"},
	{"engines/storage", nil, "the MVCC core imports nothing of ours"},
	{"engines/lock", nil, "the lock table and the cycle search are pure"},
	{"internal/...", nil, "small leaf helpers"},
	{"engines", []string{"internal/..."}, "the contract needs neither the simulator nor the storage core"},
	{"engines/txnkit", []string{"engines"}, "the write set and scan overlay are pure"},
	{"engines/simengine", []string{"engines", "engines/storage", "sim", "internal/..."}, "the one meeting point of the contract and the simulation"},
	{"engines/occ", simulated, "a simulated engine: never another engine, never a workload"},
	{"engines/twopc", simulated, "a simulated engine"},
	{"engines/sharded", simulated, "a simulated engine"},
	{"engines/pg", []string{"engines", "internal/..."}, "the real engine does not know the simulator"},
	{"engines/enginetest", []string{"engines/...", "sim", "internal/..."}, "the test harness drives every engine"},
	{"engines/settest", []string{"engines", "workloads", "internal/..."}, "the set-statement suite drives any engine through the contract (and offers its table as a workload)"},
	{"history", nil, "recorded histories import nothing of ours"},
	{"isolation", []string{"history"}, "the isolation checker is a pure function of a history"},
	{"workloads", []string{"engines", "history", "internal/..."}, "the workload contract"},
	{"workloads/isokit", []string{"workloads", "workloads/ycsb", "engines", "history", "internal/..."}, "the isolation workloads' kit draws keys with YCSB's generators"},
	{"workloads/listappend", []string{"workloads/isokit", "engines", "history", "internal/..."}, "an isolation workload: the kit and its statements"},
	{"workloads/register", []string{"workloads/isokit", "engines", "history", "internal/..."}, "an isolation workload: the kit and its statements"},
	{"workloads/...", []string{"workloads", "engines", "internal/..."}, "a workload never imports an engine, the simulator or another workload"},
	{"runner", []string{"engines", "workloads", "sim", "history", "internal/..."}, "the runner wires engines to workloads (and records histories)"},
	{"runner/...", []string{"runner", "engines", "workloads", "sim", "internal/..."}, "runner helpers"},
	{"reports", []string{"runner", "engines", "workloads", "sim", "internal/..."}, "reports read results"},
	{"validate", []string{"reports", "runner", "engines", "workloads", "sim", "internal/..."}, "bench validate: published set-ups run through the runner, figures into a report"},
	{"cmd/...", []string{"..."}, "the CLI imports whatever it registers and runs"},
}

// simulated is what a simulated engine may import.
var simulated = []string{"engines", "engines/storage", "engines/lock", "engines/txnkit", "engines/simengine", "sim", "internal/..."}

// covers reports whether pattern (a path or "x/...") names pkg.
func covers(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pattern == pkg
}

func ruleFor(pkg string) (may []string, ok bool) {
	best := -1
	for i, r := range rules {
		if r.pkg == pkg {
			return r.may, true
		}
		if covers(r.pkg, pkg) && (best < 0 || len(r.pkg) > len(rules[best].pkg)) {
			best = i
		}
	}
	if best < 0 {
		return nil, false
	}
	return rules[best].may, true
}

// packages maps every package of the module (relative path) to the
// project packages its non-test files import.
func packages(t *testing.T) map[string][]string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		if err != nil {
			var none *build.NoGoError
			if errors.As(err, &none) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		var mine []string
		for _, imp := range p.Imports {
			if r, ok := strings.CutPrefix(imp, module+"/"); ok {
				mine = append(mine, r)
			}
		}
		out[rel] = mine
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportsFollowTheLayering(t *testing.T) {
	pkgs := packages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages: the walk missed the module", len(pkgs))
	}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, pkg := range names {
		may, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("%s has no rule: add one to internal/archtest (and say it in docs/architecture.md)", pkg)
			continue
		}
		for _, imp := range pkgs[pkg] {
			if !slices.ContainsFunc(may, func(p string) bool { return covers(p, imp) }) {
				t.Errorf("%s imports %s, which its rule does not allow (may import: %v)", pkg, imp, may)
			}
		}
	}
}

// The rules themselves: a layering slip is caught, and patterns mean what
// the table says.
func TestRulesCatchASlip(t *testing.T) {
	cases := []struct {
		pkg, imp string
		allowed  bool
	}{
		{"engines", "sim", false},
		{"engines", "engines/storage", false},
		{"workloads/ycsb", "engines/occ", false},
		{"workloads/ycsb", "sim", false},
		{"engines/occ", "engines/twopc", false},
		{"engines/pg", "sim", false},
		{"engines/occ", "engines/txnkit", true},
		{"workloads/tpcc", "workloads", true},
		{"runner/runnertest", "runner", true},
		{"cmd/bench", "engines/occ", true},
	}
	for _, tc := range cases {
		may, ok := ruleFor(tc.pkg)
		got := ok && slices.ContainsFunc(may, func(p string) bool { return covers(p, tc.imp) })
		if got != tc.allowed {
			t.Errorf("%s importing %s: allowed %v, want %v", tc.pkg, tc.imp, got, tc.allowed)
		}
	}
}
