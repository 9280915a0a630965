# Elasticsearch: a real node from scripts/es.sh (Maven Central integ-test distribution), the
# hunt/elastic and hunt ES tests against it, and the ES benchmark.
#
#   make test-es    start ES, run the ES tests with ES_URL set, stop ES (also on failure)
#   make es-start   start the node and print its URL; make es-stop stops it
#   make bench-es   ingest of 200k synthetic Sysmon-like events vs elasticsearch-py (with the CPU seconds
#                   of node and clients); then 1M events: ingest and full read vs elasticsearch-py, eland,
#                   raw HTTP; then the full read again with the node pinned to CPU 0 and the reader to
#                   the others

.PHONY: test-es test-es-anywhere es-start es-stop bench-es

es-start:
	@bash scripts/es.sh start

es-stop:
	@bash scripts/es.sh stop

test-es: build
	@url=$$(bash scripts/es.sh start) || { echo "test-es: FAIL: Elasticsearch could not start (see above); the ES tests cannot run"; exit 1; }; \
	trap 'bash scripts/es.sh stop' EXIT; \
	echo "test-es: Elasticsearch at $$url"; \
	ES_URL=$$url ES_SCRIPT=$(ROOT)/scripts/es.sh GOHUNT_BIN=$(BIN) $(GO) test -race -tags es -count=1 -timeout 15m ./hunt/elastic/... && \
	ES_URL=$$url ES_SCRIPT=$(ROOT)/scripts/es.sh $(GO) test -tags es -count=1 -timeout 15m -run '^TestES' ./hunt/
	$(GO) test -run '^$$' -fuzz '^FuzzEventMillis$$' -fuzztime 20s ./hunt/elastic/

TEST_STEPS += test-es

# test-es-anywhere: the Makefile's Elasticsearch starts work wherever the repository is cloned.
# A clone under a mode-700 parent (as a clone in root's home is), with this checkout's Makefile,
# mk/ and scripts/ so that what is tested is what is here, starts the node test-playbooks-es
# uses (its own ES_RUN_DIR) and the default one (test-es, bench-es, es-start), each answers
# health, and both are stopped and removed.
test-es-anywhere:
	@set -e; tmp=$$(mktemp -d); chmod 700 "$$tmp"; clone="$$tmp/gohunt"; \
	cleanup() { for d in "$$clone/build/es-playbooks" ""; do \
		ES_RUN_DIR=$$d bash "$$clone/scripts/es.sh" stop >/dev/null 2>&1 || true; \
		r=$$(ES_RUN_DIR=$$d bash "$$clone/scripts/es.sh" rundir 2>/dev/null) && case "$$r" in "$$tmp"/*) ;; *) rm -rf "$$r";; esac; \
	done; rm -rf "$$tmp"; }; \
	trap cleanup EXIT; \
	git clone -q "$(ROOT)" "$$clone"; cp -r "$(ROOT)/Makefile" "$(ROOT)/mk" "$(ROOT)/scripts" "$$clone/"; \
	echo "test-es-anywhere: clone at $$clone (parent mode $$(stat -c %a "$$tmp"), user $$(id -un))"; \
	url=$$($(MAKE) -s --no-print-directory -C "$$clone" playbooks-es-start) || { echo "test-es-anywhere: FAIL: the test-playbooks-es node did not start in $$clone"; exit 1; }; \
	curl -fsS --max-time 10 "$$url/_cluster/health" >/dev/null || { echo "test-es-anywhere: FAIL: no health from $$url"; exit 1; }; \
	echo "test-es-anywhere: test-playbooks-es node: $$url, run directory $$(ES_RUN_DIR=$$clone/build/es-playbooks bash "$$clone/scripts/es.sh" rundir)"; \
	$(MAKE) -s --no-print-directory -C "$$clone" playbooks-es-stop; \
	url=$$($(MAKE) -s --no-print-directory -C "$$clone" es-start) || { echo "test-es-anywhere: FAIL: the default node did not start in $$clone"; exit 1; }; \
	curl -fsS --max-time 10 "$$url/_cluster/health" >/dev/null || { echo "test-es-anywhere: FAIL: no health from $$url"; exit 1; }; \
	echo "test-es-anywhere: default node: $$url, run directory $$(bash "$$clone/scripts/es.sh" rundir)"; \
	$(MAKE) -s --no-print-directory -C "$$clone" es-stop; \
	echo "test-es-anywhere: 2 passed, 0 failed"

TEST_STEPS += test-es-anywhere

bench-es: build venv
	@url=$$(bash scripts/es.sh start) || { echo "bench-es: Elasticsearch could not start"; exit 1; }; \
	trap 'bash scripts/es.sh stop' EXIT; \
	$(PY) -m pip install -q -r scripts/requirements-bench.txt && \
	ES_URL=$$url PY=$(PY) BENCH_ES_DOCS=200000 BENCH_ES_INGEST_ONLY=1 BENCH_ES_PLACEMENT="node and client share all $$(nproc) cores" $(GO) run ./bench/es || exit 1; \
	ES_URL=$$url PY=$(PY) BENCH_ES_PLACEMENT="node and reader share all $$(nproc) cores" $(GO) run ./bench/es || exit 1; \
	n=$$(nproc); if [ "$$n" -lt 2 ]; then echo "bench-es: one core: no run with the node on a core of its own"; exit 0; fi; \
	pid=$$(bash scripts/es.sh status | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'); \
	test -n "$$pid" || { echo "bench-es: no node pid from scripts/es.sh status"; exit 1; }; \
	taskset -a -cp 0 $$pid >/dev/null && \
	ES_URL=$$url PY=$(PY) BENCH_ES_REUSE=1 BENCH_ES_READ_ONLY=1 BENCH_ES_PLACEMENT="node pinned to CPU 0, reader to CPUs 1-$$((n-1)) (taskset)" \
		taskset -c 1-$$((n-1)) $(GO) run ./bench/es; rc=$$?; \
	taskset -a -cp 0-$$((n-1)) $$pid >/dev/null; exit $$rc

BENCH_STEPS += bench-es
