package pg

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/txbench/txbench/engines"
)

// The SQLSTATEs a server sends map to the shared abort reasons, including
// Aurora DSQL's OC000/OC001 details on 40001 (which this test's server
// cannot send, so they are synthesised here as DSQL words them).
func TestClassifyBySQLSTATE(t *testing.T) {
	cases := []struct {
		err       error
		reason    engines.Reason
		retryable bool
	}{
		{&pgconn.PgError{Code: "40001", Message: "could not serialize access due to concurrent update"}, engines.ReasonSerialization, true},
		{&pgconn.PgError{Code: "40001", Message: "change conflicts with another transaction, please retry: (OC000)"}, engines.ReasonConflict, true},
		{&pgconn.PgError{Code: "40001", Message: "schema has been updated by another transaction, please retry: (OC001)"}, engines.ReasonSchemaConflict, true},
		{&pgconn.PgError{Code: "40P01", Message: "deadlock detected"}, engines.ReasonDeadlock, true},
		{&pgconn.PgError{Code: "54000", Message: "transaction row limit exceeded"}, engines.ReasonLimit, false},
		{&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, engines.ReasonStatementTimeout, true},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, engines.ReasonConnection, true},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, engines.ReasonConnection, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), engines.ReasonConnection, true},
	}
	for _, c := range cases {
		a, ok := engines.AsAbort(classify(c.err))
		if !ok || a.Reason != c.reason || a.Retryable != c.retryable {
			t.Errorf("%v: got %+v, want %s retryable=%v", c.err, a, c.reason, c.retryable)
		}
		if !errors.Is(a, c.err) && !errors.Is(a.Err, c.err) {
			t.Errorf("%v: the driver error is not kept", c.err)
		}
	}
	// Errors that are not aborts pass through.
	other := &pgconn.PgError{Code: "42P01", Message: "relation does not exist"}
	if _, ok := engines.AsAbort(classify(other)); ok {
		t.Error("an undefined-table error was classified as an abort")
	}
}
