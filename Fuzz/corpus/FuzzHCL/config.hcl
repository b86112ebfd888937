storage "sqlite" {
  path = "./coffer-data/coffer.db"
}
listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
  telemetry { unauthenticated_metrics_access = true }
}
audit "file" "main" { options { file_path = "/tmp/a.log" } }
default_lease_ttl = "768h"
max_lease_ttl = 0x10
ratio = 1.5e3
neg = -12
ok = false
/* block comment */
text = <<EOF
heredoc ${var.x}
EOF
indented = <<-EOT
    a
      b
    EOT
esc = "\u00e9\x41\101\t ${ "{" }"
