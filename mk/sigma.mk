# Sigma rules (issue 12): hunt/sigma, Frame.Detect. The unit tests run in test-hunt; test-sigma
# adds the oracle: every rule of ../shared/sigma/rules/windows over every dataset of
# ../shared/datasets, gohunt's hits against pySigma's (sysmon + windows-logsources pipelines,
# SQLite backend), rule by rule. pySigma is installed into .venv from
# scripts/requirements-sigma.txt.

.PHONY: test-sigma

test-sigma: venv
	$(PY) -m pip install -q --disable-pip-version-check -r scripts/requirements-sigma.txt
	SIGMA_PY=$(PY) $(GO) test -tags sigmaoracle -count=1 ./hunt/sigma/
	SIGMA_PY=$(PY) $(GO) test -tags sigmaoracle -count=1 -timeout 30m -run 'TestSigma' ./hunt/

TEST_STEPS += test-sigma
