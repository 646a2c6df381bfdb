package pg_test

import (
	"context"
	"testing"

	"github.com/txbench/txbench/engines"
	"github.com/txbench/txbench/engines/pg"
	"github.com/txbench/txbench/engines/settest"
)

// The set-oriented statements and secondary indexes, each one SQL
// statement, against a real server (the simulated engines run the same
// suite in runner's tests).
func TestSetStatementsAgainstARealServer(t *testing.T) {
	ctx := context.Background()
	for _, iso := range []string{"read-committed", "repeatable-read"} {
		t.Run(iso, func(t *testing.T) {
			e, err := pg.Open(ctx, pg.Config{DSN: testDB(t), Isolation: iso, Conns: 2, Reconnects: 3}, nil)
			must(t, err)
			defer e.Close()
			s, tb := settest.Schema()
			must(t, s.Validate())
			must(t, e.CreateSchema(ctx, s))
			must(t, e.Load(ctx, tb, settest.Rows()))
			must(t, e.Flush(ctx))
			settest.Run(t, func(fn func(ctx context.Context, sess engines.Session) error) error {
				sess, err := e.Session(ctx, engines.Client{})
				if err != nil {
					return err
				}
				defer sess.Close()
				return fn(ctx, sess)
			})
		})
	}
}
