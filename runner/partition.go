package runner

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/txbench/txbench/engines"
)

// BarrierTable is where the processes of a partitioned run (--partition
// i/n) meet: each inserts its number once its share is loaded, and none
// starts its clients before all n are there. The database itself is the
// rendezvous, so the processes need no other channel between machines.
const BarrierTable = "txbench_partitions"

// WithPartitionBarrier returns the schema plus the barrier table (a new
// table each time: Schema.Validate numbers the tables it is given).
func WithPartitionBarrier(s *engines.Schema) *engines.Schema {
	barrier := &engines.Table{
		Name:       BarrierTable,
		Columns:    []engines.Column{{Name: "part", Type: engines.TypeInt}, {Name: "of_parts", Type: engines.TypeInt}},
		PrimaryKey: []int{0},
		ShardKey:   -1,
	}
	tables := append(append([]*engines.Table(nil), s.Tables...), barrier)
	return &engines.Schema{Tables: tables}
}

// barrierTimeout bounds how long a process waits for the others to load.
const barrierTimeout = 30 * time.Minute

// barrierSession talks to the barrier table through the engine contract.
type barrierSession struct {
	ctx  context.Context
	sess engines.Session
	tb   *engines.Table
	p    Partition
}

func openBarrier(ctx context.Context, eng engines.Engine, s *engines.Schema, p Partition) (*barrierSession, error) {
	sess, err := eng.Session(ctx, engines.Client{ID: -1})
	if err != nil {
		return nil, err
	}
	return &barrierSession{ctx: ctx, sess: sess, tb: s.Table(BarrierTable), p: p}, nil
}

func (b *barrierSession) close() { b.sess.Close() }

func (b *barrierSession) inTxn(fn func(tx engines.Txn) error) error {
	tx, err := b.sess.Begin(b.ctx, engines.TxnOptions{Type: "barrier"})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(b.ctx)
		return err
	}
	return tx.Commit(b.ctx)
}

// marks returns the partitions marked loaded; it refuses markers of a run
// split another way.
func (b *barrierSession) marks() ([]int64, error) {
	var rows []engines.Row
	err := b.inTxn(func(tx engines.Txn) error {
		var err error
		rows, err = tx.Scan(b.ctx, b.tb, engines.ScanSpec{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("--partition: reading %s: %w", BarrierTable, err)
	}
	var parts []int64
	for _, r := range rows {
		if n := r[1].Int(); n != int64(b.p.Count) {
			return nil, fmt.Errorf("--partition %s: %s holds a run split into %d partitions; run bench cleanup first", b.p, BarrierTable, n)
		}
		parts = append(parts, r[0].Int())
	}
	return parts, nil
}

// checkFresh fails before any loading when this partition is already
// marked: the tables hold a previous run's data.
func (b *barrierSession) checkFresh() error {
	parts, err := b.marks()
	if err != nil {
		return err
	}
	for _, i := range parts {
		if i == int64(b.p.Index) {
			return fmt.Errorf("--partition %s: partition %d is already marked loaded in %s by a previous partitioned run; run bench cleanup first", b.p, b.p.Index, BarrierTable)
		}
	}
	return nil
}

// arrive marks this partition loaded and waits until every partition is.
func (b *barrierSession) arrive(log io.Writer) error {
	err := b.inTxn(func(tx engines.Txn) error {
		return tx.Insert(b.ctx, b.tb, engines.Row{engines.Int(int64(b.p.Index)), engines.Int(int64(b.p.Count))})
	})
	if err != nil {
		return fmt.Errorf("--partition: marking this partition loaded: %w", err)
	}
	deadline := time.Now().Add(barrierTimeout)
	for {
		parts, err := b.marks()
		if err != nil {
			return err
		}
		if len(parts) == b.p.Count {
			return nil
		}
		fmt.Fprintf(log, "partition %s: %d of %d partitions loaded; waiting\n", b.p, len(parts), b.p.Count)
		if time.Now().After(deadline) {
			return fmt.Errorf("--partition %s: only %d of %d partitions loaded after %v", b.p, len(parts), b.p.Count, barrierTimeout)
		}
		select {
		case <-b.ctx.Done():
			return b.ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
