// Package history is a recorded history of transaction attempts, as the
// isolation checker (package isolation) reads it: per attempt the operations
// with their arguments and results, the outcome, and the client's invocation
// and completion times. It also reads and writes history files (streamed,
// gzip-compressed JSON lines, bounded in size). It imports nothing of ours.
package history

import (
	"fmt"
	"strings"
	"time"
)

// Model is the data model a history's operations act on; it decides how
// versions are recovered from what was read.
type Model string

const (
	// Append: each key holds a list; an append adds a unique value at its
	// end and a read returns the whole list, so every read reveals the
	// order of the versions it contains (Elle's list-append).
	Append Model = "append"
	// Register: each key holds one value; writes are blind writes of unique
	// values and a read returns the current value, 0 being the initial
	// one (Elle's rw-register). Version order is only partly recoverable.
	Register Model = "register"
)

// Kind is an operation's kind.
type Kind uint8

const (
	OpRead   Kind = iota + 1 // read a key: Value (register) or List (append)
	OpWrite                  // write Value to a register
	OpAppend                 // append Value to a list
)

// String is the short name used in evidence and files.
func (k Kind) String() string {
	switch k {
	case OpRead:
		return "r"
	case OpWrite:
		return "w"
	case OpAppend:
		return "append"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Op is one operation of an attempt.
type Op struct {
	Kind Kind
	Key  int64
	// Value is the value written or appended, or the value a register read
	// returned (0: the initial value).
	Value int64
	// List is what a read of an append key returned, oldest first (empty:
	// the initial, empty list).
	List []int64
}

// String renders the operation as evidence shows it: r(3)=[1 5], w(3, 7),
// append(3, 7).
func (o Op) String() string {
	switch o.Kind {
	case OpRead:
		if o.List != nil {
			return fmt.Sprintf("r(%d)=%s", o.Key, formatList(o.List))
		}
		return fmt.Sprintf("r(%d)=%d", o.Key, o.Value)
	case OpWrite:
		return fmt.Sprintf("w(%d, %d)", o.Key, o.Value)
	case OpAppend:
		return fmt.Sprintf("append(%d, %d)", o.Key, o.Value)
	}
	return fmt.Sprintf("%v(%d)", o.Kind, o.Key)
}

// formatList shows a short list whole and a long one by its ends, which
// are what evidence is about (the version read is the last element).
func formatList(l []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range l {
		if len(l) > 6 && i == 2 {
			fmt.Fprintf(&b, " …%d more…", len(l)-5)
		}
		if len(l) > 6 && i >= 2 && i < len(l)-3 {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	b.WriteByte(']')
	return b.String()
}

// Outcome is how an attempt ended, as far as the client knows.
type Outcome uint8

const (
	// Committed: the commit returned success.
	Committed Outcome = iota + 1
	// Aborted: the attempt certainly did not commit (an abort or an error
	// before the commit, or a definite refusal of the commit).
	Aborted
	// Unknown: the client lost the answer to its commit (connection lost,
	// timeout); the attempt may or may not have committed.
	Unknown
)

func (o Outcome) String() string {
	switch o {
	case Committed:
		return "committed"
	case Aborted:
		return "aborted"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Txn is one attempt at a transaction.
type Txn struct {
	Client  int
	Attempt int // 1 for the first attempt of a logical transaction
	// Invoke and Complete are the client's clock (virtual time for
	// simulated engines, wall time since the run started for real ones) at
	// the attempt's begin and when its outcome returned.
	Invoke, Complete time.Duration
	Outcome          Outcome
	Reason           string // the abort reason or error, for Aborted and Unknown
	Ops              []Op
}

// History is a recorded run.
type History struct {
	Model Model
	Txns  []Txn
	// Truncated is set when recording stopped at its size limit: writers
	// of some values read may be missing.
	Truncated bool
}

// Sink receives attempts as they complete. The runner calls Add from one
// goroutine at a time.
type Sink interface {
	Add(t Txn)
}

// Collector keeps a history in memory, up to Max attempts (0: no limit).
type Collector struct {
	H   History
	Max int
}

// Add appends t, or marks the history truncated once Max is reached.
func (c *Collector) Add(t Txn) {
	if c.Max > 0 && len(c.H.Txns) >= c.Max {
		c.H.Truncated = true
		return
	}
	c.H.Txns = append(c.H.Txns, t)
}

// Tee sends every attempt to each sink.
type Tee []Sink

// Add passes t on.
func (s Tee) Add(t Txn) {
	for _, k := range s {
		k.Add(t)
	}
}
