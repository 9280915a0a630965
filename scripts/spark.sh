#!/usr/bin/env bash
# spark.sh: a real Spark Connect server for gohunt's tests, benchmarks and demo.
#
#   scripts/spark.sh install   install pyspark (Spark, its Spark Connect jar and sbin/) into build/spark/venv
#   scripts/spark.sh start     install if needed, start the server on 127.0.0.1, wait until it answers, print its sc:// URL
#   scripts/spark.sh stop      stop the server started by start (a no-op when none runs)
#   scripts/spark.sh restart   stop and start again on the same port (tests use it mid-query)
#   scripts/spark.sh url       print the URL of the running server (fails when none runs)
#   scripts/spark.sh status    print "running URL (pid N)" or "stopped"; exit 0 only when running
#
# Environment:
#   SPARK_RUN_DIR        where the venv, logs, pid and scratch space live (default build/spark in the repo)
#   SPARK_PORT           gRPC port for start (default: a random free port)
#   SPARK_MASTER         the master (default local[2])
#   SPARK_DRIVER_MEMORY  driver heap (default 1g)
#   SPARK_JAVA_HOME      Java for the server (default: Java 17)
#   SPARK_START_TIMEOUT  seconds to wait for the server to answer (default 240)
#
# pyspark on PyPI is Spark itself: its package directory is a SPARK_HOME with jars/ (Spark
# Connect's server jar among them) and sbin/start-connect-server.sh, which this script runs. The
# version is pinned in scripts/requirements-spark.txt. The server listens on loopback only,
# without authentication; its UI is off. Tests run with spark.sql.shuffle.partitions=8 (Spark's
# 200 make every small group-by slow on 2 cores); sessions may SET it otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${SPARK_RUN_DIR:-$ROOT/build/spark}"
VENV="$RUN_DIR/venv"
REQ="$ROOT/scripts/requirements-spark.txt"
STAMP="$VENV/.requirements.sha256"
LOG_DIR="$RUN_DIR/logs"
PID_DIR="$RUN_DIR/pid"
TMP_DIR="$RUN_DIR/tmp"
PORT_FILE="$RUN_DIR/spark.port"
IDENT=gohunt
PID_FILE="$PID_DIR/spark-$IDENT-org.apache.spark.sql.connect.service.SparkConnectServer-1.pid"

log() { echo "spark.sh: $*" >&2; }
die() { log "$*"; exit 1; }

java_home() {
	if [[ -n "${SPARK_JAVA_HOME:-}" ]]; then echo "$SPARK_JAVA_HOME"; return; fi
	local d
	for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-17-openjdk; do
		[[ -x "$d/bin/java" ]] && { echo "$d"; return; }
	done
	die "no Java 17 found under /usr/lib/jvm (apt-get install openjdk-17-jre-headless), or set SPARK_JAVA_HOME"
}

install() {
	local want
	want="$(sha256sum "$REQ" | cut -d' ' -f1)"
	if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
		return 0
	fi
	command -v python3 >/dev/null || die "python3 not found"
	log "installing $(grep -v '^#' "$REQ" | tr '\n' ' ')into $VENV (pip, a few minutes the first time)"
	python3 -m venv "$VENV"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2 ||
		die "pip could not install $REQ"
	echo "$want" >"$STAMP"
}

spark_home() {
	local h
	h="$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" ||
		die "pyspark is not importable from $VENV"
	[[ -x "$h/sbin/start-connect-server.sh" ]] || die "$h/sbin/start-connect-server.sh is missing: the pyspark package carries no Spark Connect server"
	echo "$h"
}

