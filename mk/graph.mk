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
