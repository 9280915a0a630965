# graphs (issue 14): hunt.Graph and its builders (hunt/graph*.go), drawn by hunt/view/graph*.go.
# The unit tests run in test-hunt and test-views; test-graph adds the oracle: networkx
# (scripts/requirements-graph.txt, installed into .venv) computes degrees, weakly connected
# components, shortest path lengths and shortest paths on the same edges (a seeded random graph
# with hostile names, and the builders' graphs of the shipped Mordor samples).

.PHONY: test-graph

test-graph: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-graph.txt
	GRAPH_PY=$(PY) $(GO) test -tags graphoracle -count=1 -run '^TestGraph' ./hunt/
	$(GO) test -count=1 -run '^TestGraph' ./hunt/view/

TEST_STEPS += test-graph

# bench-graph: hunt.LogonGraph and Components over synthetic Security logons (default 1M events:
# 4624/4625/4648 of 6,000 users on 5,000 workstations, 300 servers and 4 domain controllers, service
# and machine accounts, kiosks, sprayed names from 2,000 outside addresses; BENCH_GRAPH_EVENTS
# changes it) against networkx building its DiGraph from the same events and finding the weakly
# connected components; vertices, edges, logon and failure sums and every component must agree.
# Wall and CPU time ratios are printed (CPU time is the steadier one on a shared machine).
BENCH_GRAPH_EVENTS ?= 1000000

.PHONY: bench-graph

bench-graph: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-graph.txt
	$(GO) run ./bench/graph -py $(PY) -events $(BENCH_GRAPH_EVENTS)

BENCH_STEPS += bench-graph
