#!/usr/bin/env bash
# Runs every test from a fresh clone:
#   1. a venv (.venv) with apache-beam==2.77.0 and the test tools;
#   2. Swift unit tests (some drive the real Python SDK harness from .venv);
#   3. end-to-end tests: the real Beam Python SDK submits pipelines to
#      beam-job-server and compares results with Beam's DirectRunner;
#   4. Beam's own portable-runner suite (prism_runner_test.py, plus the tests it
#      skips that we run anyway) against beam-job-server, checked against
#      Tests/EndToEnd/beam_suite_known_failures.txt;
#   5. Beam's trigger transcript tests (trigger_test.py, TestStream) against
#      beam-job-server, checked against Tests/EndToEnd/trigger_transcripts_known_failures.txt;
#   6. steps 4 and 5 again with two SDK workers per job, pinned (no autoscaling);
#   7. step 4 on the Spark backend (--spark-master local[2]: bounded jobs run as
#      Spark stages), also checked against beam_suite_spark_known_failures.txt.
# Debian packages it needs and lacks are installed with apt-get first: SQLite's
# headers (the job store), Chromium with chromedriver (the web UI's browser test),
# Java 17 (Spark, from pyspark in the venv, for the Spark backend's tests),
# podman, runc and debootstrap (the DOCKER environment tests; Scripts/setup-podman.sh).
# Steps 3-7 all run even when one fails; the script fails if any did.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# Debian packages: libsqlite3-dev for the build, chromium + chromium-driver for the browser test.
need=()
[[ -f /usr/include/sqlite3.h ]] || need+=(libsqlite3-dev)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)  # Spark, for the Spark backend's tests
if (( ${#need[@]} )); then
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y -q "${need[@]}" || { $SUDO apt-get update -q && $SUDO apt-get install -y -q "${need[@]}"; } \
    || echo "warning: could not install ${need[*]}; the tests that need them will fail saying so" >&2
fi

# podman (with runc and debootstrap) for the DOCKER environment tests, which build their SDK image.
"$ROOT/Scripts/setup-podman.sh" || echo "warning: podman could not be set up; the DOCKER environment tests will fail saying so" >&2

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r Tests/EndToEnd/requirements.txt
export BEAM_PYTHON="$VENV/bin/python"
export BEAM_STANDARD_CODERS_YAML="$("$BEAM_PYTHON" -c 'import apache_beam, os; print(os.path.join(os.path.dirname(apache_beam.__file__), "portability", "api", "standard_coders.yaml"))' 2>/dev/null)"

swift build
swift test

export BEAM_JOB_SERVER_BIN="$ROOT/.build/debug/beam-job-server"
export BEAM_BOOT_BIN="$ROOT/.build/debug/beam-boot"
status=0
"$BEAM_PYTHON" -m pytest -p no:cacheprovider Tests/EndToEnd "$@" || status=1
"$BEAM_PYTHON" Tests/EndToEnd/run_beam_suite.py --binary "$BEAM_JOB_SERVER_BIN" || status=1
"$BEAM_PYTHON" Tests/EndToEnd/run_trigger_transcripts.py --binary "$BEAM_JOB_SERVER_BIN" || status=1
TWO_WORKERS="--sdk_worker_parallelism=2 --autoscaling_algorithm=NONE"
"$BEAM_PYTHON" Tests/EndToEnd/run_beam_suite.py --binary "$BEAM_JOB_SERVER_BIN" --extra-options "$TWO_WORKERS" || status=1
"$BEAM_PYTHON" Tests/EndToEnd/run_trigger_transcripts.py --binary "$BEAM_JOB_SERVER_BIN" --extra-options "$TWO_WORKERS" || status=1
"$BEAM_PYTHON" Tests/EndToEnd/run_beam_suite.py --binary "$BEAM_JOB_SERVER_BIN" --server-args "--spark-master local[2]" \
  --known-failures Tests/EndToEnd/beam_suite_known_failures.txt \
  --known-failures Tests/EndToEnd/beam_suite_spark_known_failures.txt || status=1
exit "$status"
