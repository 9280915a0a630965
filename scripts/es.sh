#!/usr/bin/env bash
# es.sh: a real single-node Elasticsearch for gohunt's tests, benchmarks and demo.
#
#   scripts/es.sh fetch     download the integ-test distribution with Maven (cached under build/es)
#   scripts/es.sh start     fetch if needed, start one node on 127.0.0.1, wait for health, print its URL
#   scripts/es.sh stop      stop the node started by start (a no-op when none runs)
#   scripts/es.sh restart   stop and start again on the same port and data (tests use it mid-read)
#   scripts/es.sh url       print the URL of the running node (fails when none runs)
#   scripts/es.sh status    print "running URL (pid N)" or "stopped"; exit 0 only when running
#   scripts/es.sh wipe      stop and delete the node's data
#   scripts/es.sh rundir    print the run directory in use (see ES_RUN_DIR)
#
# Environment:
#   ES_VERSION   distribution version (default below; recorded in docs/es.md)
#   ES_HEAP      JVM heap (default 512m)
#   ES_RUN_DIR   where the install, data, logs and state live (default build/es in the repo; as
#                root, a directory user gohunt-es cannot reach is replaced by one under /var/tmp)
#   ES_PORT      HTTP port for start (default: a random free port)
#   ES_JAVA_HOME Java for the node (default: Java 17 for 8.x, temurin 25 for 9.x)
#
# The distribution is org.elasticsearch.distribution.integ-test-zip:elasticsearch from Maven
# Central: the server with transport, security and APM modules only (no bundled JDK, no
# painless, no SQL). Security is turned off: the node listens on loopback only.
# Elasticsearch refuses to run as root, so as root the script runs it as the unprivileged
# system user gohunt-es, which it creates.
set -euo pipefail

ES_VERSION="${ES_VERSION:-8.19.7}"
ES_HEAP="${ES_HEAP:-512m}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ES_USER_NAME=gohunt-es
RUN_DIR="${ES_RUN_DIR:-$ROOT/build/es}"

# reachable DIR: whether user gohunt-es can reach DIR, or the deepest part of it that exists
# (what start creates below it is made by root with mode 755, which the user can reach).
reachable() {
	local d="$1"
	while [[ ! -e "$d" && "$d" != / ]]; do d="$(dirname "$d")"; done
	runuser -u "$ES_USER_NAME" -- test -x "$d" 2>/dev/null
}

if [[ $EUID -eq 0 ]]; then
	# The node runs as gohunt-es, which must reach the run directory. When that directory (the
	# default under the repository, or ES_RUN_DIR) sits under a directory closed to other users
	# (root's home, a mode-700 parent), run from /var/tmp instead: one directory per requested
	# run directory, so nodes asked to live apart still do.
	id -u "$ES_USER_NAME" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER_NAME" 2>/dev/null || true
	if id -u "$ES_USER_NAME" >/dev/null 2>&1 && ! reachable "$RUN_DIR"; then
		RUN_DIR="/var/tmp/gohunt-es-$(printf %s "$RUN_DIR" | cksum | cut -d' ' -f1)"
	fi
fi
DIST="$RUN_DIR/dist"
HOME_DIR="$RUN_DIR/elasticsearch-$ES_VERSION"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
TMP_DIR="$RUN_DIR/tmp"
PID_FILE="$RUN_DIR/es.pid"
PORT_FILE="$RUN_DIR/es.port"

log() { echo "es.sh: $*" >&2; }
die() { log "$*"; exit 1; }

java_home() {
	if [[ -n "${ES_JAVA_HOME:-}" ]]; then echo "$ES_JAVA_HOME"; return; fi
	case "$ES_VERSION" in
	8.*) for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/temurin-25-jdk-amd64; do
		[[ -x "$d/bin/java" ]] && { echo "$d"; return; }
	done ;;
	*) for d in /usr/lib/jvm/temurin-25-jdk-amd64; do
		[[ -x "$d/bin/java" ]] && { echo "$d"; return; }
	done ;;
	esac
	local j
	j="$(command -v java || true)"
	[[ -n "$j" ]] || die "no Java found: Elasticsearch $ES_VERSION needs Java 17+ (8.x) or 21+ (9.x); set ES_JAVA_HOME"
	dirname "$(dirname "$(readlink -f "$j")")"
}

fetch() {
	[[ -x "$HOME_DIR/bin/elasticsearch" ]] && return 0
	command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) to fetch Elasticsearch"
	command -v unzip >/dev/null || die "unzip not found: apt-get install unzip"
	mkdir -p "$DIST"
	local zip="$DIST/elasticsearch-$ES_VERSION.zip"
	if [[ ! -s "$zip" ]]; then
		log "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION with Maven"
		mvn -q -B dependency:copy \
			"-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
			"-DoutputDirectory=$DIST" >&2 || die "Maven could not fetch Elasticsearch $ES_VERSION"
	fi
	rm -rf "$HOME_DIR.tmp"
	mkdir -p "$HOME_DIR.tmp"
	unzip -q "$zip" -d "$HOME_DIR.tmp"
	mv "$HOME_DIR.tmp/elasticsearch-$ES_VERSION" "$HOME_DIR"
	rm -rf "$HOME_DIR.tmp"
}

