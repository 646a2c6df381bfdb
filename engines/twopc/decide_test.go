package twopc

import (
	"testing"
	"time"
)

// The wound-wait rule on its own: no kernel, no lock table.
func TestAgeOrder(t *testing.T) {
	cases := []struct {
		a, b  age
		older bool
	}{
		{age{1 * time.Millisecond, 9, 9}, age{2 * time.Millisecond, 0, 0}, true}, // first start wins
		{age{2 * time.Millisecond, 0, 0}, age{1 * time.Millisecond, 9, 9}, false},
		{age{time.Millisecond, 1, 9}, age{time.Millisecond, 2, 0}, true}, // then the client
		{age{time.Millisecond, 1, 3}, age{time.Millisecond, 1, 4}, true}, // then the attempt
		{age{time.Millisecond, 1, 4}, age{time.Millisecond, 1, 4}, false},
	}
	for _, tc := range cases {
		if got := tc.a.older(tc.b); got != tc.older {
			t.Errorf("%+v older than %+v = %v, want %v", tc.a, tc.b, got, tc.older)
		}
	}
}

func TestDecide(t *testing.T) {
	old, young := age{firstStart: time.Millisecond, client: 1, txn: 1}, age{firstStart: 2 * time.Millisecond, client: 1, txn: 2}
	cases := []struct {
		name              string
		requester, holder age
		prepared, decided bool
		want              decision
	}{
		{"older requester wounds a younger holder", old, young, false, false, wound},
		{"younger requester waits for an older holder", young, old, false, false, wait},
		{"younger requester waits for a prepared holder", young, old, true, false, wait},
		{"older requester cannot wound a holder prepared here", old, young, true, false, waitPrepared},
		{"a decided holder is left to finish", old, young, false, true, wait},
		{"a decided, prepared holder too", old, young, true, true, wait},
		{"a retried transaction keeps its age", age{firstStart: time.Millisecond, client: 5, txn: 90}, age{firstStart: 3 * time.Millisecond, client: 0, txn: 2}, false, false, wound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(tc.requester, holder{age: tc.holder, prepared: tc.prepared, decided: tc.decided})
			if got != tc.want {
				t.Errorf("decide = %v, want %v", got, tc.want)
			}
		})
	}
}

// The cycle the rule exists to prevent: T1 (older) waits at split A for T2,
// prepared there (waitPrepared pins T2); T2 then needs a lock at split B
// that T1 holds. Younger T2 would wait for older T1 — a cycle — so, pinned,
// it dies instead; an unpinned T2 waits.
func TestPinnedRequesterDies(t *testing.T) {
	t1, t2 := age{firstStart: 1, txn: 1}, age{firstStart: 2, txn: 2}
	if d := decide(t1, holder{age: t2, prepared: true}); d != waitPrepared {
		t.Fatalf("T1 at A: %v", d)
	}
	if d := decide(t2, holder{age: t1}); d != wait {
		t.Fatalf("T2 at B: %v", d)
	}
	if !mustDie(true) || mustDie(false) {
		t.Fatal("a pinned requester that must wait dies; an unpinned one waits")
	}
}
