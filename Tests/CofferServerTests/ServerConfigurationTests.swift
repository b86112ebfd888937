import CofferCore
import CofferServer
import Foundation
import Testing

@Suite("Server configuration")
struct ServerConfigurationTests {
    @Test func hvacTestConfig() throws {
        let text = """
            {"backend": {"inmem": {}}, "listener": {"tcp": {"tls_cert_file": "/certs/server-cert.pem", "tls_key_file": "/certs/server-key.pem", "address": "127.0.0.1:8400"}}, "disable_mlock": true, "default_lease_ttl": "768h", "max_lease_ttl": "768h"}
            """
        let (config, warnings) = try ServerConfiguration.parse(text: text, fileName: "vault-tls.json")
        #expect(warnings.isEmpty)
        #expect(config.storage == .init(type: "inmem"))
        #expect(config.listeners.count == 1)
        let listener = try #require(config.listeners.first)
        #expect(listener.address == "127.0.0.1:8400")
        #expect(!listener.tlsDisable)
        #expect(listener.tlsCertFile == "/certs/server-cert.pem")
        #expect(listener.tlsKeyFile == "/certs/server-key.pem")
        #expect(config.disableMlock)
        #expect(config.defaultLeaseTTL == 2_764_800)
        #expect(config.maxLeaseTTL == 2_764_800)
    }

