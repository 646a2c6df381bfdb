package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// bench check --workload append judges the history against the engine's
// claim: occ's write skew is allowed (exit 0); judged against
// serializable it is a failure (exit 1); the recorded history file is
// judged the same way.
func TestCheckAppendAgainstClaims(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.jsonl.gz")
	short := []string{"--workload", "append", "--duration", "500ms", "--warmup", "100ms", "-q"}
	stdout, stderr, code := bench(t, append([]string{"check", "--history", hist}, short...)...)
	if code != 0 || !strings.Contains(stdout, "G2-item (write skew)") || !strings.Contains(stdout, "allowed by strong-snapshot-isolation") ||
		!strings.Contains(stdout, "-rw->") {
		t.Fatalf("occ: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = bench(t, append([]string{"check", "--claim", "serializable"}, short...)...)
	if code != 1 || !strings.Contains(stdout, "FORBIDDEN by serializable") || !strings.Contains(stderr, "isolation check failed: G2-item") {
		t.Fatalf("--claim serializable: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = bench(t, "check", "--from-history", hist, "--claim", "snapshot-isolation")
	if code != 0 || !strings.Contains(stdout, "G2-item (write skew)") {
		t.Fatalf("--from-history: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = bench(t, append([]string{"check", "--engine", "2pc"}, short...)...)
	if code != 0 || !strings.Contains(stdout, "no anomalies found") || !strings.Contains(stdout, "rt ") {
		t.Fatalf("2pc: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCheckBadIsolationInput(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--workload", "append", "--claim", "snapshot"},
		{"check", "--workload", "tpcc", "--claim", "serializable"},
		{"check", "--from-history", "/nonexistent.gz", "--claim", "serializable"},
		{"check", "--from-history", "/nonexistent.gz"},
		{"run", "--workload", "ycsb-a", "--history", "/tmp/x.gz"},
		{"check", "--workload", "register", "--key-dist", "normal"},
	} {
		_, stderr, code := bench(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "bench: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// One-shot transactions (stored procedures) write registers blind and
// lock a one-shot UPDATE's row at once: every engine's histories still
// hold no anomaly its level forbids, on hot keys too.
func TestCheckOneShotBlindWrites(t *testing.T) {
	for _, engine := range []string{"occ", "2pc", "sharded"} {
		stdout, stderr, code := bench(t, "check", "--engine", engine, "--workload", "register", "--key-dist", "hotkey", "--one-shot",
			"--duration", "500ms", "--warmup", "100ms", "-q")
		if code != 0 || !strings.Contains(stdout, "committed") {
			t.Errorf("%s: exit %d\n%s%s", engine, code, stdout, stderr)
		}
	}
}
