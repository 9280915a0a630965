# hunt (issue 3): frames on DuckDB, Read, Spark-dialect SQL, display; testdata/; bench/hunt.
#
# Tests over ../shared/datasets (the Threat Hunter Playbook samples) run when HUNT_SHARED_DATA
# names the datasets directory; it defaults to ../shared/datasets when that exists (as in CI).
# With HUNT_REQUIRE_SHARED set (.ci/run sets it) a missing dataset fails the step and the tests.
# The Elasticsearch tests that live in package hunt (TestES*) belong to test-es, which starts ES.

HUNT_SHARED_DATA ?= $(wildcard $(abspath $(ROOT)/../shared/datasets))
export HUNT_SHARED_DATA

.PHONY: test-hunt fuzz-hunt bench-hunt

test-hunt:
	@if [ -n "$(HUNT_SHARED_DATA)" ]; then echo "test-hunt: shared datasets at $(HUNT_SHARED_DATA)"; \
	elif [ -n "$$HUNT_REQUIRE_SHARED" ]; then echo "test-hunt: FAIL: HUNT_REQUIRE_SHARED is set (.ci/run) and ../shared/datasets is missing"; exit 1; \
	else echo "test-hunt: no ../shared/datasets: the shared-data tests say they are skipped (with HUNT_REQUIRE_SHARED, as .ci/run sets, they fail)"; fi
	$(GO) test -race -count=1 -skip '^TestES' ./hunt/ ./hunt/internal/... ./bench/hunt/

# fuzz-hunt: a short run of each fuzz target (the committed corpora run in test-hunt anyway).
fuzz-hunt:
	$(GO) test -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime 30s ./hunt/
	$(GO) test -run '^$$' -fuzz '^FuzzJSONLine$$' -fuzztime 30s ./hunt/

TEST_STEPS += test-hunt

# bench-hunt: the THP samples end to end, filter + group-by over 10M synthetic events and the
# memory of a 1M-event frame, each next to pandas and PySpark (local) in the same run, with ratios.
bench-hunt: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt
	@test -d "$(HUNT_SHARED_DATA)" || { echo "bench-hunt: needs ../shared/datasets (the THP datasets); set HUNT_SHARED_DATA"; exit 1; }
	$(GO) run ./bench/hunt -py $(PY) -shared $(dir $(HUNT_SHARED_DATA:%/=%))

BENCH_STEPS += bench-hunt
