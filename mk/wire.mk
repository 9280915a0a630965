# Wire hardening: the patched zmq4 under third_party/zmq4 (frame and message limits,
# concurrent handshakes, XPUB subscriptions; see third_party/zmq4/PATCHES.md) and the replay
# fuzz target of messaging/.

.PHONY: test-wire

test-wire:
	cd third_party/zmq4 && $(GO) test -race -count=1 -run 'TestRead|TestMaxMsgSize|TestHandshake|TestXPub' .
	$(GO) test -run '^$$' -fuzz '^FuzzReplay$$' -fuzztime 5s ./messaging/

TEST_STEPS += test-wire
