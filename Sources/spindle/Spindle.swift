import ArgumentParser

@main
struct SpindleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spindle",
        abstract: "Spindle: a distributed tracing system — collect, store, query and view traces.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, DemoCommand.self, DemoServiceCommand.self, QueryCommand.self, ConvertCommand.self, InspectCommand.self, BenchCommand.self, CrashWriterCommand.self]
    )
}
