import CofferCore
import CofferServer
import Testing

/// Unknown keys are warned about at every depth with OpenBao's text and `file:line:column`; a seal Coffer does not
/// implement refuses the file.
@Suite("Configuration warnings and seals")
struct ConfigurationWarningTests {
    @Test func unknownKeysAtEveryLevelNameTheirPosition() throws {
        // The same file OpenBao 2.7.2 was given: it warns for tls_min_versoin at 5:3, foo_bar at 8:1 and bogus_key at 10:3.
        let text = """
            storage "sqlite" {
              path = "/tmp/c.db"
              journal = "wal"
            }
            listener "tcp" {
              address = "127.0.0.1:8200"
              tls_disable = true
              tls_min_versoin = "tls12"
              telemetry {
                unauthenticated_metrics_access = true
                unauthenticated = true
              }
            }
            foo_bar = 1
            telemetry {
              bogus_key = 2
              statsd_address = "127.0.0.1:8125"
            }
            audit "file" "main" {
              file_path = "/tmp/audit.log"
              descripton = "x"
              options {
                mode = "0600"
                hmac_acessor = false
              }
            }
            """
        let (config, warnings) = try ServerConfiguration.parse(text: text, fileName: "unk.hcl")
        #expect(
            warnings == [
                "unknown or unsupported field journal found in configuration at unk.hcl:3:3",
                "unknown or unsupported field tls_min_versoin found in configuration at unk.hcl:8:3",
                "unknown or unsupported field unauthenticated found in configuration at unk.hcl:11:5",
                "unknown or unsupported field foo_bar found in configuration at unk.hcl:14:1",
                "unknown or unsupported field bogus_key found in configuration at unk.hcl:16:3",
                "unsupported telemetry field statsd_address in unk.hcl:17:3: Coffer serves metrics at sys/metrics (JSON or Prometheus) only",
                "unknown or unsupported field descripton found in configuration at unk.hcl:21:3",
                "unknown or unsupported field hmac_acessor found in configuration at unk.hcl:24:5",
            ])
        // What is known is still read.
        #expect(config.listeners.first?.unauthenticatedMetricsAccess == true)
        #expect(config.auditDevices.first?.options["file_path"] == "/tmp/audit.log")
        #expect(config.auditDevices.first?.options["mode"] == "0600")
    }

    @Test func jsonWarningsNameTheFileOnly() throws {
        // OpenBao: "unknown or unsupported field zzz found in configuration at j.json" (JSON carries no positions).
        let text = #"{"storage": {"inmem": {}}, "listener": {"tcp": {"address": "127.0.0.1:1", "tls_disable": true, "bogus": 1}}, "zzz": 2}"#
        let (_, warnings) = try ServerConfiguration.parse(text: text, fileName: "j.json")
        #expect(
            Set(warnings) == [
                "unknown or unsupported field bogus found in configuration at j.json",
                "unknown or unsupported field zzz found in configuration at j.json",
            ])
    }

    @Test func aColumnCountsCharactersAfterTabsAndUnicode() throws {
        let text = "ui = true # é\nlistener \"tcp\" {\n\ttls_disable = true\n\tzz = 1 }\n\"é\" = 1"
        let (_, warnings) = try ServerConfiguration.parse(text: text, fileName: "t.hcl")
        #expect(
            warnings == [
                "unknown or unsupported field zz found in configuration at t.hcl:4:2",
                "unknown or unsupported field é found in configuration at t.hcl:5:1",
            ])
    }

    @Test(arguments: ["awskms", "transit", "pkcs11", "gcpckms", "azurekeyvault", "ocikms", "bogus"])
    func anAutoUnsealSealIsRefused(type: String) {
        let text = """
            storage "inmem" {}
            listener "tcp" { tls_disable = true }
            seal "\(type)" {
              region = "us-east-1"
            }
            """
        do {
            _ = try ServerConfiguration.parse(text: text, fileName: "seal.hcl")
            Issue.record("a seal \"\(type)\" stanza must refuse the configuration")
        } catch {
            #expect(
                error.description
                    == "Error configuring seal \"\(type)\" at seal.hcl:3:6: unsupported seal type: Coffer implements only the Shamir seal (unseal keys); remove the seal \"\(type)\" stanza to use it"
            )
        }
        let json = #"{"storage": {"inmem": {}}, "seal": {"\#(type)": {"region": "x"}}}"#
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(text: json, fileName: "seal.json") }
    }

    @Test func theShamirSealIsAccepted() throws {
        // OpenBao accepts `seal "shamir" {}`: it is the default.
        let (_, warnings) = try ServerConfiguration.parse(text: "storage \"inmem\" {}\nseal \"shamir\" {}\n", fileName: "s.hcl")
        #expect(warnings.isEmpty)
        let (_, extra) = try ServerConfiguration.parse(text: "seal \"shamir\" {\n  key_shares = 3\n}\n", fileName: "s.hcl")
        #expect(extra == ["unknown or unsupported field key_shares found in configuration at s.hcl:2:3"])
    }
}
