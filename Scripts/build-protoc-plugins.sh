#!/usr/bin/env bash
# Builds protoc-gen-swift (swift-protobuf) and protoc-gen-grpc-swift-2
# (grpc-swift-protobuf) from the pinned package versions, once, into
# .build-codegen/. Slow the first time (~3 min on 2 cores); cached afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/.build-codegen"
mkdir -p "$WORK/plugins-package"
cat > "$WORK/plugins-package/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    ],
    targets: [.target(name: "Empty", path: "Empty")]
)
SWIFT
mkdir -p "$WORK/plugins-package/Empty" && echo "// placeholder so the package has a target" > "$WORK/plugins-package/Empty/Empty.swift"
cd "$WORK/plugins-package"
swift build -c release --product protoc-gen-swift
swift build -c release --product protoc-gen-grpc-swift-2
BIN="$(swift build -c release --show-bin-path)"
mkdir -p "$WORK/bin"
cp "$BIN/protoc-gen-swift" "$BIN/protoc-gen-grpc-swift-2" "$WORK/bin/"
echo "plugins in $WORK/bin"
