#!/usr/bin/env bash
# A standalone Spark cluster on 127.0.0.1 for the Spark backend's tests and
# benchmarks: a master and 2 workers (1 core, 1 GiB each), from the pyspark
# pip package of $BEAM_PYTHON (default: the repo's .venv).
#   Scripts/spark-cluster.sh start DIR   # prints "master spark://127.0.0.1:PORT" and "ui http://127.0.0.1:PORT"
#   Scripts/spark-cluster.sh stop DIR    # stops what start DIR started
# DIR holds the pids, logs and the workers' work folders.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${BEAM_PYTHON:-$ROOT/.venv/bin/python}"
command="${1:?usage: spark-cluster.sh start|stop DIR}"
DIR="$(mkdir -p "${2:?usage: spark-cluster.sh start|stop DIR}" && cd "$2" && pwd)"

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Runs spark-class in a session of its own (so stop reaches its children), logging to DIR/NAME.log.
launch() {
  local name="$1"; shift
  setsid "$SPARK_HOME/bin/spark-class" "$@" >"$DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$DIR/$name.pid"
}

case "$command" in
  start)
    SPARK_HOME="$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
    export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_WORKER_DIR="$DIR/work" PYSPARK_PYTHON="$PYTHON"
    port="$(free_port)"; ui="$(free_port)"
    launch master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port "$ui"
    for _ in $(seq 120); do
      grep -q "I have been elected leader" "$DIR/master.log" 2>/dev/null && break
      sleep 0.5
    done
    grep -q "I have been elected leader" "$DIR/master.log" || { cat "$DIR/master.log" >&2; exit 1; }
    for n in 1 2; do
      launch "worker-$n" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 1g \
        --webui-port 0 --work-dir "$DIR/work-$n" "spark://127.0.0.1:$port"
    done
    for n in 1 2; do
      for _ in $(seq 120); do
        grep -q "Successfully registered with master" "$DIR/worker-$n.log" 2>/dev/null && break
        sleep 0.5
      done
      grep -q "Successfully registered with master" "$DIR/worker-$n.log" || { cat "$DIR/worker-$n.log" >&2; exit 1; }
    done
    echo "master spark://127.0.0.1:$port"
    echo "ui http://127.0.0.1:$ui"
    ;;
  stop)
    for file in "$DIR"/*.pid; do
      [[ -f "$file" ]] || continue
      pid="$(cat "$file")"
      kill -TERM -- "-$pid" 2>/dev/null || true
    done
    sleep 2
    for file in "$DIR"/*.pid; do
      [[ -f "$file" ]] || continue
      kill -KILL -- "-$(cat "$file")" 2>/dev/null || true
      rm -f "$file"
    done
    ;;
  *) echo "usage: spark-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
