# Local single-node Coffer: embedded SQLite, plain HTTP on loopback only.
storage "sqlite" {
  path = "./coffer-data/coffer.db"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

default_lease_ttl = "768h"
max_lease_ttl     = "768h"
disable_mlock     = true
