# comment
path "secret/data/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
  allowed_parameters = {
    "ttl" = ["1h", "2h"]
    "*"   = []
  }
  min_wrapping_ttl = "1s"
}
path "sys/+/x" { capabilities = ["deny"] }
path "sys/+/x" { capabilities = ["read"] }
