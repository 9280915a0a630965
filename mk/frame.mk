# Interrupts of Elasticsearch reads through a real kernel worker (kernel/worker, build tag es).
#
#   make test-es-worker   start ES, interrupt a display, a Count and a Collect of a long read in
#                         a worker process, check the point-in-time is closed and the session
#                         kept its variables; stop ES (also on failure)

.PHONY: test-es-worker

test-es-worker: build
	@url=$$(bash scripts/es.sh start) || { echo "test-es-worker: FAIL: Elasticsearch could not start (see above); the test cannot run"; exit 1; }; \
	trap 'bash scripts/es.sh stop' EXIT; \
	ES_URL=$$url $(GO) test -tags es -count=1 -timeout 10m -run '^TestProcessES' ./kernel/worker/

TEST_STEPS += test-es-worker

# `%%sql -e sp` and an interrupted Spark count through a real kernel worker (build tag spark).
.PHONY: test-spark-worker

test-spark-worker: build
	@url=$$(bash scripts/spark.sh start) || { echo "test-spark-worker: FAIL: the Spark Connect server could not start (see above)"; exit 1; }; \
	trap 'bash scripts/spark.sh stop' EXIT; \
	SPARK_URL=$$url $(GO) test -tags spark -count=1 -timeout 10m -run '^TestProcessSpark' ./kernel/worker/

TEST_STEPS += test-spark-worker
