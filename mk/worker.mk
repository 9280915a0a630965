# Worker (issue 2, interpreter side): kernel/worker (yaegi session, `gohunt worker`),
# kernel/display (the display API) and kernel/symbols (generated yaegi symbols + docs).

.PHONY: test-worker symbols

# symbols: regenerate the yaegi symbol tables and the docs index of display and hunt.
symbols:
	$(GO) generate ./kernel/symbols

# test-worker: the race detector runs wherever the worker's own concurrency lives (output
# streams, stdin, display sink, the ipc process). Tests that interrupt a cell run without it:
# yaegi lets an interrupted evaluation finish in its own goroutine, which races with the next
# evaluation inside yaegi's frame (not in gohunt's code). kernel/symbols regenerates the symbol
# tables and docs and fails if the committed ones are stale.
test-worker:
	$(GO) test -race ./kernel/display/
	$(GO) test -race -skip 'Interrupt|Faults' ./kernel/worker/
	$(GO) test -run 'Interrupt|Faults' ./kernel/worker/
	$(GO) test -run '^$$' -fuzz '^FuzzCellTools$$' -fuzztime 10s ./kernel/worker/
	$(GO) test ./kernel/symbols/...
	$(GO) test -count=1 ./third_party/yaegi/...

TEST_STEPS += test-worker
