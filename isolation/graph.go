package isolation

import (
	"cmp"
	"slices"
)

// Edge kinds, as bits so that one adjacency entry can carry several.
const (
	ww uint8 = 1 << iota
	wr
	rw
	rt
)

const deps = ww | wr | rw

// kindName names one edge kind.
func kindName(k uint8) string {
	switch k {
	case ww:
		return "ww"
	case wr:
		return "wr"
	case rw:
		return "rw"
	case rt:
		return "rt"
	}
	return "?"
}

type edge struct {
	from, to int32
	kind     uint8
}

// graph is a dependency graph in compressed sparse row form: the edges of
// node i are to[off[i]:off[i+1]], with their kinds in kind[...], sorted by
// target and merged (one entry per target).
type graph struct {
	n    int
	off  []int32
	to   []int32
	kind []uint8
}

// build turns an edge list into a graph over n nodes. The list is consumed.
func build(n int, edges []edge) *graph {
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmp.Compare(a.from, b.from); c != 0 {
			return c
		}
		return cmp.Compare(a.to, b.to)
	})
	g := &graph{n: n, off: make([]int32, n+1)}
	// Merge duplicates in place, then count.
	m := 0
	for i, e := range edges {
		if i > 0 && m > 0 && edges[m-1].from == e.from && edges[m-1].to == e.to {
			edges[m-1].kind |= e.kind
			continue
		}
		edges[m] = e
		m++
	}
	edges = edges[:m]
	g.to = make([]int32, m)
	g.kind = make([]uint8, m)
	for i, e := range edges {
		g.off[e.from+1]++
		g.to[i], g.kind[i] = e.to, e.kind
	}
	for i := 0; i < n; i++ {
		g.off[i+1] += g.off[i]
	}
	return g
}

// scc labels every node with its strongly connected component over the
// edges whose kind intersects mask (Tarjan's algorithm, iterative so that
// a million-node chain does not overflow the stack). comp[i] is the
// component id; size[c] its node count.
func (g *graph) scc(mask uint8) (comp []int32, size []int32) {
	const unvisited = -1
	n := g.n
	index := make([]int32, n)
	low := make([]int32, n)
	comp = make([]int32, n)
	for i := range index {
		index[i] = unvisited
		comp[i] = -1
	}
	onStack := make([]bool, n)
	var stack []int32
	type frame struct {
		v    int32
		next int32 // next edge position to look at
	}
	var call []frame
	next := int32(0)
	for root := 0; root < n; root++ {
		if index[root] != unvisited {
			continue
		}
		if g.off[root] == g.off[root+1] {
			// No edges out: a component of its own (the common case for
			// transactions nothing depends on).
			index[root] = next
			next++
			comp[root] = int32(len(size))
			size = append(size, 1)
			continue
		}
		call = append(call[:0], frame{v: int32(root), next: g.off[root]})
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < g.off[v+1] {
				e := f.next
				f.next++
				if g.kind[e]&mask == 0 {
					continue
				}
				w := g.to[e]
				if index[w] == unvisited {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w, next: g.off[w]})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			// v is finished.
			if low[v] == index[v] {
				c := int32(len(size))
				s := int32(0)
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = c
					s++
					if w == v {
						break
					}
				}
				size = append(size, s)
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
		}
	}
	return comp, size
}

// bfs finds a shortest path from src to dst over edges whose kind
// intersects mask, staying inside component c of comp. It returns the
// nodes src..dst, or nil. The scratch space is reused between calls.
type bfs struct {
	g      *graph
	seen   []uint32
	parent []int32
	epoch  uint32
	queue  []int32
	// budget is how many nodes searches may still visit; a search that
	// runs out reports no path.
	budget int64
}

func newBFS(g *graph, budget int64) *bfs {
	return &bfs{g: g, seen: make([]uint32, g.n), parent: make([]int32, g.n), budget: budget}
}

func (b *bfs) path(src, dst int32, mask uint8, comp []int32, c int32) []int32 {
	b.epoch++
	g := b.g
	b.queue = append(b.queue[:0], src)
	b.seen[src] = b.epoch
	b.parent[src] = -1
	for qi := 0; qi < len(b.queue); qi++ {
		if b.budget <= 0 {
			return nil
		}
		b.budget--
		v := b.queue[qi]
		if v == dst {
			var p []int32
			for x := v; x != -1; x = b.parent[x] {
				p = append(p, x)
			}
			slices.Reverse(p)
			return p
		}
		for e := g.off[v]; e < g.off[v+1]; e++ {
			w := g.to[e]
			if g.kind[e]&mask == 0 || comp[w] != c || b.seen[w] == b.epoch {
				continue
			}
			b.seen[w] = b.epoch
			b.parent[w] = v
			b.queue = append(b.queue, w)
		}
	}
	return nil
}

// kindOf returns the kinds of the edge from a to b (0 if none).
func (g *graph) kindOf(a, b int32) uint8 {
	lo, hi := g.off[a], g.off[a+1]
	i, ok := slices.BinarySearch(g.to[lo:hi], b)
	if !ok {
		return 0
	}
	return g.kind[lo+int32(i)]
}
