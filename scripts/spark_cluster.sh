#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1 for the `spark` target: one master, N workers.
#   scripts/spark_cluster.sh up [WORKERS]   start (default 2 workers, 1 core and 2 GB each) and
#                                          wait until every worker registered; returns
#   scripts/spark_cluster.sh down          stop every process started by `up`
#   scripts/spark_cluster.sh status        print the master's view of the cluster
# Uses the pyspark package of the venv ($SPARK_HOME is its folder). State (pids, logs, worker
# folders) lives in $SPARK_CLUSTER_DIR (default target/spark/cluster). The master listens on
# spark://127.0.0.1:$SPARK_MASTER_PORT (7077) with its web UI on $SPARK_MASTER_WEBUI_PORT
# (8090, so it never takes `dbt docs serve`'s 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
CLUSTER_DIR="$(mkdir -p "${SPARK_CLUSTER_DIR:-target/spark/cluster}" && cd "${SPARK_CLUSTER_DIR:-target/spark/cluster}" && pwd)"
MASTER_PORT="${SPARK_MASTER_PORT:-7077}"
WEBUI_PORT="${SPARK_MASTER_WEBUI_PORT:-8090}"
WORKER_CORES="${SPARK_WORKER_CORES:-1}"
WORKER_MEMORY="${SPARK_WORKER_MEMORY:-2g}"
MASTER_URL="spark://127.0.0.1:${MASTER_PORT}"

spark_home() {
    "$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null || {
        echo "pyspark is not installed in $PYTHON: run 'make spark-install' first" >&2
        exit 1
    }
}

registered_workers() {
    # the master's JSON view counts workers in state ALIVE
    "$PYTHON" - "$WEBUI_PORT" <<'PY' 2>/dev/null || echo 0
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=2) as reply:
    state = json.load(reply)
print(sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE"))
PY
}

start() {
    local workers="${1:-2}"
    if ! command -v java >/dev/null 2>&1; then
        echo "Java is missing: install openjdk-17-jre-headless (Debian) or set JAVA_HOME" >&2
        exit 1
    fi
    if [ -f "$CLUSTER_DIR/master.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/master.pid")" 2>/dev/null; then
        echo "a cluster is already running ($MASTER_URL, pid $(cat "$CLUSTER_DIR/master.pid")); 'make spark-down' stops it" >&2
        exit 1
    fi
    local home
    home="$(spark_home)"
    export SPARK_HOME="$home" SPARK_LOCAL_IP=127.0.0.1 SPARK_NO_DAEMONIZE=1
    # Python workers must run the venv's python (pyarrow, pandas, custseg)
    PYSPARK_PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")"
    export PYSPARK_PYTHON
    echo "starting a Spark master on $MASTER_URL (web UI http://127.0.0.1:$WEBUI_PORT)"
    nohup "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
        --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$WEBUI_PORT" \
        >"$CLUSTER_DIR/master.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/master.pid"
    for i in $(seq 1 "$workers"); do
        mkdir -p "$CLUSTER_DIR/worker-$i"
        nohup "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
            --host 127.0.0.1 --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" \
            --webui-port "$((WEBUI_PORT + i))" --work-dir "$CLUSTER_DIR/worker-$i" "$MASTER_URL" \
            >"$CLUSTER_DIR/worker-$i.log" 2>&1 &
        echo $! >"$CLUSTER_DIR/worker-$i.pid"
    done
    for _ in $(seq 1 90); do
        if [ "$(registered_workers)" -ge "$workers" ]; then
            echo "cluster up: $workers workers registered with $MASTER_URL (logs in $CLUSTER_DIR)"
            echo "dbt on it: export SEGMENTS_TARGET=spark SPARK_MASTER_URL=$MASTER_URL SPARK_LOCAL_IP=127.0.0.1"
            return 0
        fi
        sleep 1
    done
    echo "the cluster did not come up in 90 s; logs:" >&2
    tail -n 20 "$CLUSTER_DIR"/*.log >&2
    stop
    exit 1
}

stop() {
    local stopped=0
    for pidfile in "$CLUSTER_DIR"/worker-*.pid "$CLUSTER_DIR"/master.pid; do
        [ -f "$pidfile" ] || continue
        local pid
        pid="$(cat "$pidfile")"
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -9 "$pid" 2>/dev/null || true
            stopped=$((stopped + 1))
        fi
        rm -f "$pidfile"
    done
    echo "cluster down ($stopped processes stopped)"
}

case "${1:-}" in
    up) start "${2:-2}" ;;
    down) stop ;;
    status) echo "$MASTER_URL: $(registered_workers) workers alive" ;;
    *) echo "usage: $0 up [WORKERS] | down | status" >&2; exit 2 ;;
esac
