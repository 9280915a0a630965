# gohunt build, demo, test and bench entry points.
#
#   make demo    set everything up (Go build, .venv from PyPI, kernelspec) and run the main playbook headless
#   make test    install what the tests need and run every test (this is what .ci/run calls)
#   make bench   run the benchmarks side by side with their peers and print the ratios
#   make lab     start JupyterLab with the gohunt kernel ready
#
# Each area adds its own steps in mk/*.mk by appending to TEST_STEPS and BENCH_STEPS, so that the
# test and bench targets run them all in order. check-go-tests (scripts/check-go-tests.sh) fails
# `make test` when a Go package's tests are named by no step's `$(GO) test` line.

SHELL := /bin/bash
.DEFAULT_GOAL := build
ROOT := $(CURDIR)
BIN := $(ROOT)/bin/gohunt
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
GO ?= go
export PATH := $(ROOT)/bin:$(VENV)/bin:$(PATH)

TEST_STEPS :=
BENCH_STEPS :=

.PHONY: build venv kernelspec setup test bench demo lab vet check-go-tests

# build: one go build of bin/gohunt. It says what it builds first, and every minute that it is
# still at it: a cold build (empty Go build cache) compiles DuckDB's C++ library through cgo and
# yaegi's standard-library symbols, about 8 minutes on 2 cores (one-off timing of a cold
# `make demo`, 2026-11); later builds take seconds.
build:
	@if [ ! -x $(BIN) ]; then echo "build: compiling bin/gohunt (Go, with DuckDB's C++ library through cgo and the yaegi interpreter): a first build takes about 8 minutes on 2 cores, later ones seconds"; fi
	@( m=0; while sleep 60; do m=$$((m+1)); echo "build: still compiling bin/gohunt ($$m min)"; done ) & ticker=$$!; \
	$(GO) build -o $(BIN) ./cmd/gohunt; rc=$$?; kill $$ticker 2>/dev/null; wait $$ticker 2>/dev/null; exit $$rc

venv:
	bash scripts/venv.sh

# The binary is make build's: install.sh only installs the kernelspec pointing at it.
kernelspec: build venv
	./install.sh --sys-prefix --no-build

setup: build venv kernelspec

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags es,spark,sigmaoracle,eqloracle,graphoracle,iocoracle ./...

# check-go-tests: fails when a Go package has tests that no step's `$(GO) test` line runs.
check-go-tests:
	@GO=$(GO) bash scripts/check-go-tests.sh

include $(sort $(wildcard mk/*.mk))

test: setup vet check-go-tests $(TEST_STEPS)
	@echo "make test: every step passed: $(TEST_STEPS)"
	@echo "steps: $(words $(TEST_STEPS)) passed, 0 failed"

bench: setup $(BENCH_STEPS)
