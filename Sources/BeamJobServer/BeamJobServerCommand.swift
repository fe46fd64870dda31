import ArgumentParser

/// `beam-job-server`: the job server (`serve`, the default) and a client for
/// a running one (`jobs ...`, through the Job API).
@main
struct BeamJobServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beam-job-server",
        abstract: "A portable Apache Beam runner: submit pipelines with --runner=PortableRunner --job_endpoint=HOST:PORT.",
        subcommands: [ServeCommand.self, JobsCommand.self, SparkStageCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
