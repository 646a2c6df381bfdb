package pg

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/txbench/txbench/engines"
)

// classify turns a driver error into an *engines.AbortError when it ends
// the attempt, so the runner can count and retry without string matching.
// Errors that are results (none here) or bugs pass through unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "40001":
			reason := engines.ReasonSerialization
			text := pgErr.Message + " " + pgErr.Detail
			switch {
			case strings.Contains(text, "OC000"):
				reason = engines.ReasonConflict
			case strings.Contains(text, "OC001"):
				reason = engines.ReasonSchemaConflict
			}
			return &engines.AbortError{Reason: reason, Retryable: true, Err: err}
		case pgErr.Code == "40P01":
			return &engines.AbortError{Reason: engines.ReasonDeadlock, Retryable: true, Err: err}
		case pgErr.Code == "57014":
			// query_canceled: statement_timeout (--statement-timeout) or a
			// cancel request; PostgreSQL has aborted the transaction.
			return &engines.AbortError{Reason: engines.ReasonStatementTimeout, Retryable: true, Err: err}
		case pgErr.Code == "54000":
			return &engines.AbortError{Reason: engines.ReasonLimit, Retryable: false, Err: err}
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03":
			// Connection exceptions and administrator shutdown
			// (pg_terminate_backend): the session reconnects.
			return &engines.AbortError{Reason: engines.ReasonConnection, Retryable: true, Err: err}
		}
		return err
	}
	if isConnectionError(err) {
		return &engines.AbortError{Reason: engines.ReasonConnection, Retryable: true, Err: err}
	}
	return err
}

func isConnectionError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection reset")
}