running_pid() {
	[[ -s "$PID_FILE" ]] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

url() {
	[[ -s "$PORT_FILE" ]] || return 1
	echo "sc://127.0.0.1:$(cat "$PORT_FILE")"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		port_free "$p" && { echo "$p"; return; }
	done
	die "no free port found"
}

server_log() { ls -t "$LOG_DIR"/spark-"$IDENT"-*SparkConnectServer*.out 2>/dev/null | head -n 1; }

# wait_ready waits until the server logs that Spark Connect is up and its port accepts connections.
wait_ready() {
	local port="$1" t0=$SECONDS deadline=$((SECONDS + ${SPARK_START_TIMEOUT:-240})) lf
	while ((SECONDS < deadline)); do
		lf="$(server_log)"
		if ! running_pid >/dev/null; then
			# spark-daemon.sh writes the pid file right after it forks the server.
			if [[ -s "$PID_FILE" ]] || ((SECONDS - t0 > 20)); then
				log "the Spark Connect server exited during start; last log lines:"
				tail -n 40 "$lf" >&2 2>/dev/null || true
				return 1
			fi
		elif ! port_free "$port" && [[ -n "$lf" ]] && grep -q "Spark Connect server started" "$lf"; then
			return 0
		fi
		sleep 1
	done
	log "the Spark Connect server did not answer within ${SPARK_START_TIMEOUT:-240}s; last log lines:"
	tail -n 40 "$lf" >&2 2>/dev/null || true
	return 1
}

start() {
	if running_pid >/dev/null; then
		url
		return 0
	fi
	install
	local home port jh
	home="$(spark_home)"
	jh="$(java_home)"
	mkdir -p "$LOG_DIR" "$PID_DIR" "$TMP_DIR"
	port="${SPARK_PORT:-}"
	if [[ -z "$port" ]]; then
		if [[ -s "$PORT_FILE" ]] && port_free "$(cat "$PORT_FILE")"; then
			port="$(cat "$PORT_FILE")"
		else
			port="$(free_port)"
		fi
	fi
	echo "$port" >"$PORT_FILE"
	rm -f "$LOG_DIR"/spark-"$IDENT"-*SparkConnectServer*.out*
	log "starting Spark Connect ($home) on 127.0.0.1:$port, master ${SPARK_MASTER:-local[2]}, Java $jh"
	env SPARK_HOME="$home" JAVA_HOME="$jh" PATH="$jh/bin:/usr/bin:/bin" \
		SPARK_LOG_DIR="$LOG_DIR" SPARK_PID_DIR="$PID_DIR" SPARK_IDENT_STRING="$IDENT" \
		SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$TMP_DIR" PYSPARK_PYTHON="$VENV/bin/python" \
		"$home/sbin/start-connect-server.sh" \
		--master "${SPARK_MASTER:-local[2]}" \
		--driver-memory "${SPARK_DRIVER_MEMORY:-1g}" \
		--conf "spark.connect.grpc.binding.address=127.0.0.1" \
		--conf "spark.connect.grpc.binding.port=$port" \
		--conf spark.driver.host=127.0.0.1 \
		--conf spark.driver.bindAddress=127.0.0.1 \
		--conf spark.ui.enabled=false \
		--conf spark.sql.shuffle.partitions=8 \
		--conf "spark.local.dir=$TMP_DIR" \
		--conf "spark.driver.extraJavaOptions=-Djava.io.tmpdir=$TMP_DIR" >"$LOG_DIR/start.out" 2>&1 ||
		{ tail -n 40 "$LOG_DIR/start.out" >&2 2>/dev/null || true; die "start-connect-server.sh failed"; }
	if ! wait_ready "$port"; then
		stop
		die "the Spark Connect server failed to start"
	fi
	url
}

stop() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "the Spark Connect server (pid $pid) ignored SIGTERM for 30s; killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PID_FILE"
}

case "${1:-}" in
install) install && spark_home ;;
start) start ;;
stop) stop ;;
restart) stop && start ;;
url) running_pid >/dev/null || die "the Spark Connect server is not running (scripts/spark.sh start)"; url ;;
status)
	if pid="$(running_pid)"; then
		echo "running $(url) (pid $pid)"
	else
		echo "stopped"
		exit 3
	fi
	;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
