import BeamModel

/// Receives every log entry SDK harnesses send to the Logging service, as
/// sent. Execution passes one to `FnAPIServer.start` to post warnings and
/// errors into the job's message stream. Called from the Logging service's
/// handler tasks, so it must be quick and thread-safe.
public typealias FnLogSink = @Sendable (Org_Apache_Beam_Model_FnExecution_V1_LogEntry) -> Void
