import BeamModel
import Foundation
import Synchronization
import Testing

/// The real Beam Python SDK for harness tests: which interpreter to use, a
/// pipeline it built (for genuine pickled DoFns), the stand-in for beam-boot
/// that PROCESS environments run, and a LOOPBACK-style worker pool.
enum PythonSDK {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// `$BEAM_PYTHON`, else `<repo>/.venv/bin/python` (Scripts/test.sh creates it).
    static func python() throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [repo.appendingPathComponent(".venv/bin/python").path]
        if let chosen = ProcessInfo.processInfo.environment["BEAM_PYTHON"] { candidates.insert(chosen, at: 0) }
        guard let python = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Missing(description: "No Python with apache-beam found: set BEAM_PYTHON or create \(candidates[0]) (tried \(candidates))")
        }
        return python
    }

    // MARK: Generated pipeline

    /// A pipeline the SDK built, with the ids of its interesting ParDos.
    struct Generated: Sendable {
        let pipeline: Org_Apache_Beam_Model_Pipeline_V1_Pipeline
        /// Label ("Exclaim", "Fail", "WithSide", "Slow") -> ParDo transform id.
        let parDos: [String: String]
    }

    private static let script = #"""
    import base64, json, time
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    def boom(element):
        raise ValueError("boom from the DoFn: %r" % element)

    p = beam.Pipeline(options=PipelineOptions([]))
    main = p | "Main" >> beam.Create([b"a"])
    side = p | "Side" >> beam.Create([b"s1", b"s2"])
    main | "Exclaim" >> beam.Map(lambda b: b + b"!")
    main | "Fail" >> beam.Map(boom)
    main | "WithSide" >> beam.Map(lambda b, side: b + b"|" + b",".join(sorted(side)), side=beam.pvalue.AsList(side))
    main | "Slow" >> beam.Map(lambda b: time.sleep(300) or b)
    proto = p.to_runner_api()
    out = {"pipeline": base64.b64encode(proto.SerializeToString()).decode(), "pardos": {}}
    for tid, t in proto.components.transforms.items():
        if t.spec.urn == "beam:transform:pardo:v1":
            out["pardos"][t.unique_name] = tid
    print(json.dumps(out))
    """#

    private static let generatedOnce = Mutex<Task<Generated, any Error>?>(nil)

    /// Runs the generator script once per test process.
    static func generated() async throws -> Generated {
        let task = generatedOnce.withLock { slot in
            if let slot { return slot }
            let task = Task { try await generate() }
            slot = task
            return task
        }
        return try await task.value
    }

    private static func generate() async throws -> Generated {
        let output = try await run(try python(), ["-c", script])
        guard output.status == 0, let line = output.stdout.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let encoded = json["pipeline"] as? String, let bytes = Data(base64Encoded: encoded),
              let parDos = json["pardos"] as? [String: String]
        else { throw Missing(description: "The pipeline generator failed (\(output.status)):\n\(output.stderr)") }
        return Generated(pipeline: try Org_Apache_Beam_Model_Pipeline_V1_Pipeline(serializedBytes: bytes), parDos: parDos)
    }

    // MARK: Descriptors

    /// source (windowed bytes over our data plane) -> the ParDo `label` -> sink.
    static func descriptor(id: String, label: String, from generated: Generated, endpoint: String) throws -> Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor {
        let components = generated.pipeline.components
        let parDoID = try #require(generated.parDos[label])
        var parDo = try #require(components.transforms[parDoID])
        let payload = try Org_Apache_Beam_Model_Pipeline_V1_ParDoPayload(serializedBytes: parDo.spec.payload)
        let mainKey = try #require(parDo.inputs.keys.first { payload.sideInputs[$0] == nil })
        let mainInput = try #require(components.pcollections[parDo.inputs[mainKey]!])
        let outputKey = try #require(parDo.outputs.keys.first)
        parDo.inputs[mainKey] = "in"
        parDo.outputs[outputKey] = "out"
        let port = try Org_Apache_Beam_Model_FnExecution_V1_RemoteGrpcPort.with {
            $0.apiServiceDescriptor.url = endpoint
            $0.coderID = "windowed_bytes"
        }.serializedData()

        return .with {
            $0.id = id
            $0.coders = components.coders
            $0.windowingStrategies = components.windowingStrategies
            $0.environments = components.environments
            $0.coders["test_bytes"] = .with { $0.spec.urn = "beam:coder:bytes:v1" }
            $0.coders["test_global_window"] = .with { $0.spec.urn = "beam:coder:global_window:v1" }
            $0.coders["windowed_bytes"] = .with {
                $0.spec.urn = "beam:coder:windowed_value:v1"
                $0.componentCoderIds = ["test_bytes", "test_global_window"]
            }
            for key in payload.sideInputs.keys {
                let sideID = parDo.inputs[key]!
                $0.pcollections[sideID] = components.pcollections[sideID]!
            }
            $0.pcollections["in"] = .with { $0.uniqueName = "in"; $0.coderID = "test_bytes"; $0.windowingStrategyID = mainInput.windowingStrategyID; $0.isBounded = .bounded }
            $0.pcollections["out"] = .with { $0.uniqueName = "out"; $0.coderID = "test_bytes"; $0.windowingStrategyID = mainInput.windowingStrategyID; $0.isBounded = .bounded }
            $0.transforms["\(id)_source"] = .with {
                $0.uniqueName = "\(id)_source"
                $0.spec = .with { $0.urn = "beam:runner:source:v1"; $0.payload = port }
                $0.outputs["o"] = "in"
            }
            $0.transforms[parDoID] = parDo
            $0.transforms["\(id)_sink"] = .with {
                $0.uniqueName = "\(id)_sink"
                $0.spec = .with { $0.urn = "beam:runner:sink:v1"; $0.payload = port }
                $0.inputs["i"] = "out"
            }
            $0.stateApiServiceDescriptor.url = endpoint
        }
    }

    // MARK: Windowed values (global window)

    /// WindowedValue(bytes) in the global window: timestamp (sign-flipped
    /// big-endian millis), one window, pane 0x0F, then the length-prefixed value.
    static func encode(_ values: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for value in values {
            let timestamp = UInt64(bitPattern: 0) ^ (1 << 63)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: timestamp >> (8 * UInt64($0))) }
            out += [0, 0, 0, 1, 0x0F]
            out += varint(value.count) + value
        }
        return out
    }

    /// Each value encoded on its own, for `BundleInput(transformID:elements:)`.
    static func encodeEach(_ values: [[UInt8]]) -> [[UInt8]] {
        values.map { encode([$0]) }
    }

    static func decode(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var values: [[UInt8]] = []
        var at = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard at + n <= bytes.count else { throw Missing(description: "truncated windowed value") }
            defer { at += n }
            return bytes[at..<at + n]
        }
        func readVarint() throws -> Int {
            var result = 0, shift = 0
            while true {
                let byte = try take(1).first!
                result |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while at < bytes.count {
            _ = try take(8)
            let windows = try take(4).reduce(0) { $0 << 8 | Int($1) }
            #expect(windows == 1)  // global windows encode as nothing
            let pane = try take(1).first!
            for _ in 0..<Int(pane >> 4) { _ = try readVarint() }
            values.append(Array(try take(readVarint())))
        }
        return values
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    // MARK: Harness processes

    /// A PROCESS environment whose command is a shell script that stands in for
    /// beam-boot: it turns the boot flags into sdk_worker_main's environment
    /// variables and execs the harness, after writing its pid to `pidFile`.
    static func processEnvironment(in directory: URL, pidFile: URL) throws -> Org_Apache_Beam_Model_Pipeline_V1_Environment {
        let script = directory.appendingPathComponent("boot.sh")
        try #"""
        #!/bin/sh
        echo $$ > "$PID_FILE"
        for arg in "$@"; do
          case "$arg" in
            --id=*) WORKER_ID="${arg#*=}" ;;
            --control_endpoint=*) CONTROL="${arg#*=}" ;;
            --logging_endpoint=*) LOGGING="${arg#*=}" ;;
          esac
        done
        export WORKER_ID
        export CONTROL_API_SERVICE_DESCRIPTOR="url: \"$CONTROL\""
        export LOGGING_API_SERVICE_DESCRIPTOR="url: \"$LOGGING\""
        export PIPELINE_OPTIONS='{}'
        exec "$BEAM_TEST_PYTHON" -m apache_beam.runners.worker.sdk_worker_main
        """#.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let payload = try Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload.with {
            $0.command = script.path
            $0.env = ["BEAM_TEST_PYTHON": try python(), "PID_FILE": pidFile.path]
        }.serializedData()
        return .with {
            $0.urn = "beam:env:process:v1"
            $0.payload = payload
        }
    }

    /// A worker pool as LOOPBACK runs one (harnesses as threads), in its own
    /// process; returns its endpoint. Stop it with `terminate()`.
    static func startWorkerPool() async throws -> (endpoint: String, process: Process) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = ["-c", """
            import sys
            from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer
            address, server = BeamFnExternalWorkerPoolServicer.start(use_process=False, port=0)
            print(address, flush=True)
            sys.stdin.read()
            """]
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line: String = await withCheckedContinuation { continuation in
            Thread {
                var text = ""
                while !text.contains("\n") {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }.start()
        }
        let endpoint = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard endpoint.contains(":") else {
            process.terminate()
            throw Missing(description: "The Python worker pool did not start (printed '\(line)')")
        }
        return (endpoint, process)
    }

    /// Runs a command to completion.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let errors = Mutex(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = data }
            errorsRead.signal()
        }.start()
        return await withCheckedContinuation { continuation in
            Thread {
                let out = stdout.fileHandleForReading.readDataToEndOfFile()
                errorsRead.wait()
                let err = errors.withLock { $0 }
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)))
            }.start()
        }
    }
}
