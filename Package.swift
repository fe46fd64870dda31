// swift-tools-version:6.1
// BeamJobServer: a portable Apache Beam runner. Target map: Docs/architecture.md.
import PackageDescription

let grpc: [Target.Dependency] = [
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")

let package = Package(
    name: "BeamJobServer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "beam-job-server", targets: ["BeamJobServer"]),
        .executable(name: "beam-boot", targets: ["BeamBoot"]),
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
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
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
        // Element manager: PCollection buffers, GroupByKey per key and window, side inputs.
        .target(name: "Engine", dependencies: ["BeamCore"]),
        // Pipeline proto -> fused stages and runner steps.
        .target(name: "Planner", dependencies: ["BeamModel", "BeamCore"]),
        // Fn API servers (control, data, state, logging, provision) and environment launchers.
        .target(name: "Worker", dependencies: ["BeamModel", "BeamCore", logging,
                                               .product(name: "NIOCore", package: "swift-nio")] + grpc),
        // Job Management API, artifact staging and retrieval, the job registry and its store.
        .target(
            name: "JobService",
            dependencies: ["BeamModel", "BeamCore", logging, .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                           .product(name: "NIOHPACK", package: "swift-nio-http2")]
                + grpc
        ),
        // Dashboard, JSON API and Prometheus /metrics over the job registry (reads; drives only Cancel).
        .target(
            name: "Web",
            dependencies: ["JobService", "BeamModel", "BeamCore", logging, metrics,
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTLS", package: "hummingbird"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        // Runs one job: Planner -> Engine <-> Worker, metrics aggregation.
        .target(
            name: "Execution",
            dependencies: ["BeamModel", "BeamCore", "Planner", "Engine", "Worker", "JobService", logging, metrics] + grpc,
            // The Spark driver program spark-submit runs (Python with pyspark).
            resources: [.copy("Spark/beam_spark_driver.py")]
        ),
        // The beam-job-server executable: flags, logging, lifecycle, wiring.
        .executableTarget(
            name: "BeamJobServer",
            dependencies: [
                "BeamModel", "JobService", "Execution", "Web", logging, metrics,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + grpc
        ),
        // beam-boot: the boot program PROCESS/DOCKER environments run.
        .executableTarget(
            name: "BeamBoot",
            dependencies: [
                "BeamModel", logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + grpc,
            path: "Harness"
        ),
        .testTarget(
            name: "JobServiceTests",
            dependencies: [
                "JobService", "BeamModel", logging,
                .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ] + grpc
        ),
        .testTarget(
            name: "BeamCoreTests",
            dependencies: ["BeamCore", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(name: "WebTests", dependencies: ["Web", "JobService", "BeamModel", "BeamCore", logging]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "BeamCore"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "BeamModel", "BeamCore"]),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "BeamModel", "BeamCore", logging] + grpc
        ),
        .testTarget(
            name: "ExecutionTests",
            dependencies: ["Execution", "Planner", "Engine", "Worker", "BeamModel", "BeamCore", "JobService", logging] + grpc
        ),
    ]
)
