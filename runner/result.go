package runner

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/txbench/txbench/workloads"
)

// ResultSchema identifies the results file format. Readers refuse any other
// value, so a format change must come with a new version.
const ResultSchema = "txbench.result/v1"

// Result is the content of a results file. Everything except Wall is a
// function of the seed and config (and, for real engines, the database), so
// two simulated runs with the same seed and config write byte-identical
// files apart from Wall; comparisons rely on that.
type Result struct {
	Schema   string `json:"schema"`
	Engine   string `json:"engine"`
	Workload string `json:"workload"`
	Seed     uint64 `json:"seed"`
	Mode     string `json:"mode"` // "simulated" | "real"
	// Config holds every option needed to rerun (flag name -> value).
	Config map[string]string `json:"config"`
	// Partial is set when the run was interrupted; figures cover what finished.
	Partial bool `json:"partial"`
	// DurationS is the measured duration after warmup (virtual seconds for
	// simulated engines); throughputs are per measured second.
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	// SimEvents is the number of events the simulator processed: a function
	// of the seed, so it lives here rather than in Wall. 0 for real engines.
	SimEvents uint64 `json:"sim_events,omitempty"`

	Summary  Summary         `json:"summary"`
	TxnTypes []TxnSummary    `json:"txn_types"`
	Timeline []TimelinePoint `json:"timeline"`
	// Histograms maps a name ("all/latency", "all/attempt", "<type>/latency",
	// "<type>/attempt") to the histogram's HdrHistogram V2 compressed
	// encoding in base64, values in µs, 1 µs .. 1 h, 3 significant figures.
	// Latency histograms hold committed transactions only.
	Histograms   map[string]string `json:"histograms"`
	TopContended []ContendedKey    `json:"top_contended"`
	// WorkloadMetrics are the workload's own figures (TPC-C's tpmC and
	// efficiency), computed from the measured counts (workloads.Reporter).
	WorkloadMetrics []Metric `json:"workload_metrics,omitempty"`
	// Availability is set by runs with faults: a fine-grained timeline per
	// client group and per-fault figures.
	Availability *Availability `json:"availability,omitempty"`
	// Notes are facts about the engine or model worth keeping with the
	// figures (e.g. "clock uncertainty 7ms").
	Notes []string `json:"notes,omitempty"`
	// Wall holds the only fields allowed to differ between two runs with the
	// same seed and config.
	Wall WallFacts `json:"wall"`
}

// Metric is one workload-defined figure: {"name": "tpmC", "value": 1234.5,
// "unit": "txn/min"}.
type Metric = workloads.Metric

// workloadReport adds the workload's own figures and notes to res, when the
// workload has any (workloads.Reporter). Values are rounded like every other
// float in the file, so results stay byte-identical.
func workloadReport(res *Result, wl workloads.Workload, measured time.Duration) {
	rp, ok := wl.(workloads.Reporter)
	if !ok {
		return
	}
	byType := make(map[string]workloads.TypeCounts, len(res.TxnTypes))
	for _, t := range res.TxnTypes {
		byType[t.Name] = workloads.TypeCounts{Committed: t.Committed, Failed: t.Failed, Aborts: t.AbortReasons}
	}
	for _, m := range rp.Metrics(byType, measured) {
		m.Value = roundSig(m.Value)
		res.WorkloadMetrics = append(res.WorkloadMetrics, m)
	}
	res.Notes = append(res.Notes, rp.Notes()...)
}

// WallFacts are facts about the machine and wall clock of a run. They are
// kept apart so that tools comparing two results can ignore them.
type WallFacts struct {
	Host        string  `json:"host,omitempty"`
	GoVersion   string  `json:"go_version,omitempty"`
	Platform    string  `json:"platform,omitempty"` // GOOS/GOARCH
	NumCPU      int     `json:"num_cpu,omitempty"`
	StartedAt   string  `json:"started_at,omitempty"` // RFC 3339
	WallSeconds float64 `json:"wall_seconds"`
	// ClientCPUSeconds is the CPU time (user + system) this process spent
	// while clients ran, loading excluded: the load generator's own cost,
	// which is what comparisons with other drivers (pgbench) need.
	ClientCPUSeconds float64 `json:"client_cpu_seconds,omitempty"`
	// SimSpeed is how fast the simulator ran (simulated runs only).
	SimSpeed *SimSpeed `json:"sim_speed,omitempty"`
}

