# Sigma rules (issue 12): hunt/sigma, Frame.Detect. The unit tests run in test-hunt; test-sigma
# adds the oracle: every rule of ../shared/sigma/rules/windows over every dataset of
# ../shared/datasets, gohunt's hits against pySigma's (sysmon + windows-logsources pipelines,
# SQLite backend), rule by rule, and a short fuzzing of the prefilter's Matcher (hunt/sigma).
# pySigma is installed into .venv from scripts/requirements-sigma.txt.

.PHONY: test-sigma

test-sigma: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-sigma.txt
	SIGMA_PY=$(PY) $(GO) test -tags sigmaoracle -count=1 ./hunt/sigma/
	SIGMA_PY=$(PY) $(GO) test -tags sigmaoracle -count=1 -timeout 30m -run 'TestSigma' ./hunt/
	$(GO) test -run '^$$' -fuzz '^FuzzMatcher$$' -fuzztime 20s ./hunt/sigma/

TEST_STEPS += test-sigma

# Sigma on Elasticsearch (hunt/detect_es.go) is tested on the real node by test-es (mk/es.mk),
# which runs every ^TestES test of ./hunt/: TestESDetect (hand-written rules over the samples)
# and TestESDetectSigmaHQ (every rule of ../shared/sigma/rules/windows over the samples and the
# Mordor recordings, hits equal to the local evaluation rule by rule; about 4 min on 2 shared
# cores).

# bench-sigma: every rule of ../shared/sigma/rules/windows over the Mordor recordings of
# ../shared/datasets (*.zip, 55,673 events), then over BENCH_SIGMA_EVENTS events made of copies
# of them (host names suffixed per copy), in gohunt (Frame.Detect) and in pySigma (convert with
# the Sysmon and Windows pipelines, execute in SQLite); same hits rule by rule required on the
# recordings, wall and CPU times and ratios printed, and gohunt's peak RSS. The recordings'
# events are large (hundreds of columns, about 3.7 KB of JSON each): a table of 1M of them would need
# about 7 GB, so the large run (-large-parquet) writes the copies to a Parquet file that the
# frame reads lazily (hunt.Read of the file: each query reads the columns it needs; peak RSS
# about 1.2 GB at 1M events on 2026-11-30). pySigma loads events into SQLite slowly (about a
# minute for 55,673 events): in the large run it reads BENCH_SIGMA_PEER_EVENTS events and its
# execution time is scaled to the large run's count (said in the output).
BENCH_SIGMA_EVENTS ?= 1000000
BENCH_SIGMA_PEER_EVENTS ?= 55673

.PHONY: bench-sigma

bench-sigma: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-sigma.txt
	$(GO) run ./bench/sigma -py $(PY) -events $(BENCH_SIGMA_EVENTS) -peer-events $(BENCH_SIGMA_PEER_EVENTS) -large-parquet

BENCH_STEPS += bench-sigma
