package isolation

// A stage looks for one family of cycles: inside each strongly connected
// component of the edges in scc, for a bounded number of edges of kind
// start (a → b), the shortest path b → a over edges of kinds path. The
// shortest path through an edge is the smallest cycle through it; the
// stages go from the most restricted edge sets (G0: ww only) to the least,
// as Elle does, so a cycle is found in the weakest class it belongs to.
type stage struct {
	scc, start, path uint8
}

var stages = []stage{
	{scc: ww, start: ww, path: ww},                  // G0
	{scc: ww | wr, start: wr, path: ww | wr},        // G1c
	{scc: deps, start: rw, path: ww | wr},           // G-single
	{scc: deps, start: rw, path: deps},              // G2-item (or G-single)
	{scc: deps | rt, start: rt, path: ww | rt},      // G0-realtime
	{scc: deps | rt, start: rt, path: ww | wr | rt}, // G1c-realtime
	{scc: deps | rt, start: rw, path: ww | wr | rt}, // G-single-realtime
	{scc: deps | rt, start: rt, path: deps | rt},    // G2-item-realtime (or a weaker one)
}

// prefer is the order in which an edge carrying several kinds is labelled
// in a cycle: the label that makes the weakest class.
var prefer = []uint8{ww, wr, rt, rw}

// classify names a cycle's class from its edge labels.
func classify(labels []uint8) Class {
	var n [16]int
	for _, l := range labels {
		n[l]++
	}
	realtime := n[rt] > 0
	switch {
	case n[rw] >= 2 && realtime:
		return G2ItemRealTime
	case n[rw] >= 2:
		return G2Item
	case n[rw] == 1 && realtime:
		return GSingleRealTime
	case n[rw] == 1:
		return GSingle
	case n[wr] > 0 && realtime:
		return G1cRealTime
	case n[wr] > 0:
		return G1c
	case realtime:
		return G0RealTime
	}
	return G0
}

// cycles runs every stage and records, per class, the number of
// components in which it was found and the smallest cycle.
func (c *checker) cycles() {
	g := c.g
	search := newBFS(g, c.opts.Budget)
	comps := map[uint8][]int32{}
	depsComp, _ := g.scc(deps)
	var rtComp []int32
	counted := map[Class]map[int32]bool{}
	for _, st := range stages {
		if st.scc&rt != 0 && !c.opts.RealTime {
			continue
		}
		comp := comps[st.scc]
		var size []int32
		if comp == nil {
			comp, size = g.scc(st.scc)
			comps[st.scc] = comp
		} else {
			size = sizes(comp)
		}
		if st.scc&rt != 0 {
			rtComp = comp
		}
		for _, members := range groups(comp, size) {
			best := 0
			for _, a := range members {
				for e := g.off[a]; e < g.off[a+1] && best < c.opts.Starts; e++ {
					b := g.to[e]
					if g.kind[e]&st.start == 0 || comp[b] != comp[a] {
						continue
					}
					best++
					p := search.path(b, a, st.path, comp, comp[a])
					if p == nil {
						continue
					}
					cycle := append([]int32{a}, p...) // a, b, ..., a
					labels := make([]uint8, len(cycle)-1)
					labels[0] = st.start
					for i := 1; i < len(labels); i++ {
						k := g.kindOf(cycle[i], cycle[i+1])
						for _, want := range prefer {
							if k&want != 0 && st.path&want != 0 {
								labels[i] = want
								break
							}
						}
					}
					cl := classify(labels)
					key := depsComp[a]
					if cl.realTime() {
						key = rtComp[a]
					}
					if counted[cl] == nil {
						counted[cl] = map[int32]bool{}
					}
					count := !counted[cl][key]
					counted[cl][key] = true
					c.noteCycle(cl, cycle[:len(cycle)-1], labels, count)
					if len(labels) == 2 {
						best = c.opts.Starts // nothing smaller exists
					}
				}
			}
		}
	}
	c.exhausted = search.budget <= 0
}

// sizes counts the nodes of each component.
func sizes(comp []int32) []int32 {
	n := int32(0)
	for _, x := range comp {
		n = max(n, x+1)
	}
	s := make([]int32, n)
	for _, x := range comp {
		s[x]++
	}
	return s
}

// groups lists the nodes of every component with more than one node, in
// node order, components in the order of their first node.
func groups(comp, size []int32) [][]int32 {
	idx := map[int32]int{}
	var out [][]int32
	for v, x := range comp {
		if size[x] < 2 {
			continue
		}
		i, ok := idx[x]
		if !ok {
			i = len(out)
			idx[x] = i
			out = append(out, make([]int32, 0, size[x]))
		}
		out[i] = append(out[i], int32(v))
	}
	return out
}
