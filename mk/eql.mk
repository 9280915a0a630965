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