// SimSpeed is the simulator's speed over a simulated run, loading excluded:
// virtual time and kernel events per second of wall time. Like every wall
// fact it varies between identical runs.
type SimSpeed struct {
	SimSecondsPerWallSecond float64 `json:"sim_seconds_per_wall_second"`
	EventsPerSecond         float64 `json:"events_per_second"`
}

// NewSimSpeed returns the speed of a simulation that covered simulated
// time in wall time and ran events.
func NewSimSpeed(simulated, wall time.Duration, events uint64) *SimSpeed {
	w := max(wall.Seconds(), 1e-9)
	return &SimSpeed{
		SimSecondsPerWallSecond: round3(simulated.Seconds() / w),
		EventsPerSecond:         math.Round(float64(events) / w),
	}
}

// NewWallFacts returns the wall facts of this process for a run that started
// at started and took wall.
func NewWallFacts(started time.Time, wall time.Duration) WallFacts {
	host, _ := os.Hostname()
	return WallFacts{
		Host:        host,
		GoVersion:   runtime.Version(),
		Platform:    runtime.GOOS + "/" + runtime.GOARCH,
		NumCPU:      runtime.NumCPU(),
		StartedAt:   started.Format(time.RFC3339Nano),
		WallSeconds: round3(wall.Seconds()),
	}
}

// Summary holds the figures of a transaction type or of the whole run, over
// the measured period (after warmup).
type Summary struct {
	Committed       int64 `json:"committed"`
	Failed          int64 `json:"failed"` // transactions given up
	Attempts        int64 `json:"attempts"`
	AbortedAttempts int64 `json:"aborted_attempts"`
	// AbortRate is aborted attempts / attempts (0 without attempts).
	AbortRate float64 `json:"abort_rate"`
	// RetriesPerTxn is (attempts - txns) / txns over the finished
	// transactions, txns = committed + failed, using each transaction's own
	// attempt count so that a transaction straddling the warmup counts whole.
	RetriesPerTxn float64 `json:"retries_per_txn"`
	// ThroughputTPS is committed transactions per measured second (goodput).
	ThroughputTPS float64 `json:"throughput_tps"`
	AttemptsPerS  float64 `json:"attempts_per_s"`
	// LatencyMs is end-to-end latency of committed transactions, from the
	// intended start, retries and backoff included.
	LatencyMs Latency `json:"latency_ms"`
	// AttemptLatencyMs is the latency of every attempt, aborted ones included.
	AttemptLatencyMs Latency `json:"attempt_latency_ms"`
	// AbortReasons counts aborted attempts by reason.
	AbortReasons map[string]int64 `json:"abort_reasons"`
	// BreakdownMs is the mean time per committed transaction by category,
	// over the committed transactions whose engine reported a breakdown.
	BreakdownMs map[string]float64 `json:"breakdown_ms,omitempty"`
	// Participants counts committed attempts by the number of partitions
	// their commit involved ("1" -> count); attempts with an unknown count
	// are left out.
	Participants map[string]int64 `json:"participants,omitempty"`
	// LatencyByShape splits LatencyMs by commit shape ("single-partition",
	// "multi-partition") for engines that report how many partitions a
	// commit involved; histograms "<type>/latency/<shape>" hold the values.
	LatencyByShape map[string]ShapeLatency `json:"latency_by_shape,omitempty"`
	// StatementLatencyMs is the latency of each statement kind ("read",
	// "write", "scan", "commit", ...; see StmtRead) over every attempt,
	// as the client sees it: a statement that aborted its attempt is left
	// out, a commit counts only when it succeeded. Histograms
	// "<type>/statement/<kind>" hold the values.
	StatementLatencyMs map[string]StatementLatency `json:"statement_latency_ms,omitempty"`
	// StatementsPerTxn is the mean number of statements a committed
	// attempt issued, its COMMIT not counted (a set-oriented statement is
	// one, whatever its row count).
	StatementsPerTxn float64 `json:"statements_per_txn,omitempty"`
}

