#!/usr/bin/env bash
# Regenerates Sources/BeamModel from the Beam model schema pinned to
# apache-beam 2.77.0. Steps:
#   1. a venv with apache-beam==2.77.0 extracts the compiled descriptors from the
#      wheel into Protos/beam-model-2.77.0.pb (skipped with --reuse-descriptors);
#   2. a separate venv supplies protoc (grpcio-tools needs protobuf >= 7, which
#      apache-beam refuses, hence two venvs);
#   3. protoc-gen-swift and protoc-gen-grpc-swift-2 are built from the pinned
#      packages (Scripts/build-protoc-plugins.sh);
#   4. protoc writes the Swift files. Commit the result; builds never run this.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/.build-codegen"
DESCRIPTORS="$ROOT/Protos/beam-model-2.77.0.pb"
OUT="$ROOT/Sources/BeamModel/Generated"
mkdir -p "$WORK"

if [[ "${1:-}" != "--reuse-descriptors" ]]; then
  if [[ ! -x "$WORK/beam-venv/bin/python" ]]; then
    python3 -m venv "$WORK/beam-venv"
    "$WORK/beam-venv/bin/pip" install -q "apache-beam==2.77.0"
  fi
  "$WORK/beam-venv/bin/python" "$ROOT/Scripts/extract_beam_descriptors.py" "$DESCRIPTORS"
fi

if [[ ! -x "$WORK/protoc-venv/bin/python" ]]; then
  python3 -m venv "$WORK/protoc-venv"
  "$WORK/protoc-venv/bin/pip" install -q grpcio-tools
fi

if [[ ! -x "$WORK/bin/protoc-gen-swift" || ! -x "$WORK/bin/protoc-gen-grpc-swift-2" ]]; then
  "$ROOT/Scripts/build-protoc-plugins.sh"
fi

FILES=(
  org/apache/beam/model/pipeline/v1/beam_runner_api.proto
  org/apache/beam/model/pipeline/v1/endpoints.proto
  org/apache/beam/model/pipeline/v1/external_transforms.proto
  org/apache/beam/model/pipeline/v1/metrics.proto
  org/apache/beam/model/pipeline/v1/schema.proto
  org/apache/beam/model/pipeline/v1/standard_window_fns.proto
  org/apache/beam/model/job_management/v1/beam_job_api.proto
  org/apache/beam/model/job_management/v1/beam_artifact_api.proto
  org/apache/beam/model/job_management/v1/beam_expansion_api.proto
  org/apache/beam/model/fn_execution/v1/beam_fn_api.proto
  org/apache/beam/model/fn_execution/v1/beam_provision_api.proto
)
rm -rf "$OUT" && mkdir -p "$OUT"
"$WORK/protoc-venv/bin/python" -m grpc_tools.protoc \
  --descriptor_set_in="$DESCRIPTORS" \
  --plugin=protoc-gen-swift="$WORK/bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift="$WORK/bin/protoc-gen-grpc-swift-2" \
  --swift_opt=Visibility=Public,FileNaming=DropPath \
  --swift_out="$OUT" \
  --grpc-swift_opt=Visibility=Public,FileNaming=DropPath,Server=true,Client=true \
  --grpc-swift_out="$OUT" \
  "${FILES[@]}"
echo "generated $(ls "$OUT" | wc -l) files, $(cat "$OUT"/*.swift | wc -l) lines into $OUT"
