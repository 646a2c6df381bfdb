// Package pg drives a real PostgreSQL-compatible database (PostgreSQL,
// CockroachDB, YugabyteDB, Aurora DSQL/Limitless, Spanner's PostgreSQL
// interface) through pgx/v5, implementing the same SQL-shaped engine
// contract the simulated engines implement.
//
// Tables are created from the workload's schema (string key columns use
// COLLATE "C" so that key order is byte order, as in the simulator), loaded
// with COPY, and queried with prepared statements (pgx's statement cache).
// Errors are classified by SQLSTATE into the shared abort reasons: 40001
// serialization failure (DSQL's OC000/OC001 details when present), 40P01
// deadlock, 54000 program limit; a lost connection aborts the attempt as
// retryable and the session reconnects before the next one.
package pg