// StatementLatency is the latency of one statement kind.
type StatementLatency struct {
	Count int64 `json:"count"`
	Latency
}

// ShapeLatency is the latency of the committed transactions of one commit
// shape.
type ShapeLatency struct {
	Committed int64   `json:"committed"`
	Latency   Latency `json:"latency_ms"`
}

// Latency is a latency distribution in milliseconds, rounded to the µs.
// Percentiles and Max come from the run's HdrHistogram (the upper edge of the
// value's bucket, within 0.1%), so they match what a tool computes from the
// Histograms; Mean is exact. Latencies beyond 1 h count as 1 h. All zero when
// nothing was recorded.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// TxnSummary is the Summary of one transaction type; the summary fields
// appear inline next to the name in JSON.
type TxnSummary struct {
	Name string `json:"name"`
	Summary
}

// TimelinePoint holds the figures of one interval of the run, by the time
// records ended. Warmup intervals are included and marked.
type TimelinePoint struct {
	TS        float64 `json:"t_s"` // interval start, seconds since run start
	Committed int64   `json:"committed"`
	Failed    int64   `json:"failed"`
	Attempts  int64   `json:"attempts"`
	Aborted   int64   `json:"aborted"`
	TPS       float64 `json:"tps"` // committed per second in this interval
	// P50Ms and P99Ms are end-to-end latency percentiles of the transactions
	// that committed in this interval (0 if none).
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	Warmup bool    `json:"warmup"` // the interval starts before the warmup ends
}

// ContendedKey is a row that aborted attempts named as contended.
type ContendedKey struct {
	Table  string `json:"table"`
	Key    string `json:"key"`
	Aborts int64  `json:"aborts"`
}

// WriteFile writes r to path as indented JSON with a trailing newline. The
// content goes to a temporary file in the same directory which is then
// renamed over path, so an interrupted write never leaves a truncated file.
// An empty Schema is written as ResultSchema, and nil maps and slices as
// empty ones so readers see every field.
func (r *Result) WriteFile(path string) error {
	data, err := r.marshal()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %v", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	// CreateTemp makes the file 0600; results are ordinary files.
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	// Sync before rename: otherwise a crash can leave the new name pointing
	// at an empty file on some file systems.
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// marshal returns the file content of r.
func (r *Result) marshal() ([]byte, error) {
	c := *r
	if c.Schema == "" {
		c.Schema = ResultSchema
	}
	if c.Config == nil {
		c.Config = map[string]string{}
	}
	if c.Histograms == nil {
		c.Histograms = map[string]string{}
	}
	if c.TxnTypes == nil {
		c.TxnTypes = []TxnSummary{}
	}
	if c.Timeline == nil {
		c.Timeline = []TimelinePoint{}
	}
	if c.TopContended == nil {
		c.TopContended = []ContendedKey{}
	}
	if c.Summary.AbortReasons == nil {
		c.Summary.AbortReasons = map[string]int64{}
	}
	// Copy before filling in nil maps: WriteFile must not change r.
	c.TxnTypes = slices.Clone(c.TxnTypes)
	for i := range c.TxnTypes {
		if c.TxnTypes[i].AbortReasons == nil {
			c.TxnTypes[i].AbortReasons = map[string]int64{}
		}
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		// Only a NaN or Inf float gets here (the Recorder never makes one).
		return nil, err
	}
	return append(data, '\n'), nil
}

// ReadResult reads and validates a results file. Every error is one line
// that starts with the path, fit to print as is.
func ReadResult(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path goes in front, not in the middle
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return parseResult(path, data)
}

// requiredFields are the top-level fields every v1 file has; their absence
// means the file was not written by WriteFile.
var requiredFields = []string{
	"schema", "engine", "workload", "seed", "mode", "config", "partial",
	"duration_s", "warmup_s", "summary", "txn_types", "timeline",
	"histograms", "top_contended",
}

// parseResult decodes and validates the content of a results file; name
// prefixes errors. It is split from ReadResult so it can be fuzzed.
func parseResult(name string, data []byte) (*Result, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", name, oneLine(fmt.Sprintf(format, args...)))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fail("empty file, not a txbench result")
	}
	// First pass: the top level only, to tell "not a result at all" from
	// "a damaged result" before field types can produce confusing errors.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fail("%s", jsonError(data, err))
	}
	if top == nil { // the file is "null"
		return nil, fail("not a txbench result (JSON null)")
	}
	rawSchema, ok := top["schema"]
	if !ok {
		return nil, fail("not a txbench result (no \"schema\" field)")
	}
	var schema string
	if err := json.Unmarshal(rawSchema, &schema); err != nil {
		return nil, fail("not a txbench result (\"schema\" is not a string)")
	}
	if schema != ResultSchema {
		if strings.HasPrefix(schema, "txbench.result/") {
			return nil, fail("unsupported result schema %q (this build reads %s)", clip(schema), ResultSchema)
		}
		return nil, fail("not a txbench result (schema %q)", clip(schema))
	}
	for _, f := range requiredFields {
		if _, ok := top[f]; !ok {
			return nil, fail("missing field %q", f)
		}
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fail("%s", jsonError(data, err))
	}
	if err := r.Validate(); err != nil {
		return nil, fail("%v", err)
	}
	return &r, nil
}

