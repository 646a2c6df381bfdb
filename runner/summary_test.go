package runner

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The -update flag regenerates golden files: go test ./runner/ -update.
// Other test files of this package may define the same flag, so it is
// registered only if nobody did, and read through flag.Lookup.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

func TestWriteSummaryGolden(t *testing.T) {
	res := sampleResult()
	res.Partial = true
	var buf bytes.Buffer
	WriteSummary(&buf, res)

	golden := filepath.Join("testdata", "summary.golden")
	if updateGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./runner/ -run TestWriteSummaryGolden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("summary differs from %s (rerun with -update if intended):\n got:\n%s\nwant:\n%s", golden, buf.Bytes(), want)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
}

func TestWriteSummaryEmpty(t *testing.T) {
	// Nothing committed: latencies print as "-", no breakdown or key lines.
	r := NewRecorder([]string{"a"}, 0, 0)
	res := &Result{Engine: "e", Workload: "w", Mode: "real"}
	r.Fill(res, 0)
	var buf bytes.Buffer
	WriteSummary(&buf, res)
	out := buf.String()
	if !strings.Contains(out, "total") || strings.Contains(out, "breakdown") || strings.Contains(out, "contended") {
		t.Errorf("empty summary:\n%s", out)
	}
}

func TestWriteWrapped(t *testing.T) {
	parts := []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40), "d"}
	var buf bytes.Buffer
	writeWrapped(&buf, "keys: ", parts, " · ")
	want := "keys: " + parts[0] + " · " + parts[1] + " ·\n      " + parts[2] + " · d\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestFitReasons(t *testing.T) {
	rs := []string{"conflict(OC000) ×26", "serialization(40001) ×3"}
	tests := []struct {
		room int
		want string
	}{
		{80, "conflict(OC000) ×26, serialization(40001) ×3"},
		{30, "conflict(OC000) ×26"},
		{10, "conflict(OC000) ×26"},
	}
	for _, tc := range tests {
		if got := fitReasons(rs, tc.room); got != tc.want {
			t.Errorf("fitReasons(room %d) = %q, want %q", tc.room, got, tc.want)
		}
	}
	if got := fitReasons(nil, 30); got != "-" {
		t.Errorf("no reasons: %q", got)
	}
}

func TestWriteSummaryReasonsOnceWhenOneTypeAborted(t *testing.T) {
	// Only new_order aborts: the total's reasons are the same line, said once.
	res := sampleResult()
	for i := range res.TxnTypes {
		if res.TxnTypes[i].Name != "new_order" {
			res.TxnTypes[i].Summary.AbortReasons = nil
		}
	}
	res.Summary.AbortReasons = res.TxnTypes[0].Summary.AbortReasons
	var buf bytes.Buffer
	WriteSummary(&buf, res)
	out := buf.String()
	if n := strings.Count(out, "top abort reasons"); n != 1 {
		t.Errorf("%d lines of abort reasons, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "top abort reasons, new_order: ") {
		t.Errorf("new_order's reasons missing:\n%s", out)
	}
	// Two types aborting keep the total's line (it adds them up).
	WriteSummary(&buf, sampleResult())
	if !strings.Contains(buf.String(), "top abort reasons, total: ") {
		t.Errorf("total's reasons missing when several types aborted:\n%s", buf.String())
	}
}
