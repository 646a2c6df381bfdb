// Package isolation checks a recorded history (package history) for the
// isolation anomalies of Adya's thesis as Elle (Kingsbury & Alvaro, VLDB
// 2020) finds them: it infers write-write (ww), write-read (wr) and
// read-write (rw, anti-dependency) edges between committed transactions
// from the values they read and wrote, adds real-time (rt) edges when
// strict orders are checked, finds cycles (strongly connected components by
// Tarjan's algorithm, then the shortest cycles by breadth-first search
// inside each component), and classifies them. Reads that need no cycle
// (aborted and intermediate reads, lost updates, garbage) are found
// directly. The package is pure: it imports only package history.
package isolation

import (
	"fmt"
	"strings"
)

// Class is an anomaly class.
type Class string

const (
	// G0 (write cycle): a cycle of ww edges only.
	G0 Class = "G0"
	// G1a (aborted read): a committed transaction read a value written by
	// an attempt that aborted.
	G1a Class = "G1a"
	// G1b (intermediate read): a committed transaction read a value that
	// its writer overwrote before committing.
	G1b Class = "G1b"
	// G1c (circular information flow): a cycle of ww and wr edges with at
	// least one wr edge.
	G1c Class = "G1c"
	// GSingle (read skew): a cycle with exactly one rw edge.
	GSingle Class = "G-single"
	// G2Item (write skew): a cycle with two or more rw edges.
	G2Item Class = "G2-item"
	// LostUpdate: two committed transactions read the same version of a
	// key and both wrote the key.
	LostUpdate Class = "lost-update"
	// The real-time classes are cycles that need rt edges (T1's commit
	// returned before T2 began): a stale read, an order only a clock can
	// see. Only strict serializability and strong snapshot isolation forbid
	// them.
	G0RealTime      Class = "G0-realtime"
	G1cRealTime     Class = "G1c-realtime"
	GSingleRealTime Class = "G-single-realtime"
	G2ItemRealTime  Class = "G2-item-realtime"
	// GarbageRead: a read returned a value no attempt wrote.
	GarbageRead Class = "garbage-read"
	// IncompatibleOrder: two reads of a list disagree on the order of its
	// elements (or one shows an element twice).
	IncompatibleOrder Class = "incompatible-order"
)

// Classes lists every class in report order (weakest anomaly first).
var Classes = []Class{GarbageRead, IncompatibleOrder, G0, G1a, G1b, G1c, LostUpdate, GSingle, G2Item,
	G0RealTime, G1cRealTime, GSingleRealTime, G2ItemRealTime}

// Describe names the anomaly a class stands for.
func (c Class) Describe() string {
	switch c {
	case G0:
		return "write cycle"
	case G1a:
		return "aborted read"
	case G1b:
		return "intermediate read"
	case G1c:
		return "circular information flow"
	case GSingle:
		return "read skew"
	case G2Item:
		return "write skew"
	case LostUpdate:
		return "lost update"
	case G0RealTime:
		return "write cycle with real-time order"
	case G1cRealTime:
		return "information flow against real-time order"
	case GSingleRealTime:
		return "stale read: read skew with real-time order"
	case G2ItemRealTime:
		return "write skew with real-time order"
	case GarbageRead:
		return "read of a value never written"
	case IncompatibleOrder:
		return "reads disagree on a list's order"
	}
	return string(c)
}

// realTime reports whether c needs real-time edges.
func (c Class) realTime() bool { return strings.HasSuffix(string(c), "-realtime") }

// Level is an isolation level a system claims.
type Level string

const (
	ReadCommitted Level = "read-committed"
	// SnapshotIsolation (Adya's PL-SI): no G0, G1, G-single, lost update;
	// write skew (G2-item) allowed.
	SnapshotIsolation Level = "snapshot-isolation"
	// StrongSnapshotIsolation is snapshot isolation whose snapshots respect
	// real time: a transaction that begins after another's commit returned
	// sees it (Aurora DSQL's claim).
	StrongSnapshotIsolation Level = "strong-snapshot-isolation"
	Serializable            Level = "serializable"
	// StrictSerializable is serializable in an order that respects real
	// time (Spanner's external consistency).
	StrictSerializable Level = "strict-serializable"
)

// Levels lists the levels, weakest first.
var Levels = []Level{ReadCommitted, SnapshotIsolation, StrongSnapshotIsolation, Serializable, StrictSerializable}

// ParseLevel checks a level name.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	names := make([]string, len(Levels))
	for i, l := range Levels {
		names[i] = string(l)
	}
	return "", fmt.Errorf("unknown isolation level %q (want %s)", s, strings.Join(names, ", "))
}

// RealTime reports whether the level constrains real-time order, so that
// a check must add rt edges.
func (l Level) RealTime() bool { return l == StrongSnapshotIsolation || l == StrictSerializable }

// Proscribes reports whether the level forbids the class. Garbage reads
// and incompatible orders are forbidden at every level: they mean the
// database returned data nobody wrote.
func (l Level) Proscribes(c Class) bool {
	switch c {
	case GarbageRead, IncompatibleOrder, G0, G1a, G1b, G1c:
		return true
	case GSingle, LostUpdate:
		return l != ReadCommitted
	case G2Item:
		return l == Serializable || l == StrictSerializable
	case G0RealTime, G1cRealTime, GSingleRealTime:
		return l.RealTime()
	case G2ItemRealTime:
		return l == StrictSerializable
	}
	return true
}
