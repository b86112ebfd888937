import ArgumentParser
import CofferServer
import Logging

/// `coffer server`: runs the server (with `-config FILE`, or `-dev`).
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Start a Coffer server",
        discussion: "With -config FILE, reads a Vault-style HCL or JSON configuration. With -dev, starts unsealed on in-memory storage."
    )

    @Option(name: .customLong("config"), help: "Path to a configuration file (HCL or JSON).")
    var config: String?

    @Flag(name: .customLong("dev"), help: "Development mode: in-memory, unsealed, root token printed.")
    var dev = false

    @Option(name: .customLong("dev-root-token-id"), help: "Root token to use in dev mode.")
    var devRootTokenID: String?

    @Option(name: .customLong("dev-listen-address"), help: "Address to listen on in dev mode.")
    var devListenAddress: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warn, error (default: the file's log_level, else info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "standard or json.")
    var logFormat: String?

    func run() async throws {
        var level: Logger.Level? = nil
        if let logLevel {
            guard let parsed = CofferServer.logLevel(named: logLevel) else {
                FileHandleStderr.write("unknown log level: \(logLevel)\n")
                throw ExitCode(1)
            }
            level = parsed
        }
        do {
            try await CofferServer.run(
                ServerOptions(configPath: config, dev: dev, devRootTokenID: devRootTokenID, devListenAddress: devListenAddress, logLevel: level, logFormat: logFormat))
        } catch let e as CofferServer.StartupError {
            FileHandleStderr.write("Error: \(e.description)\n")
            throw ExitCode(1)
        } catch let e as CofferServer.ListenerError {
            // Nothing was printed before it (the dev banner waits for the bind): the line alone, as OpenBao.
            FileHandleStderr.write("\(e.description)\n")
            throw ExitCode(1)
        } catch let e as ConfigurationError {
            // OpenBao's shape: "error loading configuration from FILE: …"; texts that already say which error
            // (`error parsing FILE: …`, `Error configuring seal "awskms" …`) stand alone.
            let text = e.description
            let line = text.lowercased().hasPrefix("error") ? text : "error loading configuration from \(config ?? ""): \(text)"
            FileHandleStderr.write("\(line)\n")
            throw ExitCode(1)
        } catch {
            FileHandleStderr.write("Error initializing server: \(error)\n")
            throw ExitCode(1)
        }
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

import Foundation
