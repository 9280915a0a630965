# follow (issue 14): following live events (hunt/follow*.go): Frame.Follow on Elasticsearch,
# hunt.Follow on a growing JSON-lines file, one display updated in place, an interrupt as the
# normal end of a follow.
#
#   fuzz-follow   a short fuzzing of the tail reader (hostile bytes written in arbitrary pieces)
#   test-follow   the JSON-lines follows with writer goroutines (tail, partial lines, rotation,
#                 truncation, filters, views, interrupt) under the race detector; the worker
#                 process test (display_data then update_display_data with one display_id, the
#                 interrupted cell ends with status ok and its note); then a real Elasticsearch
#                 node (scripts/es.sh, stopped also on failure) and the follow of two indices
#                 while two writers index into them: every event shown exactly once.

.PHONY: test-follow fuzz-follow

test-follow: build
	$(GO) test -race -count=1 -run '^(TestFollow|FuzzFollow)' ./hunt/
	$(GO) test -count=1 -run '^TestProcessFollow' ./kernel/worker/
	@url=$$(bash scripts/es.sh start) || { echo "test-follow: FAIL: Elasticsearch could not start (see above); the ES follow tests cannot run"; exit 1; }; \
	trap 'bash scripts/es.sh stop' EXIT; \
	echo "test-follow: Elasticsearch at $$url"; \
	ES_URL=$$url $(GO) test -race -tags es -count=1 -timeout 10m -run '^TestESFollow' ./hunt/

TEST_STEPS += test-follow

# fuzz-follow: a short run of the tail fuzz target (its seeds run in test-follow anyway).
fuzz-follow:
	$(GO) test -run '^$$' -fuzz '^FuzzFollowTail$$' -fuzztime 30s ./hunt/
