# Spark: a real Spark Connect server from scripts/spark.sh (pyspark from PyPI, Java 17), the
# hunt/spark tests and the Spark-vs-DuckDB comparisons of package hunt against it.
#
#   make test-spark    start the server, run the Spark tests with SPARK_URL set, stop it (also on failure)
#   make spark-start   start the server and print its sc:// URL; make spark-stop stops it
#
# The Spark tests carry the build tag spark; without a server they fail, they never skip.

.PHONY: test-spark spark-start spark-stop

spark-start:
	@bash scripts/spark.sh start

spark-stop:
	@bash scripts/spark.sh stop

test-spark:
	@url=$$(bash scripts/spark.sh start) || { echo "test-spark: FAIL: the Spark Connect server could not start (see above); the Spark tests cannot run"; exit 1; }; \
	trap 'bash scripts/spark.sh stop' EXIT; \
	echo "test-spark: Spark Connect at $$url"; \
	SPARK_URL=$$url SPARK_SCRIPT=$(ROOT)/scripts/spark.sh $(GO) test -race -tags spark -count=1 -timeout 20m ./hunt/spark/ && \
	SPARK_URL=$$url SPARK_SCRIPT=$(ROOT)/scripts/spark.sh $(GO) test -tags spark -count=1 -timeout 20m -run '^TestSpark' ./hunt/

TEST_STEPS += test-spark
