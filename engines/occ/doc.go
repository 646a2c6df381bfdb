// Package occ models an optimistic, journal-based database in the style of
// Amazon Aurora DSQL, message by message, over the shared MVCC storage core.
//
// A transaction flows like this (see docs/architecture.md):
//
//   - Each client session has its own query processor (QP) in the client's
//     AZ. The first statement fixes τ_start from the QP's clock (the latest
//     bound of its ClockBound interval, so that a transaction that starts
//     after another's commit returned always sees it).
//   - Reads go to the storage replica in the QP's AZ "as of τ_start". A
//     replica serves τ_start only once it knows no commit at or below τ_start
//     can still arrive: every adjudicator's closed timestamp (its clock's
//     earliest bound, streamed through the journal) has passed τ_start, and
//     every commit already assigned a timestamp ≤ τ_start has been applied.
//   - Writes are buffered in the QP (read-your-writes). UPDATE and DELETE
//     read the row first, as SQL statements do.
//   - Commit of a read-only transaction needs no network beyond the client's
//     round trip to its QP and never aborts.
//   - Otherwise the QP sends τ_start and the write keys (and SELECT ... FOR
//     UPDATE keys) to the adjudicators that own them. An adjudicator aborts
//     the transaction if any key was committed after τ_start (first committer
//     wins: DSQL's OC000), else picks τ_commit, appends the commit to the
//     journal (a majority of journal replicas), waits out clock uncertainty
//     and acknowledges. With several adjudicators the QP runs a two-phase
//     round first; the lowest-numbered one writes the single journal record.
//   - Storage replicas apply the journal asynchronously, and expose a commit
//     only once it is durable on a quorum of journal replicas and they have
//     heard so: visibility follows durability.
//
// Isolation is strong snapshot isolation (PostgreSQL REPEATABLE READ): write
// skew commits, lost updates never do.
package occ
