package lock

import (
	"fmt"
	"testing"
)

func TestFindCycle(t *testing.T) {
	cases := []struct {
		name  string
		graph map[Owner][]Owner
		start Owner
		want  string
	}{
		{"no edges", nil, 1, "[]"},
		{"a chain is no cycle", map[Owner][]Owner{1: {2}, 2: {3}}, 1, "[]"},
		{"two transactions", map[Owner][]Owner{1: {2}, 2: {1}}, 1, "[1 2]"},
		{"three, through a queue", map[Owner][]Owner{1: {2}, 2: {3}, 3: {1}}, 1, "[1 2 3]"},
		{"a cycle not through start", map[Owner][]Owner{1: {2}, 2: {3}, 3: {2}}, 1, "[]"},
		{"the second branch closes it", map[Owner][]Owner{1: {2, 4}, 2: {3}, 4: {1}}, 1, "[1 4]"},
		{"a shared node is expanded once", map[Owner][]Owner{1: {2, 3}, 2: {4}, 3: {4}, 4: {5}}, 1, "[]"},
		{"self-loop", map[Owner][]Owner{1: {1}}, 1, "[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[Owner]int{}
			got := FindCycle(tc.start, func(o Owner) []Owner {
				calls[o]++
				return tc.graph[o]
			})
			if s := fmt.Sprint(got); s != tc.want && !(tc.want == "[]" && got == nil) {
				t.Errorf("cycle %v, want %s", got, tc.want)
			}
			for o, n := range calls {
				if n > 1 {
					t.Errorf("%d expanded %d times", o, n)
				}
			}
		})
	}
}
