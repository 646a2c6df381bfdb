package ycsb

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/txbench/txbench/engines"
)

// fakeDB is a map-based, single-table stand-in for an engine: enough to show
// which statements Run issues and what they do.
type fakeDB struct {
	rows map[string]engines.Row // by Key.Encode()
}

func newFakeDB() *fakeDB { return &fakeDB{rows: map[string]engines.Row{}} }

func (db *fakeDB) load(_ context.Context, t *engines.Table, rows []engines.Row) error {
	for _, r := range rows {
		if err := t.CheckRow(r); err != nil {
			return err
		}
		k := t.KeyOf(r).Encode()
		if _, dup := db.rows[k]; dup {
			return fmt.Errorf("load: duplicate key %v", r[0])
		}
		db.rows[k] = r
	}
	return nil
}

// fakeTxn applies statements directly to the fake database and logs them.
type fakeTxn struct {
	db       *fakeDB
	readOnly bool
	log      []string
}

func keyStr(k engines.Key) string { return k[0].Str() }

func (f *fakeTxn) Get(_ context.Context, t *engines.Table, k engines.Key) (engines.Row, bool, error) {
	f.log = append(f.log, "get "+keyStr(k))
	r, ok := f.db.rows[k.Encode()]
	return r, ok, nil
}

func (f *fakeTxn) GetForUpdate(ctx context.Context, t *engines.Table, k engines.Key) (engines.Row, bool, error) {
	f.log = append(f.log, "get-for-update "+keyStr(k))
	r, ok := f.db.rows[k.Encode()]
	return r, ok, nil
}

func (f *fakeTxn) Scan(_ context.Context, t *engines.Table, s engines.ScanSpec) ([]engines.Row, error) {
	f.log = append(f.log, fmt.Sprintf("scan %s %d", keyStr(s.Start), s.Limit))
	start := s.Start.Encode()
	var keys []string
	for k := range f.db.rows {
		if k >= start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if s.Limit > 0 && len(keys) > s.Limit {
		keys = keys[:s.Limit]
	}
	out := make([]engines.Row, len(keys))
	for i, k := range keys {
		out[i] = f.db.rows[k]
	}
	return out, nil
}

func (f *fakeTxn) Insert(_ context.Context, t *engines.Table, r engines.Row) error {
	f.log = append(f.log, "insert "+r[0].Str())
	if f.readOnly {
		return engines.ErrReadOnly
	}
	if err := t.CheckRow(r); err != nil {
		return err
	}
	k := t.KeyOf(r).Encode()
	if _, dup := f.db.rows[k]; dup {
		return engines.ErrDuplicateKey
	}
	f.db.rows[k] = r
	return nil
}

func (f *fakeTxn) Update(_ context.Context, t *engines.Table, k engines.Key, sets ...engines.Set) error {
	var cols []string
	for _, s := range sets {
		cols = append(cols, t.Columns[s.Col].Name)
	}
	f.log = append(f.log, "update "+keyStr(k)+" "+strings.Join(cols, ","))
	if f.readOnly {
		return engines.ErrReadOnly
	}
	r, ok := f.db.rows[k.Encode()]
	if !ok {
		return engines.ErrNotFound
	}
	r = r.Clone()
	for _, s := range sets {
		r[s.Col] = s.Val
	}
	f.db.rows[k.Encode()] = r
	return nil
}

func (f *fakeTxn) Delete(_ context.Context, t *engines.Table, k engines.Key) error {
	f.log = append(f.log, "delete "+keyStr(k))
	delete(f.db.rows, k.Encode())
	return nil
}

func (f *fakeTxn) Commit(context.Context) error   { return nil }
func (f *fakeTxn) Rollback(context.Context) error { return nil }

var _ engines.Txn = (*fakeTxn)(nil)
