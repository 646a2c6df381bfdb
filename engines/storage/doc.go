// Package storage is the multi-version storage core shared by every simulated
// engine. Each engine (optimistic, two-phase locking, sharded) keeps its rows
// in a [Store]: an ordered map per table from key to a chain of committed
// versions, read as of a timestamp, so the engines differ only in how they
// decide which commits happen and when, never in how data is kept. A shard's
// replicas all apply the same committed log in order, so instead of copying
// the data per replica an engine wraps the shard's one Store in a [Replica]
// per replica, whose applied watermark decides which snapshots that replica
// can serve. Old versions are dropped against a GC horizon: engines derive it
// from the oldest live reader ([Snapshots]) and declare it with
// [Store.SetHorizon]; writes prune their own key eagerly and [Store.Collect]
// sweeps the keys nobody writes any more, so memory follows the live data and
// not the length of the run. Everything here is meant for the single-threaded,
// deterministic simulation loop: nothing is safe for concurrent use, and
// nothing observable depends on map iteration order.
package storage
