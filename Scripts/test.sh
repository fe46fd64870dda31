#!/usr/bin/env bash
# Runs every test from a fresh clone: Swift unit tests, then the end-to-end
# tests that drive beam-job-server with the real apache-beam Python SDK
# (installed into .venv on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

swift build
swift test

VENV="$ROOT/.venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r Tests/EndToEnd/requirements.txt

BEAM_JOB_SERVER_BIN="$ROOT/.build/debug/beam-job-server" \
  "$VENV/bin/python" -m pytest -p no:cacheprovider Tests/EndToEnd "$@"