# as_es runs a command as the node's user: gohunt-es when we are root, else ourselves.
as_es() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u "$ES_USER_NAME" -- "$@"
	else
		"$@"
	fi
}

ensure_user() {
	[[ $EUID -eq 0 ]] || return 0
	if ! id -u "$ES_USER_NAME" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER_NAME" ||
			id -u "$ES_USER_NAME" >/dev/null 2>&1 || die "could not create user $ES_USER_NAME"
	fi
	chown -R "$ES_USER_NAME:" "$HOME_DIR" "$DATA_DIR" "$LOG_DIR" "$TMP_DIR"
	as_es test -x "$HOME_DIR/bin/elasticsearch" ||
		die "user $ES_USER_NAME cannot reach $HOME_DIR (a parent directory is not world-executable); set ES_RUN_DIR to a directory it can reach"
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
	echo "http://127.0.0.1:$(cat "$PORT_FILE")"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		port_free "$p" && port_free "$((p + 1))" && { echo "$p"; return; }
	done
	die "no free port found"
}

wait_health() {
	local u="$1" pid="$2" deadline=$((SECONDS + ${ES_START_TIMEOUT:-180}))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "Elasticsearch exited during start; last log lines:"
			tail -n 40 "$LOG_DIR"/gohunt-es.log >&2 2>/dev/null || true
			return 1
		fi
		if curl -fsS --max-time 5 "$u/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	log "Elasticsearch did not become healthy within ${ES_START_TIMEOUT:-180}s; last log lines:"
	tail -n 40 "$LOG_DIR"/gohunt-es.log >&2 2>/dev/null || true
	return 1
}

start() {
	if pid="$(running_pid)"; then
		url
		return 0
	fi
	fetch
	mkdir -p "$DATA_DIR" "$LOG_DIR" "$TMP_DIR"
	ensure_user
	local port="${ES_PORT:-}"
	if [[ -z "$port" ]]; then
		if [[ -s "$PORT_FILE" ]] && port_free "$(cat "$PORT_FILE")" && port_free "$(($(cat "$PORT_FILE") + 1))"; then
			port="$(cat "$PORT_FILE")"
		else
			port="$(free_port)"
		fi
	fi
	echo "$port" >"$PORT_FILE"
	local jh
	jh="$(java_home)"
	rm -f "$PID_FILE"
	touch "$PID_FILE" && chmod 666 "$PID_FILE"
	log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$port (Java $jh, heap $ES_HEAP)"
	# -d daemonizes after the node has started its services; -p writes the pid.
	as_es env -i PATH=/usr/bin:/bin HOME=/tmp \
		ES_JAVA_HOME="$jh" \
		ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP -XX:-HeapDumpOnOutOfMemoryError" \
		ES_TMPDIR="$TMP_DIR" \
		"$HOME_DIR/bin/elasticsearch" -d -p "$PID_FILE" \
		-E cluster.name=gohunt-es \
		-E node.name=gohunt-es \
		-E network.host=127.0.0.1 \
		-E "http.port=$port" \
		-E "transport.port=$((port + 1))" \
		-E discovery.type=single-node \
		-E "path.data=$DATA_DIR" \
		-E "path.logs=$LOG_DIR" \
		-E xpack.security.enabled=false \
		-E cluster.routing.allocation.disk.threshold_enabled=false \
		-E action.destructive_requires_name=false \
		-E search.keep_alive_interval=1s \
		-E bootstrap.memory_lock=false >"$LOG_DIR/start.out" 2>&1 ||
		{ tail -n 40 "$LOG_DIR/start.out" >&2 2>/dev/null || true; die "Elasticsearch failed to start"; }
	local pid
	pid="$(running_pid)" || die "Elasticsearch wrote no pid file"
	if ! wait_health "$(url)" "$pid"; then
		stop
		die "Elasticsearch failed to become healthy"
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
		log "Elasticsearch (pid $pid) ignored SIGTERM for 30s; killing it"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PID_FILE"
}

case "${1:-}" in
fetch) fetch && echo "$HOME_DIR" ;;
start) start ;;
stop) stop ;;
restart) stop && start ;;
url) running_pid >/dev/null || die "Elasticsearch is not running (scripts/es.sh start)"; url ;;
status)
	if pid="$(running_pid)"; then
		echo "running $(url) (pid $pid)"
	else
		echo "stopped"
		exit 3
	fi
	;;
wipe) stop && rm -rf "$DATA_DIR" "$LOG_DIR" "$PORT_FILE" ;;
rundir) echo "$RUN_DIR" ;;
*)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
