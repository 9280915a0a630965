#!/usr/bin/env bash
# check-go-tests.sh: every Go package that has tests is run by some `make test` step.
#
# The steps are read from the Makefile and mk/*.mk: every `$(GO) test` command line (backslash
# continuations joined) and every variable whose name ends in _PKGS contribute the package
# patterns (./x/, ./x/...) they name. Fuzz-only runs (`-run '^$$'`) do not count: they run no
# test. Packages with _test.go files (build tag es included) that no pattern covers are listed,
# and the check fails. To cover a new package, add its path to a step's `$(GO) test` line, or
# to a *_PKGS list the step uses, in that area's mk file.
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
TAGS="${GO_TEST_TAGS:-es}"

patterns=$(awk '
	{ line = line $0 }
	/\\$/ { sub(/\\$/, " ", line); next }
	{ print line; line = "" }' Makefile mk/*.mk |
	grep -E '\$\(GO\) test|^[[:space:]]*[A-Za-z0-9_]+_PKGS[[:space:]]*[:+?]?=' |
	grep -vE "\-run '\^\\\$\\\$'" |
	grep -oE '\./[A-Za-z0-9_./-]*' | sort -u || true)
[[ -n "$patterns" ]] || { echo "check-go-tests: FAIL: no \$(GO) test lines found in the Makefile or mk/*.mk"; exit 1; }

# shellcheck disable=SC2086
covered=$("$GO" list -tags "$TAGS" $patterns | sort -u)
with_tests=$("$GO" list -tags "$TAGS" -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./... | sed '/^$/d' | sort -u)
without_tests=$("$GO" list -tags "$TAGS" -f '{{if not (or .TestGoFiles .XTestGoFiles)}}{{.ImportPath}}{{end}}' ./... | sed '/^$/d' | sort -u)
missing=$(comm -23 <(echo "$with_tests") <(echo "$covered"))

run=$(comm -12 <(echo "$with_tests") <(echo "$covered"))
echo "check-go-tests: packages with tests that the make steps run:"
echo "$run" | sed 's/^/  /'
if [[ -n "$without_tests" ]]; then
	echo "check-go-tests: packages with no test files (commands, generators, benchmarks):"
	echo "$without_tests" | sed 's/^/  /'
fi
if [[ -n "$missing" ]]; then
	echo "check-go-tests: FAIL: these packages have tests that no make step runs:"
	echo "$missing" | sed 's/^/  /'
	echo "check-go-tests: add each to a step's \$(GO) test line (or a *_PKGS list) in its area's mk/*.mk"
	exit 1
fi
echo "check-go-tests: 1 passed, 0 failed"
