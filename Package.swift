// swift-tools-version:6.1
// BeamJobServer: a portable Apache Beam runner. Target map: Docs/architecture.md.
import PackageDescription

let package = Package(
    name: "BeamJobServer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "beam-job-server", targets: ["BeamJobServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Generated protobuf + gRPC code for the Beam model (Scripts/generate-protos.sh).
        .target(
            name: "BeamModel",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        // Coders, windows, timestamps, URNs: the model's plain-Swift vocabulary (no gRPC).
        .target(name: "BeamCore"),
        // Job Management API, artifact staging and retrieval, the job registry.
        .target(
            name: "JobService",
            dependencies: [
                "BeamModel",
                "BeamCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The beam-job-server executable: flags, logging, lifecycle, wiring.
        .executableTarget(
            name: "BeamJobServer",
            dependencies: [
                "BeamModel",
                "JobService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "JobServiceTests",
            dependencies: [
                "JobService",
                "BeamModel",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
