package history

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// FileSchema names the history file format: gzip-compressed JSON lines, a
// header line, one line per attempt in completion order, and a trailer
// line with the count (a file without its trailer was cut short).
const FileSchema = "txbench.history/v1"

type header struct {
	Schema string `json:"schema"`
	Model  Model  `json:"model"`
}

type trailer struct {
	End       bool `json:"end"`
	Txns      int  `json:"txns"`
	Truncated bool `json:"truncated,omitempty"`
}

type fileOp struct {
	F string  `json:"f"`
	K int64   `json:"k"`
	V int64   `json:"v,omitempty"`
	L []int64 `json:"l,omitempty"`
}

type fileTxn struct {
	Client   int      `json:"c"`
	Attempt  int      `json:"a"`
	Invoke   int64    `json:"i"` // ns
	Complete int64    `json:"e"` // ns
	Outcome  string   `json:"o"`
	Reason   string   `json:"why,omitempty"`
	Ops      []fileOp `json:"ops"`
}

// Writer streams a history to w as attempts complete, compressed, and stops
// recording (marking the history truncated) once about MaxBytes of
// compressed output are written. It is a Sink. Close writes the trailer.
type Writer struct {
	out      *countingWriter
	gz       *gzip.Writer
	enc      *json.Encoder
	maxBytes int64
	n        int
	trunc    bool
	err      error
}

// NewWriter starts a history file of the given model on w; maxBytes <= 0
// means no limit.
func NewWriter(w io.Writer, model Model, maxBytes int64) *Writer {
	cw := &countingWriter{w: w}
	gz, _ := gzip.NewWriterLevel(cw, gzip.BestSpeed) // the level is valid
	hw := &Writer{out: cw, gz: gz, enc: json.NewEncoder(gz), maxBytes: maxBytes}
	hw.err = hw.enc.Encode(header{Schema: FileSchema, Model: model})
	return hw
}

// Add writes one attempt, unless the limit is reached or a write failed.
func (w *Writer) Add(t Txn) {
	if w.err != nil || w.trunc {
		return
	}
	if w.maxBytes > 0 && w.out.n >= w.maxBytes {
		w.trunc = true
		return
	}
	ft := fileTxn{Client: t.Client, Attempt: t.Attempt, Invoke: int64(t.Invoke), Complete: int64(t.Complete),
		Outcome: t.Outcome.String(), Reason: t.Reason, Ops: make([]fileOp, len(t.Ops))}
	for i, o := range t.Ops {
		ft.Ops[i] = fileOp{F: o.Kind.String(), K: o.Key, V: o.Value, L: o.List}
	}
	w.err = w.enc.Encode(ft)
	w.n++
}

// Truncated reports whether the size limit stopped recording.
func (w *Writer) Truncated() bool { return w.trunc }

// Close writes the trailer and flushes; it does not close the underlying
// writer. The error is the first write error.
func (w *Writer) Close() error {
	if w.err == nil {
		w.err = w.enc.Encode(trailer{End: true, Txns: w.n, Truncated: w.trunc})
	}
	return errors.Join(w.err, w.gz.Close())
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Read reads a whole history file. A file that is not a history, is
// corrupt, or lacks its trailer is rejected with an error saying so.
func Read(r io.Reader) (*History, error) {
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("not a %s file (gzip): %w", FileSchema, err)
	}
	dec := json.NewDecoder(gz)
	var h header
	if err := dec.Decode(&h); err != nil || h.Schema != FileSchema {
		return nil, fmt.Errorf("not a %s file (header)", FileSchema)
	}
	if h.Model != Append && h.Model != Register {
		return nil, fmt.Errorf("history: unknown model %q", h.Model)
	}
	out := &History{Model: h.Model}
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("history: cut short after %d attempts (no trailer)", len(out.Txns))
			}
			return nil, fmt.Errorf("history: after %d attempts: %w", len(out.Txns), err)
		}
		var tr trailer
		if json.Unmarshal(raw, &tr) == nil && tr.End {
			if tr.Txns != len(out.Txns) {
				return nil, fmt.Errorf("history: trailer says %d attempts, read %d", tr.Txns, len(out.Txns))
			}
			out.Truncated = tr.Truncated
			return out, nil
		}
		var ft fileTxn
		if err := json.Unmarshal(raw, &ft); err != nil {
			return nil, fmt.Errorf("history: attempt %d: %w", len(out.Txns), err)
		}
		t, err := ft.txn(h.Model)
		if err != nil {
			return nil, fmt.Errorf("history: attempt %d: %w", len(out.Txns), err)
		}
		out.Txns = append(out.Txns, t)
	}
}

func (ft *fileTxn) txn(m Model) (Txn, error) {
	t := Txn{Client: ft.Client, Attempt: ft.Attempt, Invoke: time.Duration(ft.Invoke), Complete: time.Duration(ft.Complete),
		Reason: ft.Reason, Ops: make([]Op, len(ft.Ops))}
	switch ft.Outcome {
	case "committed":
		t.Outcome = Committed
	case "aborted":
		t.Outcome = Aborted
	case "unknown":
		t.Outcome = Unknown
	default:
		return t, fmt.Errorf("unknown outcome %q", ft.Outcome)
	}
	for i, o := range ft.Ops {
		op := Op{Key: o.K, Value: o.V, List: o.L}
		switch o.F {
		case "r":
			op.Kind = OpRead
			if m == Append && op.List == nil {
				op.List = []int64{} // omitted when empty
			}
		case "w":
			op.Kind = OpWrite
		case "append":
			op.Kind = OpAppend
		default:
			return t, fmt.Errorf("unknown operation %q", o.F)
		}
		t.Ops[i] = op
	}
	return t, nil
}
