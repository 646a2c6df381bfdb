package lock

// Deadlock detection after the fact (PostgreSQL's deadlock check, a
// router's distributed one) searches the waits-for graph a lock table's
// Blockers describe; the search is pure, so it lives beside the table.

// FindCycle looks for a cycle of a waits-for graph through start and
// returns it (start first), or nil. edges lists who a transaction waits
// for, in a deterministic order. Depth-first; each transaction is expanded
// once.
func FindCycle(start Owner, edges func(Owner) []Owner) []Owner {
	seen := map[Owner]bool{start: true}
	path := []Owner{start}
	var visit func(o Owner) bool
	visit = func(o Owner) bool {
		for _, b := range edges(o) {
			if b == start {
				return true
			}
			if seen[b] {
				continue
			}
			seen[b] = true
			path = append(path, b)
			if visit(b) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	if visit(start) {
		return path
	}
	return nil
}
