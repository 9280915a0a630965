"""networkx oracle for hunt.Graph (make test-graph, hunt/graph_oracle_test.go).

Reads a JSON request on stdin: {"edges": [[src, dst], ...], "sources": [...], "pairs": [[a, b], ...],
"max_hops": n} and writes the answer on stdout: in and out degree per vertex, the weakly
connected components (each a sorted list), the shortest path lengths from every source (directed
and undirected, within max_hops) and every shortest path of every pair (directed and undirected,
within max_hops).
"""
import json
import sys

import networkx as nx


def paths(g, a, b, max_hops):
    try:
        ps = sorted(nx.all_shortest_paths(g, a, b))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
    return [p for p in ps if len(p) - 1 <= max_hops]


def main():
    req = json.load(sys.stdin)
    g = nx.DiGraph()
    g.add_edges_from(tuple(e) for e in req["edges"])
    u = g.to_undirected()
    m = req["max_hops"]
    out = {
        "in": dict(g.in_degree()),
        "out": dict(g.out_degree()),
        "components": sorted(sorted(c) for c in nx.weakly_connected_components(g)),
        "dist": {s: nx.single_source_shortest_path_length(g, s, cutoff=m) for s in req["sources"]},
        "udist": {s: nx.single_source_shortest_path_length(u, s, cutoff=m) for s in req["sources"]},
        "paths": [paths(g, a, b, m) for a, b in req["pairs"]],
        "upaths": [paths(u, a, b, m) for a, b in req["pairs"]],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