// jsonError describes a decoding error in one line with its position.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("truncated or corrupt JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("not a txbench result (top-level JSON %s, not an object)", te.Value)
		}
		return fmt.Sprintf("field %q: JSON %s where %s expected (byte %d)", te.Field, te.Value, te.Type, te.Offset)
	default:
		return "invalid JSON: " + err.Error()
	}
}

// Validate checks that r is a sane v1 result: identity fields set, counts
// non-negative and consistent between the summary, the per-type summaries and
// the histograms, every histogram decodable. ReadResult calls it; writers may
// call it to catch a bug before a file is shared.
func (r *Result) Validate() error {
	if r.Schema != ResultSchema {
		return fmt.Errorf("not a txbench result (schema %q)", clip(r.Schema))
	}
	if r.Engine == "" {
		return errors.New(`field "engine" is empty`)
	}
	if r.Workload == "" {
		return errors.New(`field "workload" is empty`)
	}
	if r.Mode != "simulated" && r.Mode != "real" {
		return fmt.Errorf(`field "mode" is %q, want "simulated" or "real"`, clip(r.Mode))
	}
	if r.DurationS < 0 || r.WarmupS < 0 {
		return fmt.Errorf("negative duration (duration_s %v, warmup_s %v)", r.DurationS, r.WarmupS)
	}
	if err := r.Summary.validate("summary"); err != nil {
		return err
	}
	var sum Summary
	seen := map[string]bool{}
	for i, t := range r.TxnTypes {
		if t.Name == "" {
			return fmt.Errorf("txn_types[%d] has no name", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("txn_types: type %q appears twice", clip(t.Name))
		}
		seen[t.Name] = true
		if err := t.Summary.validate(fmt.Sprintf("txn_types[%q]", clip(t.Name))); err != nil {
			return err
		}
		sum.Committed += t.Committed
		sum.Failed += t.Failed
		sum.Attempts += t.Attempts
		sum.AbortedAttempts += t.AbortedAttempts
	}
	for _, c := range []struct {
		name       string
		total, sum int64
	}{
		{"committed", r.Summary.Committed, sum.Committed},
		{"failed", r.Summary.Failed, sum.Failed},
		{"attempts", r.Summary.Attempts, sum.Attempts},
		{"aborted_attempts", r.Summary.AbortedAttempts, sum.AbortedAttempts},
	} {
		if c.total != c.sum {
			return fmt.Errorf("summary has %s %d but the transaction types add up to %d", c.name, c.total, c.sum)
		}
	}
	for i, p := range r.Timeline {
		if p.Committed < 0 || p.Failed < 0 || p.Attempts < 0 || p.Aborted < 0 {
			return fmt.Errorf("timeline[%d] has a negative count", i)
		}
	}
	for i, k := range r.TopContended {
		if k.Aborts < 0 {
			return fmt.Errorf("top_contended[%d] has a negative count", i)
		}
	}
	for _, name := range []string{"all/latency", "all/attempt"} {
		if _, ok := r.Histograms[name]; !ok {
			return fmt.Errorf("histogram %q is missing", name)
		}
	}
	for name, enc := range r.Histograms {
		h, err := DecodeHistogram(enc)
		if err != nil {
			return fmt.Errorf("histogram %q: %v", clip(name), err)
		}
		// Every committed transaction is in all/latency and every attempt in
		// all/attempt; a mismatch means the file was edited or mixed up.
		switch name {
		case "all/latency":
			if h.TotalCount() != r.Summary.Committed {
				return fmt.Errorf("histogram %q holds %d values but summary has committed %d", name, h.TotalCount(), r.Summary.Committed)
			}
		case "all/attempt":
			if h.TotalCount() != r.Summary.Attempts {
				return fmt.Errorf("histogram %q holds %d values but summary has attempts %d", name, h.TotalCount(), r.Summary.Attempts)
			}
		}
	}
	return nil
}

func (s *Summary) validate(where string) error {
	if s.Committed < 0 || s.Failed < 0 || s.Attempts < 0 || s.AbortedAttempts < 0 {
		return fmt.Errorf("%s has a negative count (committed %d, failed %d, attempts %d, aborted_attempts %d)",
			where, s.Committed, s.Failed, s.Attempts, s.AbortedAttempts)
	}
	if s.AbortedAttempts > s.Attempts {
		return fmt.Errorf("%s has more aborted attempts (%d) than attempts (%d)", where, s.AbortedAttempts, s.Attempts)
	}
	for k, v := range s.AbortReasons {
		if v < 0 {
			return fmt.Errorf("%s: abort reason %q has a negative count", where, clip(k))
		}
	}
	for k, v := range s.Participants {
		if v < 0 {
			return fmt.Errorf("%s: participants %q has a negative count", where, clip(k))
		}
	}
	for _, x := range []float64{s.AbortRate, s.RetriesPerTxn, s.ThroughputTPS, s.AttemptsPerS} {
		if x < 0 || math.IsNaN(x) {
			return fmt.Errorf("%s has a negative rate", where)
		}
	}
	return nil
}

// DecodeHistogram decodes a histogram of a results file (V2 compressed,
// base64). It accepts only the txbench geometry (1 µs .. 1 h, 3 significant
// figures): that keeps histograms of different files mergeable without loss,
// and it bounds the memory a corrupt or hostile file can make the decoder
// allocate.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	lowest, highest, sig, err := histogramGeometry(s)
	if err != nil {
		return nil, fmt.Errorf("corrupt encoding (%v)", err)
	}
	if lowest != histLowestMicros || highest != histHighestMicros || sig != histSigFigs {
		return nil, fmt.Errorf("unexpected geometry %d..%d, %d significant figures (want %d..%d, %d)",
			lowest, highest, sig, histLowestMicros, histHighestMicros, histSigFigs)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("corrupt encoding (%v)", err)
	}
	return h, nil
}

