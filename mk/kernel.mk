# Kernel front (issue 2, protocol side): messaging/, kernel/ (front), kernel/client, tests/kernel,
# bench/kernel. The Python tests drive the installed kernelspec, which `make setup` installs.

.PHONY: test-kernel test-kernel-go test-kernel-fuzz test-kernel-py bench-kernel

test-kernel: test-kernel-go test-kernel-fuzz test-kernel-py

# Unit tests with the race detector (the front's dispatch runs against a fake worker).
test-kernel-go:
	$(GO) test -race -count=1 ./messaging/... ./kernel/ ./kernel/client/ ./internal/...

# A short fuzzing pass over the envelope parser and the signature check, on top of the
# committed seed corpus in messaging/testdata/fuzz (which plain `go test` always replays).
test-kernel-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 10s ./messaging/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 5s ./messaging/

# jupyter_kernel_test, jupyter_client fault tests, nbconvert and nbclient, on the real kernel.
test-kernel-py:
	cd tests/kernel && $(PY) -m pytest -q -p no:cacheprovider

# Start-up, round trip and stream throughput, side by side with ipykernel.
bench-kernel:
	$(PY) bench/kernel/bench.py

TEST_STEPS += test-kernel
BENCH_STEPS += bench-kernel
