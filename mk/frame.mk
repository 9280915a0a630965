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

# gohunt on Spark vs PySpark's own Spark Connect client on the same server (bench/spark): a
# filter + group-by over 10M synthetic events in Parquet, the first rows of a 10M-row frame
# (shown as the kernel shows it) vs df.show(), and the Threat Hunter Playbook samples of
# ../shared/analytics as `%%sql -e sp` shows them vs spark.sql(q).show(); ratios printed, fails
# when PySpark returns different rows. The peer's client
# (pyspark[connect], scripts/requirements-spark-bench.txt) lives in build/spark/bench-venv.
.PHONY: bench-spark

bench-spark:
	@url=$$(bash scripts/spark.sh start) || { echo "bench-spark: FAIL: the Spark Connect server could not start (see above)"; exit 1; }; \
	trap 'bash scripts/spark.sh stop' EXIT; \
	{ test -x build/spark/bench-venv/bin/python || python3 -m venv build/spark/bench-venv; } && \
	build/spark/bench-venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-spark-bench.txt && \
	SPARK_URL=$$url PY=build/spark/bench-venv/bin/python $(GO) run ./bench/spark

BENCH_STEPS += bench-spark