// histogramGeometry reads the geometry from the header of an encoded
// histogram without decoding its counts. Layout (big endian): base64 of
// [cookie int32][compressed length int32][zlib data]; the zlib data starts
// with [cookie int32][payload length int32][normalizing offset int32]
// [significant figures int32][lowest int64][highest int64][ratio float64].
func histogramGeometry(s string) (lowest, highest int64, sig int32, err error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return 0, 0, 0, errors.New("not base64")
	}
	if len(raw) < 8 {
		return 0, 0, 0, errors.New("too short")
	}
	n := binary.BigEndian.Uint32(raw[4:8])
	if uint64(n) > uint64(len(raw)-8) {
		return 0, 0, 0, errors.New("truncated")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8 : 8+n]))
	if err != nil {
		return 0, 0, 0, errors.New("bad compressed data")
	}
	defer z.Close()
	var hdr [40]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return 0, 0, 0, errors.New("truncated header")
	}
	sig = int32(binary.BigEndian.Uint32(hdr[12:16]))
	lowest = int64(binary.BigEndian.Uint64(hdr[16:24]))
	highest = int64(binary.BigEndian.Uint64(hdr[24:32]))
	return lowest, highest, sig, nil
}

// oneLine keeps an error message on one line whatever text it quotes.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clip shortens a string from a file before quoting it in a message.
func clip(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
