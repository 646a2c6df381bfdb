// Package sharded models an Aurora Limitless-style database — routers in
// front of hash-sharded PostgreSQL-like shards — message by message, over
// the shared MVCC storage core. On the command line it is "sharded" (alias
// "limitless").
//
// # Layout
//
// One region (the topology's first full one) with its AZs. --routers
// routers and --shards shards are spread over the AZs round robin; a
// client connects to a router in its AZ. Tables follow the workload's
// schema: a sharded table is placed by its shard-key value (integers by
// value modulo --shards, other values by hash), so rows with the same
// shard key share a shard (collocated tables); a reference table is held
// by every shard, and writing it is a multi-shard transaction. Each
// shard's log is durable on --sharded-storage-copies storage nodes (6,
// spread over the AZs from the shard's own: two per AZ), a flush waiting
// for --sharded-write-quorum (4) of them: about a cross-AZ round trip.
//
// # Statements
//
// Every statement goes from the client to its router and from there to
// the shards that hold its rows, in parallel when there are several; it
// is as slow as the slowest. Reads are snapshot reads: under repeatable
// read (the default) at the snapshot the router's bounded clock gave the
// transaction at its first statement, under read committed at a snapshot
// per statement. A read that meets a row of a commit in progress on the
// shard — a one-phase commit being flushed, or a prepared transaction —
// whose timestamp may be at or below its snapshot waits for the outcome.
// Writes (UPDATE, DELETE, INSERT, SELECT ... FOR UPDATE) take the row's
// exclusive lock on the shard at once, waiting in line behind its holders;
// then repeatable read fails with a serialization failure (40001, first
// updater wins) if a version newer than the snapshot exists, and read
// committed applies the change to the newest version. New versions stay
// private to the transaction on its shards until commit. Deadlocks are
// found after the fact: by a shard over its own lock table, by a router
// across shards (deadlock.go).
//
// # Commit
//
// A transaction that wrote nothing commits at its router. One written
// shard commits alone (one storage flush); several run two-phase commit:
// the others prepare in parallel, then a lead shard commits, and COMMIT
// PREPARED reaches the others after the client has its answer
// (commit.go). Commit timestamps come from the shards' bounded clocks and
// are waited out (commit wait, overlapped with the flush), so a
// transaction that starts after another's commit returned sees it.
//
// # Simplifications
//
// All shards share one MVCC store (each key belongs to one shard; a
// reference table's rows are kept once for all shards). Versions are
// installed when a commit's timestamp is decided; each shard exposes them
// only once it has resolved the commit, because its readers wait on the
// commit's pending record and its writers on the row locks, so nothing
// can observe them early. Routers need no state beyond sessions: the lead
// shard's commit record is the two-phase commit's decision. No failures
// are modelled.
package sharded
