package reports

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/txbench/txbench/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The fixtures are two small simulated YCSB-A runs (occ on region-3az and
// on us-3) written by bench run; they are data, so the goldens below do not
// move when the simulator changes.
var fixtures = []string{"testdata/region.json", "testdata/us3.json"}

func loadFixtures(t testing.TB) []Run {
	t.Helper()
	runs, err := Load(fixtures...)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// rendered is the fixtures' report, rendered once for the tests that only
// read it.
var rendered = sync.OnceValues(func() (*renderedReport, error) {
	runs, err := Load(fixtures...)
	if err != nil {
		return nil, err
	}
	rep := &Report{Runs: runs}
	charts, err := rep.Charts()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := rep.WriteHTML(&b, charts); err != nil {
		return nil, err
	}
	return &renderedReport{charts: charts, html: b.String()}, nil
})

type renderedReport struct {
	charts []Chart
	html   string
}

func renderFixtures(t *testing.T) *renderedReport {
	t.Helper()
	r, err := rendered()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s differs from the golden file at line %d (go test ./reports -update rewrites it):\ngot:  %.300q\nwant: %.300q", name, i+1, gl, wl)
			return
		}
	}
}

func TestSummaryTableGolden(t *testing.T) {
	runs := loadFixtures(t)
	var b strings.Builder
	if err := WriteSummaryTable(&b, runs); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", b.String())
}

// dataURI matches an embedded chart, so the golden HTML holds the page's
// text and tables but not the pixels (which depend on gonum's renderer).
var dataURI = regexp.MustCompile(`data:image/png;base64,[A-Za-z0-9+/=]+`)

func TestReportHTMLGolden(t *testing.T) {
	r := renderFixtures(t)
	html := r.html
	if n := len(dataURI.FindAllString(html, -1)); n != len(r.charts) {
		t.Errorf("%d embedded images for %d charts", n, len(r.charts))
	}
	golden(t, "report.html.golden", dataURI.ReplaceAllString(html, "data:image/png;base64,…"))
}

// TestReportIsSelfContained: the page must work offline and as a CI
// artifact, so it may reference nothing outside itself.
func TestReportIsSelfContained(t *testing.T) {
	html := renderFixtures(t).html
	for _, bad := range []string{"http://", "https://", "<script", "@import", "@font-face", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("the report contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if u := m[1]; !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "#") {
			t.Errorf("the report links to %q", u)
		}
	}
}

func TestChartsArePNGsOfTheStatedSize(t *testing.T) {
	var names []string
	for _, c := range renderFixtures(t).charts {
		names = append(names, c.Name)
		cfg, err := png.DecodeConfig(bytes.NewReader(c.PNG))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		// Rendered at twice the CSS size.
		if cfg.Width != 2*c.Width || cfg.Height != 2*c.Height {
			t.Errorf("%s: %dx%d pixels for %dx%d CSS pixels", c.Name, cfg.Width, cfg.Height, c.Width, c.Height)
		}
	}
	want := []string{
		"latency-percentiles", "latency-percentiles-read", "latency-percentiles-update",
		"throughput-over-time", "p99-over-time", "abort-rate", "latency-breakdown",
		"contended-keys-occ-topology-region-3az", "contended-keys-occ-topology-us-3",
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("charts %v, want %v", names, want)
	}
}

