package engines

import (
	"errors"
	"fmt"
	"testing"
)

// asErr is an error with an As method (errors.As asks it).
type asErr struct{ a *AbortError }

func (e asErr) Error() string { return "as" }
func (e asErr) As(target any) bool {
	if p, ok := target.(**AbortError); ok {
		*p = e.a
		return true
	}
	return false
}

// wrapped is a plain Unwrap wrapper, like the runner's commitError.
type wrapped struct{ error }

func (w wrapped) Unwrap() error { return w.error }

// AsAbort walks single-Unwrap chains itself; it must answer as errors.As
// does for every shape of chain.
func TestAsAbortMatchesErrorsAs(t *testing.T) {
	a := Abort(ReasonConflict)
	plain := errors.New("plain")
	for _, err := range []error{
		nil, plain, a,
		wrapped{a}, wrapped{wrapped{a}}, wrapped{plain}, wrapped{nil},
		fmt.Errorf("x: %w", a), fmt.Errorf("x: %w", wrapped{plain}),
		errors.Join(plain, a), wrapped{errors.Join(plain, wrapped{a})},
		asErr{a}, wrapped{asErr{a}},
		&AbortError{Reason: ReasonConflict, Err: plain},
	} {
		got, ok := AsAbort(err)
		var want *AbortError
		wantOK := errors.As(err, &want)
		if ok != wantOK || got != want {
			t.Errorf("AsAbort(%#v) = %v, %v; errors.As: %v, %v", err, got, ok, want, wantOK)
		}
	}
	var w error = wrapped{a}
	if n := testing.AllocsPerRun(100, func() { AsAbort(w) }); n != 0 {
		t.Errorf("AsAbort of a wrapped abort allocates %v times", n)
	}
}
