# Indicators and enrichment (issue 14): hunt.ExtractIOCs / ioc_extract, Frame.IOCs, SplitHashes and
# Lookup (hunt/ioc*.go, hunt/hashes.go, hunt/lookup.go). Their unit tests run in test-hunt too.
#
#   make test-ioc    the unit tests, then the oracle: msticpy's IoCExtract (scripts/requirements-ioc.txt,
#                    installed into build/ioc/venv: msticpy's dependencies pin pandas < 3 and bring
#                    Azure clients, kept out of .venv) on the distinct values of the text columns of
#                    the shipped Mordor samples and the ../shared datasets; every difference must be
#                    one of the named, documented differences (docs/ioc.md)
#   make bench-ioc   1M synthetic command lines: gohunt's IOCs vs msticpy (its first 100,000 lines,
#                    per-line rates compared; BENCH_IOC_LINES / BENCH_IOC_PEER_LINES change them)

IOC_VENV := $(ROOT)/build/ioc/venv
IOC_PY := $(IOC_VENV)/bin/python
BENCH_IOC_LINES ?= 1000000
BENCH_IOC_PEER_LINES ?= 100000

.PHONY: ioc-venv test-ioc bench-ioc

ioc-venv: venv
	@[ -x $(IOC_PY) ] || $(PY) -m venv $(IOC_VENV)
	$(IOC_PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-ioc.txt

test-ioc: ioc-venv
	$(GO) test -race -count=1 -run '^(TestExtractIOCsCases|TestRefang|TestIOCsFrame|TestSplitHashes|TestLookup|TestCIDRBounds|FuzzExtractIOCs)$$' ./hunt/
	IOC_PY=$(IOC_PY) $(GO) test -tags iocoracle -count=1 -run '^TestIOCOracle$$' ./hunt/

TEST_STEPS += test-ioc

bench-ioc: ioc-venv
	nice $(GO) run ./bench/ioc -py $(IOC_PY) -lines $(BENCH_IOC_LINES) -peer-lines $(BENCH_IOC_PEER_LINES)

BENCH_STEPS += bench-ioc
