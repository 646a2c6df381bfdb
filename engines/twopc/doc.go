// Package twopc models a Spanner-style database — two-phase locking with
// wound-wait at split leaders, two-phase commit over Paxos groups, TrueTime
// commit wait — message by message, over the shared MVCC storage core. On
// the command line it is "2pc" (alias "spanner").
//
// # Layout
//
// The key space is hashed by shard-key value into --splits splits. Each
// split is a Paxos group with a replica in every AZ of a single-region
// topology, or in every region of a multi-region one (a witness region
// holds a voting replica without data), and one leader in --leader-region,
// spread over that region's AZs by split number. A Paxos record counts once
// a majority of the group (the leader's own append included) has it.
//
// # Read-write transactions (serializable, the default)
//
// Every read goes from the client to the split leader, takes a shared lock
// there and reads the newest committed version; writes are buffered at the
// client (UPDATE, DELETE and INSERT read the row first, as SQL does); range
// scans take a shared range lock over what they read. Deadlocks are avoided
// by wound-wait (woundwait.go), ordered by the first attempt's start, so a
// retried transaction keeps its priority.
//
// Commit with one split: the leader takes the write locks, picks
// s ≥ TT.now().latest, replicates the commit record, waits until
// TT.now().earliest > s (commit wait, overlapped with replication),
// applies, releases and replies. With several splits: two-phase commit, the
// coordinator being the participant leader nearest the client — each other
// participant locks, picks a prepare timestamp and logs a prepare record in
// parallel, the coordinator picks s above all of them, logs the commit
// record, commit-waits, replies and notifies the participants, which log
// the outcome, apply and release. Splits where the transaction only holds
// read locks vote without logging and keep their locks until the outcome.
//
// # Read-only transactions and repeatable read
//
// Read-only transactions (declared by the workload) read lock-free at
// s_read = TT.now().latest at the nearest replica, once its safe time —
// the leader's closed timestamp and the prepared transactions at or below
// s_read — has reached s_read; with --stale-reads d they read at s_read − d,
// which the nearest replica can serve at once. Under --isolation
// repeatable-read, read-write transactions read the same way at a snapshot
// and validate their writes at commit (first committer wins), so write skew
// commits and lost updates do not.
//
// # Leader failure
//
// A leader holds a 10 s lease. When its node has been crashed that long
// (sim.Cluster.OnDown), failover.go elects the live data replica nearest it,
// starts its timestamps above the old lease's end, completes the commit
// records the old leader had decided, and aborts every undecided
// transaction that touched the split (its locks were never logged; see
// docs/models.md for what this simplifies). Clients silent for 10 s have
// their open transaction aborted (idle); a closed connection aborts it at
// once.
package twopc
