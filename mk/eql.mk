# EQL (issue 12): hunt/eql parses Elasticsearch's Event Query Language and compiles it to DuckDB
# SQL; Frame.EQL and %%eql run it.
#
#   make test-eql   the parser/compiler tests, the Frame.EQL tests, and the oracle: the same
#                   queries on the testdata/mordor recordings in gohunt and in the `eql` package
#                   from PyPI (installed into .venv from hunt/eql/testdata/requirements.txt)

.PHONY: test-eql

test-eql: venv
	$(PY) -m pip install -q --disable-pip-version-check -r hunt/eql/testdata/requirements.txt
	$(GO) test -race -count=1 ./hunt/eql/
	EQL_ORACLE_PY=$(PY) $(GO) test -count=1 -tags eqloracle -run '^TestEQL' ./hunt/

TEST_STEPS += test-eql

# bench-eql: a 3-step sequence with maxspan over synthetic Sysmon-like events (default 1M;
# BENCH_EQL_EVENTS changes it) in gohunt, and over the first BENCH_EQL_PEER_EVENTS of the same
# events in gohunt and in the eql package's Python engine (same count required), with the ratio
# on that subset and the ratio of per-event rates (gohunt at 1M, the engine on the subset). The
# Python engine is slow: 100,000 events took it 6-12 minutes on 2026-11-30 (2 shared cores),
# so 1M takes well over an hour. For the 1M run it prints the frame's own memory (settled RSS
# growth holding the frame) and EQL's extra peak RSS, and DuckDB's own account of the sequence.
BENCH_EQL_EVENTS ?= 1000000
BENCH_EQL_PEER_EVENTS ?= 100000

.PHONY: bench-eql

bench-eql: venv
	$(PY) -m pip install -q --disable-pip-version-check -r hunt/eql/testdata/requirements.txt
	$(GO) run ./bench/eql -py $(PY) -events $(BENCH_EQL_EVENTS) -peer-events $(BENCH_EQL_PEER_EVENTS)

BENCH_STEPS += bench-eql
