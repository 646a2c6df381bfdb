package engines

import (
	"errors"
	"fmt"
)

// Reason names why an attempt was aborted, the way the modelled system names
// it (DSQL's OC000, PostgreSQL's SQLSTATE codes, Spanner's ABORTED causes).
// Reasons are open-ended strings so engines can add their own; the constants
// below are the shared vocabulary.
type Reason string

const (
	// ReasonConflict: a write-write conflict found at commit (first committer
	// wins). DSQL reports SQLSTATE 40001 with detail OC000.
	ReasonConflict Reason = "conflict(OC000)"
	// ReasonSchemaConflict: DSQL's OC001, a concurrent catalog change.
	ReasonSchemaConflict Reason = "schema-conflict(OC001)"
	// ReasonSerialization: SQLSTATE 40001 raised during execution.
	ReasonSerialization Reason = "serialization(40001)"
	// ReasonDeadlock: SQLSTATE 40P01.
	ReasonDeadlock Reason = "deadlock(40P01)"
	// ReasonLimit: SQLSTATE 54000, a per-transaction limit was exceeded.
	ReasonLimit Reason = "limit(54000)"
	// ReasonWounded: killed by an older transaction under wound-wait.
	ReasonWounded Reason = "wounded"
	// ReasonDeadline: the transaction ran past its deadline.
	ReasonDeadline Reason = "deadline-exceeded"
	// ReasonStatementTimeout: a statement ran past the statement timeout
	// (--statement-timeout; PostgreSQL's statement_timeout, SQLSTATE 57014
	// query_canceled) and the transaction was aborted.
	ReasonStatementTimeout Reason = "statement-timeout(57014)"
	// ReasonConnection: the connection to the server was lost.
	ReasonConnection Reason = "connection-lost"
	// ReasonUser: the workload rolled back on purpose (TPC-C's 1% New-Order).
	ReasonUser Reason = "user-rollback"
)

// AbortError is returned by a Txn method when the attempt is over.
type AbortError struct {
	Reason Reason
	// Retryable is true when re-running the same transaction may succeed.
	Retryable bool
	// Table and Key name the contended row when the engine knows it; the
	// runner ranks them as "top contended keys".
	Table string
	Key   string
	// Err is the underlying error, if any (e.g. a *pgconn.PgError).
	Err error
}

func (e *AbortError) Error() string {
	msg := "transaction aborted: " + string(e.Reason)
	if e.Table != "" {
		msg += fmt.Sprintf(" on %s%s", e.Table, e.Key)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *AbortError) Unwrap() error { return e.Err }

// Abort builds a retryable abort.
func Abort(r Reason) *AbortError { return &AbortError{Reason: r, Retryable: true} }

// AsAbort returns the *AbortError in err's chain, if any.
func AsAbort(err error) (*AbortError, bool) {
	// The common cases first: errors.As needs its target on the heap, an
	// allocation per call (a check per statement and per attempt).
	if err == nil {
		return nil, false
	}
	// A chain of single Unwraps (the runner's commitError, fmt's %w)
	// is walked here too; anything errors.As treats specially (an As
	// method, several wrapped errors) goes to it.
	for e := err; ; {
		if a, ok := e.(*AbortError); ok {
			return a, true
		}
		if _, ok := e.(interface{ As(any) bool }); ok {
			break
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			if _, multi := e.(interface{ Unwrap() []error }); multi {
				break
			}
			return nil, false
		}
		if e = u.Unwrap(); e == nil {
			return nil, false
		}
	}
	var a *AbortError
	ok := errors.As(err, &a)
	return a, ok
}
