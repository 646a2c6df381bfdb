package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyRun is a run small enough for CLI tests: a few hundred milliseconds
// of virtual time over a small table.
var tinyRun = []string{"--workload", "ycsb", "--records", "200", "--clients", "4", "--duration", "300ms", "--warmup", "100ms", "--interval", "100ms", "-q"}

// runResult writes a results file of a tiny run with extra options.
func runResult(t *testing.T, dir, name string, extra ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	args := append(append([]string{"run"}, tinyRun...), extra...)
	if _, stderr, code := bench(t, append(args, "--out", out)...); code != 0 {
		t.Fatalf("bench run: exit %d: %s", code, stderr)
	}
	return out
}

// corrupt writes damaged copies of a results file: truncated, not JSON,
// and a foreign JSON document.
func corrupt(t *testing.T, dir, good string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"truncated": string(data[:len(data)*2/3]),
		"garbage":   "\x00\x01not json at all",
		"foreign":   `{"name": "package.json", "version": "1.0.0"}`,
	}
	out := map[string]string{}
	for name, content := range files {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	return out
}

// oneLineError checks the bad-input contract: exit 2, one line on stderr
// naming what.
func oneLineError(t *testing.T, stderr string, code int, what string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
		t.Errorf("want one line, got %d: %q", len(lines), stderr)
	}
	if !strings.Contains(stderr, what) {
		t.Errorf("error %q does not name %q", stderr, what)
	}
}

func TestReportWritesHTMLAndPNGs(t *testing.T) {
	dir := t.TempDir()
	a := runResult(t, dir, "a.json")
	b := runResult(t, dir, "b.json", "--theta", "0.9")
	page := filepath.Join(dir, "r.html")
	pngs := filepath.Join(dir, "png")
	stdout, stderr, code := bench(t, "report", a, b, "-o", page, "--png", pngs, "--title", "two thetas")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "report written to "+page) || !strings.Contains(stdout, "charts written to "+pngs) {
		t.Errorf("output: %s", stdout)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>two thetas</title>", "occ θ=0.6", "occ θ=0.9", "data:image/png;base64,"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	entries, err := os.ReadDir(pngs)
	if err != nil || len(entries) < 5 {
		t.Fatalf("PNG folder: %d files, %v", len(entries), err)
	}
}

func TestReportRejectsBadFilesWithExitCode2(t *testing.T) {
	dir := t.TempDir()
	good := runResult(t, dir, "good.json")
	for name, bad := range corrupt(t, dir, good) {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := bench(t, "report", good, bad, "-o", filepath.Join(dir, "r.html"))
			oneLineError(t, stderr, code, bad)
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, stderr, code := bench(t, "report", filepath.Join(dir, "nope.json"))
		oneLineError(t, stderr, code, "nope.json")
	})
	t.Run("no files", func(t *testing.T) {
		_, stderr, code := bench(t, "report")
		oneLineError(t, stderr, code, "requires at least 1 arg")
	})
	t.Run("sweep over an option the runs lack", func(t *testing.T) {
		_, stderr, code := bench(t, "report", "--sweep", "warp", good)
		oneLineError(t, stderr, code, "warp")
	})
	if _, err := os.Stat(filepath.Join(dir, "r.html")); err == nil {
		t.Error("a report was written despite a bad file")
	}
}
