package runner

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// sampleResult is a complete result built through a Recorder.
func sampleResult() *Result {
	r := NewRecorder([]string{"new_order", "payment", "order_status", "delivery"}, 500*ms, 250*ms)
	feed(r)
	res := &Result{
		Engine:   "dsql",
		Workload: "tpcc",
		Seed:     42,
		Mode:     "simulated",
		Config:   map[string]string{"clients": "8", "seed": "42", "warehouses": "2"},
		Notes:    []string{"clock uncertainty 0ms"},
		Wall: WallFacts{Host: "test", GoVersion: "go1.26", Platform: "linux/amd64", NumCPU: 4,
			StartedAt: "2025-01-02T03:04:05Z", WallSeconds: 1.5},
	}
	r.Fill(res, 2*time.Second)
	return res
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	want := sampleResult()
	if err := want.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back a different result:\n got %+v\nwant %+v", got, want)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.HasPrefix(data, []byte("{\n  \"schema\": \"txbench.result/v1\"")) {
		t.Errorf("file is not indented JSON with a trailing newline:\n%.200s", data)
	}
	// Writing again gives the same bytes, and no temporary file is left.
	if err := got.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(path)
	if !bytes.Equal(data, again) {
		t.Error("rewriting a read result changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only run.json", len(entries))
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestWriteFileEmptyRun(t *testing.T) {
	// A run interrupted before anything finished still writes a valid file
	// with every field present (nil maps and slices written as empty ones).
	r := NewRecorder(nil, 0, time.Second)
	res := &Result{Engine: "postgres", Workload: "bank", Mode: "real", Partial: true}
	r.Fill(res, 0)
	path := filepath.Join(t.TempDir(), "empty.json")
	if err := res.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Partial || got.Summary.Committed != 0 || got.Config == nil || got.TxnTypes == nil {
		t.Errorf("empty run read back as %+v", got)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("null")) || bytes.Contains(data, []byte("NaN")) {
		t.Errorf("empty run has null or NaN:\n%s", data)
	}
}

func TestWriteFileErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "run.json")
	err := sampleResult().WriteFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
}

func TestReadResultErrors(t *testing.T) {
	good, err := sampleResult().marshal()
	if err != nil {
		t.Fatal(err)
	}
	// edit returns the good file with the top-level JSON changed by f.
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	summary := func(m map[string]any) map[string]any { return m["summary"].(map[string]any) }
	otherGeometry, _ := hdrhistogram.New(1, 1000, 2).Encode(hdrhistogram.V2CompressedEncodingCookieBase)

	tests := []struct {
		name string
		data []byte
		want string // the message after "<path>: "
	}{
		{"truncated", good[:len(good)/2], "truncated or corrupt JSON at byte"},
		{"not JSON", []byte("engine,workload\ndsql,tpcc\n"), "truncated or corrupt JSON at byte 1"},
		{"empty", []byte("\n"), "empty file"},
		{"array", []byte("[1,2]"), "not a txbench result (top-level JSON array, not an object)"},
		{"null", []byte("null"), "not a txbench result (JSON null)"},
		{"other schema", []byte(`{"schema": "foo", "x": 1}`), `not a txbench result (schema "foo")`},
		{"no schema", []byte(`{"engine": "dsql"}`), `not a txbench result (no "schema" field)`},
		{"newer schema", edit(func(m map[string]any) { m["schema"] = "txbench.result/v2" }),
			`unsupported result schema "txbench.result/v2"`},
		{"schema with newline", []byte(`{"schema": "a\nb"}`), `not a txbench result (schema "a\nb")`},
		{"missing field", edit(func(m map[string]any) { delete(m, "histograms") }), `missing field "histograms"`},
		{"empty engine", edit(func(m map[string]any) { m["engine"] = "" }), `field "engine" is empty`},
		{"bad mode", edit(func(m map[string]any) { m["mode"] = "virtual" }), `field "mode" is "virtual"`},
		{"wrong type", edit(func(m map[string]any) { summary(m)["committed"] = "many" }),
			`field "summary.committed": JSON string where int64 expected`},
		{"corrupt histogram", edit(func(m map[string]any) {
			m["histograms"].(map[string]any)["all/latency"] = "HISTFAAAAB3not-a-histogram"
		}), `histogram "all/latency": corrupt encoding`},
		{"truncated histogram", edit(func(m map[string]any) {
			h := m["histograms"].(map[string]any)
			s := h["payment/attempt"].(string)
			h["payment/attempt"] = s[:len(s)-8]
		}), `histogram "payment/attempt": corrupt encoding`},
		{"other geometry", edit(func(m map[string]any) {
			m["histograms"].(map[string]any)["payment/latency"] = string(otherGeometry)
		}), `histogram "payment/latency": unexpected geometry`},
		{"missing histogram", edit(func(m map[string]any) { delete(m["histograms"].(map[string]any), "all/attempt") }),
			`histogram "all/attempt" is missing`},
		{"negative count", edit(func(m map[string]any) { summary(m)["failed"] = -3 }), "summary has a negative count"},
		{"negative type count", edit(func(m map[string]any) {
			m["txn_types"].([]any)[0].(map[string]any)["committed"] = -1
		}), `txn_types["new_order"] has a negative count`},
		{"inconsistent sums", edit(func(m map[string]any) {
			m["txn_types"].([]any)[1].(map[string]any)["failed"] = 1000
		}), "summary has failed"},
		{"negative timeline", edit(func(m map[string]any) {
			m["timeline"].([]any)[2].(map[string]any)["aborted"] = -1
		}), "timeline[2] has a negative count"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.json")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadResult(path)
			if err == nil {
				t.Fatal("ReadResult succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, path+": "+tc.want) {
				t.Errorf("error = %q\nwant prefix %q", msg, path+": "+tc.want)
			}
		})
	}
}

func TestReadResultMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.json")
	_, err := ReadResult(path)
	if err == nil || err.Error() != path+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

// smallResult is a valid result kept small: the fuzzer minimizes every
// input that finds new coverage, which takes long for a large seed.
func smallResult() *Result {
	r := NewRecorder([]string{"a"}, 0, time.Minute)
	txn(r, "a", 10*ms, 2*ms, 2, true, "conflict(OC000)")
	r.Attempt(AttemptRecord{Type: "a", End: 20 * ms, Latency: ms, Reason: "wounded", Table: "t", Key: "(1)"})
	res := &Result{Engine: "e", Workload: "w", Mode: "real", Config: map[string]string{"k": "v"}}
	r.Fill(res, time.Second)
	return res
}

func FuzzReadResult(f *testing.F) {
	good, err := smallResult().marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"schema":"txbench.result/v1"}`))
	f.Add([]byte(`{"schema":"txbench.result/v1","histograms":{"all/latency":"HISTFAAAAA=="}}`))
	f.Add([]byte("[]"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseResult("f.json", data)
		if err != nil {
			if r != nil {
				t.Error("result returned with an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "f.json: ") || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("bad error message %q", msg)
			}
			return
		}
		// Whatever parses must write back and parse again.
		out, err := r.marshal()
		if err != nil {
			t.Fatalf("marshal of a parsed result: %v", err)
		}
		if _, err := parseResult("g.json", out); err != nil {
			t.Fatalf("rewritten result does not parse: %v", err)
		}
	})
}
