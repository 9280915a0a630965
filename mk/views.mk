# views (issue 6): timelines, process trees and count bars (hunt/view, hunt/views*.go).
#
#   test-views   unit and structure tests of hunt/view, the frame views on the shipped sample
#                and the shared datasets (../shared/datasets or HUNT_SHARED_DATA), then the
#                browser check: every view screenshotted in JupyterLab (trusted and untrusted)
#                and in nbconvert's HTML export, PNGs in tests/views/artifacts/.
#   bench-views  a timeline of 1,000,000 events (aggregate in DuckDB + draw) next to the same
#                picture made with pandas + matplotlib; target: under a second. Also the time to
#                build and render a process tree of 100,000 creation events.

VIEWS_SHARED ?= $(or $(HUNT_SHARED_DATA),$(wildcard $(abspath $(ROOT)/../shared/datasets)))

.PHONY: test-views bench-views fuzz-views

# browser-deps (mk/playbooks.mk) installs Debian chromium and playwright-core for tests/browser,
# whose harness (tests/browser/lib.mjs) the views test uses.
test-views: browser-deps
	@if [ -z "$(VIEWS_SHARED)" ] && [ -n "$$HUNT_REQUIRE_SHARED" ]; then echo "test-views: FAIL: HUNT_REQUIRE_SHARED is set (.ci/run) and ../shared/datasets is missing"; exit 1; fi
	@if [ -z "$(VIEWS_SHARED)" ]; then echo "test-views: ../shared/datasets not found (set HUNT_SHARED_DATA): the shared-data view tests say they are skipped (with HUNT_REQUIRE_SHARED, as .ci/run sets, they fail)"; fi
	HUNT_SHARED_DATA=$(VIEWS_SHARED) $(GO) test -count=1 ./hunt/view/
	HUNT_SHARED_DATA=$(VIEWS_SHARED) $(GO) test -count=1 -run '^TestFrame(Timeline|Bars|ProcessTree|Views)' ./hunt/
	cd tests/views && CHROMIUM=$(CHROMIUM) HUNT_SHARED_DATA=$(VIEWS_SHARED) node --test --test-concurrency=1 --test-reporter=spec views.test.mjs

# fuzz-views: a short run of the escaping fuzz target (its seeds run in test-views anyway).
fuzz-views:
	$(GO) test -run '^$$' -fuzz '^FuzzHostileStrings$$' -fuzztime 60s ./hunt/view/

bench-views: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt
	@go_out=$$($(GO) test -run '^$$' -bench '^BenchmarkTimeline1M' -benchtime 5x ./hunt/) || { echo "$$go_out"; exit 1; }; \
	echo "$$go_out" | grep '^Benchmark'; \
	go_ms=$$(echo "$$go_out" | awk '/^BenchmarkTimeline1M-/ {printf "%.0f", $$3/1e6}'); \
	draw_ms=$$(echo "$$go_out" | awk '/^BenchmarkTimeline1MDraw-/ {printf "%.1f", $$3/1e6}'); \
	py_ms=$$($(PY) bench/views/peer_timeline.py) || exit 1; \
	verdict=$$(awk -v g=$$go_ms 'BEGIN { print (g < 1000 ? "met" : "NOT MET") }'); \
	ratio=$$(awk -v g=$$go_ms -v p=$$py_ms 'BEGIN { printf "%.1f", p / g }'); \
	echo "bench-views: timeline of 1,000,000 events: gohunt $$go_ms ms (drawing alone $$draw_ms ms), pandas+matplotlib $$py_ms ms: gohunt is $${ratio}x faster; target < 1000 ms $$verdict"; \
	pt_out=$$($(GO) test -run '^$$' -bench '^BenchmarkProcessTree100k$$' -benchtime 3x ./hunt/view/) || { echo "$$pt_out"; exit 1; }; \
	echo "bench-views: process tree of 100,000 creation events (Sysmon+4688 merged, HTML of 2000 nodes): $$(echo "$$pt_out" | awk '/^BenchmarkProcessTree100k-/ {printf "%.0f", $$3/1e6}') ms"

TEST_STEPS += test-views
BENCH_STEPS += bench-views
