package history

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample(n int) []Txn {
	var ts []Txn
	for i := range n {
		ts = append(ts, Txn{Client: i % 3, Attempt: 1 + i%2, Invoke: time.Duration(i) * time.Millisecond,
			Complete: time.Duration(i+1) * time.Millisecond, Outcome: Outcome(1 + i%3), Reason: map[bool]string{true: "conflict(OC000)"}[i%3 != 0],
			Ops: []Op{{Kind: OpRead, Key: 1, List: []int64{}}, {Kind: OpRead, Key: 2, List: []int64{int64(i), 7}}, {Kind: OpAppend, Key: 1, Value: int64(i + 10)}}})
	}
	return ts
}

func TestFileRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Append, 0)
	in := sample(50)
	for _, x := range in {
		w.Add(x)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h.Model != Append || h.Truncated || !reflect.DeepEqual(h.Txns, in) {
		t.Fatalf("read back %+v", h.Txns[:2])
	}
}

func TestFileIsBounded(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Register, 2048)
	for _, x := range sample(20000) {
		w.Add(x)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// gzip buffers up to its window, so the limit is approximate.
	if !w.Truncated() || buf.Len() > 2048+64<<10 {
		t.Fatalf("truncated %v, %d bytes", w.Truncated(), buf.Len())
	}
	h, err := Read(&buf)
	if err != nil || !h.Truncated || len(h.Txns) == 0 || len(h.Txns) >= 20000 {
		t.Fatalf("read %v: truncated %v, %d attempts", err, h != nil && h.Truncated, len(h.Txns))
	}
}

func TestReadRejectsBadFiles(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Append, 0)
	w.Add(sample(1)[0])
	w.gz.Close() // no trailer
	for name, data := range map[string][]byte{"not gzip": []byte("hello"), "no trailer": buf.Bytes()} {
		if _, err := Read(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "history") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[*Op]string{
		{Kind: OpRead, Key: 3, List: []int64{1, 5}}: "r(3)=[1 5]",
		{Kind: OpRead, Key: 3, Value: 4}:            "r(3)=4",
		{Kind: OpWrite, Key: 3, Value: 7}:           "w(3, 7)",
		{Kind: OpAppend, Key: 3, Value: 7}:          "append(3, 7)",
	} {
		if got := op.String(); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
