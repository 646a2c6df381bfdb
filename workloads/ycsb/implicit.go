package ycsb

import (
	"math/rand/v2"
	"strings"

	"github.com/txbench/txbench/engines"
)

// Implicit rows (--implicit-rows): the table's rows are not loaded; an
// engine that reads a row nobody has written asks the workload for it, and
// gets the row of that key number, its values drawn from a stream of the
// seed and the key number alone (not from the load's one stream, so a row
// does not depend on the rows before it: the values differ from a loaded
// table's, their sizes do not). This is what lets Deneva's 2^28-row table
// run in a few hundred MB: a run touches a small part of it.

// streamImplicit seeds each implicit row's values, with the key number as
// the stream's second word.
const streamImplicit uint64 = 0x9c5b_7e1a_0000_0003

// ImplicitRows implements workloads.Implicit: the table and its rows by
// encoded primary key, or a nil table without --implicit-rows.
func (w *Workload) ImplicitRows() (*engines.Table, func(key string) (engines.Row, bool)) {
	if !w.opts.ImplicitRows {
		return nil, nil
	}
	return w.table, w.implicitRow
}

// implicitRow is the row whose encoded primary key is key, if key is one of
// this process's key numbers below --records. Names are ordered ("user" and
// 19 digits; the options insist), so the key number is read from the name
// and the key is checked by encoding that number's key again.
func (w *Workload) implicitRow(key string) (engines.Row, bool) {
	const width = len("user") + len(zeros)
	end := strings.LastIndex(key, "\x00\x01") // a string key part's terminator
	if end < width || !strings.HasPrefix(key[end-width:], "user") {
		return nil, false
	}
	var n int64
	for _, c := range []byte(key[end-len(zeros) : end]) {
		if c < '0' || c > '9' {
			return nil, false
		}
		n = n*10 + int64(c-'0')
	}
	if n >= w.opts.Records || !w.owns(n) || w.KeyOf(n).Encode() != key {
		return nil, false
	}
	r := make(engines.Row, len(w.table.Columns))
	w.fillRow(r, n, rand.New(rand.NewPCG(w.seed^streamImplicit, uint64(n))))
	return r, true
}
