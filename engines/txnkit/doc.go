// Package txnkit is what every simulated engine's transaction keeps on the
// side of the storage core: the write set (the rows it changed, deleted or
// locked FOR UPDATE, in first-touch order, with read-your-writes and the
// byte and row counts that size limits need) and the overlay that merges a
// range scan of committed rows with those writes, forward or reverse,
// under a limit.
//
// It is pure code — no simulator, no storage — so the three engines share
// one tested implementation of what used to be three hand copies, and the
// statement forms built on it are written once.
package txnkit
