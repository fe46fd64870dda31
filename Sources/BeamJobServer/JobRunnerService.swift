import JobService
import ServiceLifecycle

/// Runs the job runner inside the service group. On shutdown every unfinished
/// job is cancelled, which ends its state and message streams (so the gRPC
/// server's graceful shutdown is not held open) and stops its workers.
struct JobRunnerService: Service {
    let runner: JobRunner
    let registry: JobRegistry

    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await runner.run()
            } onCancel: {
                stopEverything()
            }
        } onGracefulShutdown: {
            stopEverything()
        }
    }

    private func stopEverything() {
        for job in registry.all where !job.isTerminal {
            _ = try? job.requestCancel()
        }
        runner.shutdown()
    }
}

extension JobRunnerService: CustomStringConvertible {
    var description: String { "JobRunnerService" }
}