    @Test func hclConfig() throws {
        let text = """
            # Coffer server
            storage "sqlite" {
              path = "/var/lib/coffer/coffer.db"
            }

            listener "tcp" {
              address         = "0.0.0.0:8200"
              tls_disable     = "true"
              tls_min_version = "tls12"
              proxy_protocol_behavior = "allow_authorized"
              max_request_size = 33554432
            }

            api_addr          = "https://coffer.example:8200"
            cluster_addr      = "https://coffer.example:8201"
            ui                = true
            log_level         = "debug"
            pid_file          = "/run/coffer.pid"
            default_lease_ttl = "1h"
            max_lease_ttl     = 86400
            telemetry { statsite_address = "x" }
            """
        let (config, warnings) = try ServerConfiguration.parse(text: text, fileName: "coffer.hcl")
        #expect(config.storage?.type == "sqlite")
        #expect(config.storage?.path == "/var/lib/coffer/coffer.db")
        let listener = try #require(config.listeners.first)
        #expect(listener.address == "0.0.0.0:8200")
        #expect(listener.tlsDisable)
        #expect(listener.tlsMinVersion == "tls12")
        #expect(listener.options == ["proxy_protocol_behavior": "allow_authorized", "max_request_size": "33554432"])
        #expect(config.apiAddr == "https://coffer.example:8200")
        #expect(config.clusterAddr == "https://coffer.example:8201")
        #expect(config.ui)
        #expect(!config.disableMlock)
        #expect(config.logLevel == "debug")
        #expect(config.pidFile == "/run/coffer.pid")
        #expect(config.defaultLeaseTTL == 3600)
        #expect(config.maxLeaseTTL == 86400)
        // Listener keys OpenBao knows but Coffer does not implement are kept in `options` and warned about, not ignored.
        #expect(
            warnings == [
                "unknown or unsupported field proxy_protocol_behavior found in configuration at coffer.hcl:10:3",
                "unknown or unsupported field max_request_size found in configuration at coffer.hcl:11:3",
                "unsupported telemetry field statsite_address in coffer.hcl:21:13: Coffer serves metrics at sys/metrics (JSON or Prometheus) only",
            ])
    }

    @Test func auditDevicesTelemetryAndLogFormat() throws {
        let text = """
            storage "inmem" {}
            listener "tcp" {
              tls_disable = true
              telemetry {
                unauthenticated_metrics_access = true
              }
            }
            audit "file" "main" {
              description = "primary"
              options {
                file_path = "/var/log/coffer/audit.log"
                mode      = "0640"
              }
            }
            audit "socket" "siem" {
              address     = "127.0.0.1:9090"
              socket_type = "tcp"
            }
            telemetry {
              prometheus_retention_time = "0s"
              disable_hostname          = true
            }
            log_format = "json"
            """
        let (config, warnings) = try ServerConfiguration.parse(text: text, fileName: "coffer.hcl")
        #expect(warnings.isEmpty)
        #expect(config.listeners.first?.unauthenticatedMetricsAccess == true)
        #expect(config.logFormat == "json")
        #expect(!config.prometheusEnabled)
        let devices = config.auditDevices.sorted { $0.path < $1.path }
        #expect(devices.count == 2)
        #expect(devices[0].type == "file" && devices[0].path == "main" && devices[0].description == "primary")
        #expect(devices[0].options == ["file_path": "/var/log/coffer/audit.log", "mode": "0640"])
        #expect(devices[1].type == "socket" && devices[1].options == ["address": "127.0.0.1:9090", "socket_type": "tcp"])
        #expect(throws: ConfigurationError.self) {
            _ = try ServerConfiguration.parse(text: "storage \"inmem\" {}\naudit \"tape\" \"x\" {}", fileName: "c.hcl")
        }
    }

    @Test func defaults() throws {
        let (config, warnings) = try ServerConfiguration.parse(text: "storage \"inmem\" {}\nlistener \"tcp\" { tls_disable = 1 }")
        #expect(warnings.isEmpty)
        #expect(config.defaultLeaseTTL == 2_764_800)
        #expect(config.maxLeaseTTL == 2_764_800)
        #expect(config.listeners.first?.address == "127.0.0.1:8200")
        #expect(config.listeners.first?.tlsDisable == true)
        #expect(!config.ui)
    }

    @Test func severalListeners() throws {
        let text = """
            listener "tcp" { address = "127.0.0.1:8200" tls_disable = true }
            listener "tcp" { address = "127.0.0.1:8300" tls_disable = "1" }
            """
        let (config, _) = try ServerConfiguration.parse(text: text)
        #expect(config.listeners.map(\.address) == ["127.0.0.1:8200", "127.0.0.1:8300"])
        let json = #"{"listener": [{"tcp": {"address": "a:1", "tls_disable": true}}, {"tcp": {"address": "b:2", "tls_disable": true}}]}"#
        #expect(try ServerConfiguration.parse(text: json).0.listeners.map(\.address) == ["a:1", "b:2"])
    }

    @Test func syntaxErrorNamesTheLine() {
        do {
            _ = try ServerConfiguration.parse(text: "ui = true\nstorage \"inmem\" {\n  path = \n}", fileName: "bad.hcl")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "error parsing bad.hcl: At 4:1: Unknown token: 4:1 RBRACE }")
        }
        do {
            _ = try ServerConfiguration.parse(text: "{\n  \"ui\": true,\n  \"storage\": \n}", fileName: "bad.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("error parsing bad.json: At 4:1: "))
        }
    }

    @Test func invalidValues() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "default_lease_ttl = \"forever\"") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "storage \"consul\" {}") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "storage \"inmem\" {}\nstorage \"sqlite\" {}") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "listener \"unix\" {}") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "listener \"tcp\" { address = \"x\" }") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: "ui = \"maybe\"") }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.parse(text: "default_lease_ttl = \"2h\"\nmax_lease_ttl = \"1h\"")
        }
    }

    @Test func listenerTimeouts() throws {
        // Vault's defaults when unset: 10 s for the request head, 5 min between requests.
        let (defaults, _) = try ServerConfiguration.parse(text: "listener \"tcp\" { tls_disable = true }")
        #expect(defaults.listeners.first?.readHeaderTimeout == .seconds(10))
        #expect(defaults.listeners.first?.idleTimeout == .seconds(300))
        let text = """
            listener "tcp" {
              tls_disable              = true
              http_read_header_timeout = "2s"
              http_idle_timeout        = "1m30s"
            }
            """
        let (config, warnings) = try ServerConfiguration.parse(text: text)
        #expect(warnings.isEmpty)
        #expect(config.listeners.first?.readHeaderTimeout == .seconds(2))
        #expect(config.listeners.first?.idleTimeout == .seconds(90))
        #expect(config.listeners.first?.options["http_read_header_timeout"] == nil)
        // A number is seconds; 0 turns the timeout off.
        let (numbers, _) = try ServerConfiguration.parse(
            text: #"{"listener": {"tcp": {"tls_disable": true, "http_read_header_timeout": 3, "http_idle_timeout": 0}}}"#, fileName: "c.json")
        #expect(numbers.listeners.first?.readHeaderTimeout == .seconds(3))
        #expect(numbers.listeners.first?.idleTimeout == nil)
        for bad in ["\"soon\"", "\"-5s\"", "\"99999999999s\"", "[1]"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try ServerConfiguration.parse(text: "listener \"tcp\" {\n tls_disable = true\n http_idle_timeout = \(bad)\n}")
            }
        }
    }

    @Test func loadReadsTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-config-\(UInt32.random(in: 0...UInt32.max)).json")
        try Data(#"{"storage": {"sqlite": {"path": "/tmp/x.db"}}, "ui": "true", "foo": 1}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (config, warnings) = try ServerConfiguration.load(path: url.path)
        #expect(config.storage == .init(type: "sqlite", options: ["path": "/tmp/x.db"]))
        #expect(config.ui)
        #expect(warnings.count == 1)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.load(path: "/nonexistent/coffer.hcl") }
    }
}