// TestReportIsDeterministic: the same files give the same bytes, so
// reports can be diffed and kept as artifacts.
func TestReportIsDeterministic(t *testing.T) {
	runs := loadFixtures(t)
	render := func() string {
		rep := &Report{Runs: runs}
		charts, err := rep.Charts()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := rep.WriteHTML(&b, charts); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if render() != renderFixtures(t).html {
		t.Fatal("two renders of the same results differ")
	}
}

func TestWriteFileWritesHTMLAndPNGs(t *testing.T) {
	dir := t.TempDir()
	runs := loadFixtures(t)
	pngs, err := (&Report{Runs: runs[:1]}).WriteFile(filepath.Join(dir, "r.html"), filepath.Join(dir, "png"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) == 0 {
		t.Fatal("no PNGs written")
	}
	for _, p := range append(pngs, filepath.Join(dir, "r.html")) {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestLabels(t *testing.T) {
	res := func(engine string, cfg map[string]string) *runner.Result {
		return &runner.Result{Engine: engine, Config: cfg}
	}
	cases := []struct {
		name string
		runs []Run
		want []string
	}{
		{"engines differ", []Run{
			{Result: res("occ", map[string]string{"seed": "1"})},
			{Result: res("2pc", map[string]string{"seed": "1"})},
		}, []string{"occ", "2pc"}},
		{"one option differs", []Run{
			{Result: res("occ", map[string]string{"clients": "16", "seed": "1"})},
			{Result: res("occ", map[string]string{"clients": "64", "seed": "1"})},
		}, []string{"occ clients=16", "occ clients=64"}},
		{"every option varied names the runs", []Run{
			{Path: "dir/a.json", Result: res("occ", map[string]string{"a": "1", "b": "1", "c": "1"})},
			{Path: "dir/b.json", Result: res("occ", map[string]string{"a": "1", "b": "1", "c": "2"})},
			{Path: "dir/c.json", Result: res("occ", map[string]string{"a": "2", "b": "2", "c": "1"})},
		}, []string{"occ a=1 b=1 c=1", "occ a=1 b=1 c=2", "occ a=2 b=2 c=1"}},
		{"options that come with an engine do not name runs; theta is θ", []Run{
			{Result: res("occ", map[string]string{"theta": "0.5", "occ-cores": "8", "isolation": "repeatable-read"})},
			{Result: res("occ", map[string]string{"theta": "0.9", "occ-cores": "8", "isolation": "repeatable-read"})},
			{Result: res("2pc", map[string]string{"theta": "0.5", "2pc-cores": "8", "isolation": "serializable"})},
			{Result: res("2pc", map[string]string{"theta": "0.9", "2pc-cores": "8", "isolation": "serializable"})},
		}, []string{"occ θ=0.5", "occ θ=0.9", "2pc θ=0.5", "2pc θ=0.9"}},
		{"no option tells them apart: file names", []Run{
			{Path: "dir/a.json", Result: res("occ", map[string]string{"a": "1"})},
			{Path: "dir/b.json", Result: res("occ", map[string]string{"a": "1"})},
		}, []string{"a", "b"}},
		{"labels already set are kept", []Run{
			{Label: "mine", Result: res("occ", nil)},
			{Result: res("2pc", nil)},
		}, []string{"mine", "2pc"}},
		{"nothing tells them apart", []Run{
			{Result: res("occ", nil)},
			{Result: res("occ", nil)},
		}, []string{"#1 occ", "#2 occ"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			Label(c.runs)
			var got []string
			for _, r := range c.runs {
				got = append(got, r.Label)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("labels %q, want %q", got, c.want)
			}
		})
	}
}

func TestLoadRejectsBadFilesNamingThem(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(fixtures[0])
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"truncated.json": string(good[:len(good)/2]),
		"foreign.json":   `{"name": "something else"}`,
		"empty.json":     "",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(fixtures[0], p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line starting with the path", name, err)
		}
	}
}

// TestReportRendersInChromium opens the report in headless Chromium through
// scripts/render-report.sh: no console message, no script error, every
// image decoded, and a screenshot written.
func TestReportRendersInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	found := false
	for _, c := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if _, err := exec.LookPath(c); err == nil {
			found = true
		}
	}
	if !found {
		t.Skip("no Chromium on this machine (apt-get install -y chromium); scripts/render-report.sh does the same check by hand")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if _, err := (&Report{Runs: loadFixtures(t)}).WriteFile(page, ""); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	out, err := exec.Command("../scripts/render-report.sh", page, shot).CombinedOutput()
	if err != nil {
		t.Fatalf("render-report.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "errors=0") || !strings.Contains(string(out), "decoded=9") {
		t.Errorf("unexpected render check:\n%s", out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot: %v", err)
	}
}

// BenchmarkReport10 renders the report of ten results files, charts and
// HTML (the target: under 2 s).
func BenchmarkReport10(b *testing.B) {
	var paths []string
	for i := range 10 {
		paths = append(paths, fixtures[i%len(fixtures)])
	}
	for b.Loop() {
		runs, err := Load(paths...)
		if err != nil {
			b.Fatal(err)
		}
		rep := &Report{Runs: runs}
		charts, err := rep.Charts()
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rep.WriteHTML(&buf, charts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWorkloadMetricsTable(t *testing.T) {
	runs := []Run{
		{Label: "occ", Result: &runner.Result{WorkloadMetrics: []runner.Metric{{Name: "tpmC", Value: 12345.6, Unit: "txn/min"}, {Name: "efficiency", Value: 96.41, Unit: "%"}}}},
		{Label: "2pc", Result: &runner.Result{WorkloadMetrics: []runner.Metric{{Name: "tpmC", Value: 8000, Unit: "txn/min"}}}},
	}
	var b strings.Builder
	if err := workloadMetricsTable(runs).write(&b); err != nil {
		t.Fatal(err)
	}
	want := "metric                occ           2pc\n" +
		"tpmC        12346 txn/min  8000 txn/min\n" +
		"efficiency          96.4%             -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if workloadMetricsTable([]Run{{Result: &runner.Result{}}}) != nil {
		t.Error("a table without metrics")
	}
}
