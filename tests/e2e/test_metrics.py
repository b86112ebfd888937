"""Metrics and logs through the real binary: a Prometheus scrape parsed with prometheus_client, the JSON form,
access rules, the alert rules file, and no secret in logs or metric labels."""
import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from conftest import ROOT, Server, free_port, http


def scrape(addr, token=None, fmt="prometheus"):
    url = addr + "/v1/sys/metrics" + (f"?format={fmt}" if fmt else "")
    req = urllib.request.Request(url)
    if token:
        req.add_header("X-Vault-Token", token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.fixture
def traced(tmp_path):
    """A dev server logging at trace level in JSON, with unauthenticated metrics on its listener."""
    port = free_port()
    cfg = tmp_path / "coffer.hcl"
    cfg.write_text(f'''
storage "inmem" {{}}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
  telemetry {{
    unauthenticated_metrics_access = true
  }}
}}
telemetry {{
  prometheus_retention_time = "24h"
  disable_hostname          = true
}}
''')
    s = Server(["server", f"-config={cfg}", "-log-level=trace", "-log-format=json"], f"http://127.0.0.1:{port}",
               tmp_path / "server.log").start()
    s.init(shares=1, threshold=1)
    s.unseal()
    yield s
    s.stop()


def test_prometheus_scrape_parses_and_carries_the_metrics(traced, tmp_path):
    s, t = traced, traced.root_token
    assert http(s.addr, "POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, t)[0] == 204
    assert http(s.addr, "POST", "secret/data/a", {"data": {"v": "1"}}, t)[0] == 200
    assert http(s.addr, "GET", "secret/data/a", token=t)[0] == 200
    assert http(s.addr, "POST", "sys/auth/userpass", {"type": "userpass"}, t)[0] == 204
    assert http(s.addr, "POST", "auth/userpass/users/bob", {"password": "bob-password-1"}, t)[0] == 204
    assert http(s.addr, "POST", "auth/userpass/login/bob", {"password": "bob-password-1"})[0] == 200
    assert http(s.addr, "POST", "auth/userpass/login/bob", {"password": "wrong-password"})[0] == 400
    assert http(s.addr, "POST", "auth/token/create", {"ttl": "1h"}, t)[0] == 200
    assert http(s.addr, "PUT", "sys/audit/f", {"type": "file", "options": {"file_path": str(tmp_path / "a.log")}}, t)[0] == 204

    ctype, text = scrape(s.addr)  # unauthenticated_metrics_access on this listener
    assert ctype.startswith("text/plain")
    fam = families(text)

    def value(name, **labels):
        # prometheus_client names counter families without their _total suffix; match samples by full name.
        for f in fam.values():
            for sample in f.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        raise AssertionError(f"{name} {labels} not found")

    assert value("coffer_core_unsealed") == 1
    assert value("coffer_logins_total", auth_method="userpass", result="success") == 1
    assert value("coffer_logins_total", auth_method="userpass", result="failure") == 1
    assert value("coffer_token_creations_total", auth_method="userpass", token_type="service") == 1
    assert value("coffer_token_creations_total", auth_method="token", token_type="service") == 1
    assert value("coffer_tokens") >= 3
    assert value("coffer_leases") >= 2
    assert value("coffer_audit_devices") == 1
    assert value("coffer_barrier_key_term") == 1
    assert value("coffer_barrier_encryptions") > 0
    assert value("coffer_audit_write_failures_total", device_type="file", kind="request") == 0
    assert "coffer_lease_expirations" in fam
    reads = [x for x in fam["coffer_requests"].samples if x.labels.get("mount_type") == "kv" and x.labels.get("operation") == "read"]
    assert reads and reads[0].value >= 1
    hist = fam["coffer_request_duration_seconds"]
    assert hist.type == "histogram"
    assert any(x.name.endswith("_count") and x.labels.get("mount_type") == "kv" for x in hist.samples)
    storage = fam["coffer_storage_operation_duration_seconds"]
    assert {x.labels["operation"] for x in storage.samples if "operation" in x.labels} >= {"get", "transaction"}

    # Labels come from fixed sets: no path, token, user or key name appears anywhere.
    for f in fam.values():
        for sample in f.samples:
            for k, v in sample.labels.items():
                assert "/" not in v and "bob" not in v and not v.startswith("s."), (sample.name, k, v)

    # The JSON form has Vault's in-memory sink shape.
    _, body = scrape(s.addr, token=s.root_token, fmt="")
    j = json.loads(body)
    assert {"Timestamp", "Gauges", "Counters", "Samples"} <= set(j)
    assert any(g["Name"] == "coffer_core_unsealed" and g["Value"] == 1 for g in j["Gauges"])
    assert any(c["Name"] == "coffer_logins_total" and c["Labels"] == {"auth_method": "userpass", "result": "success"} and c["Count"] == 1
               for c in j["Counters"])


def test_metrics_need_a_token_without_the_listener_switch(coffer_server):
    addr = coffer_server["addr"]
    status, body = http(addr, "GET", "sys/metrics?format=prometheus")
    assert status == 403
    status, _ = http(addr, "POST", "sys/policies/acl/metrics-reader", {"policy": 'path "sys/metrics" { capabilities = ["read"] }'}, "root")
    assert status == 204
    status, body = http(addr, "POST", "auth/token/create", {"policies": ["metrics-reader"]}, "root")
    reader = body["auth"]["client_token"]
    status, body = http(addr, "POST", "auth/token/create", {"policies": ["default"]}, "root")
    other = body["auth"]["client_token"]
    assert http(addr, "GET", "sys/metrics", token=other)[0] == 403
    ctype, text = scrape(addr, token=reader)
    assert "coffer_core_unsealed 1.0" in text
    status, body = http(addr, "GET", "sys/metrics?format=xml", token=reader)
    assert status == 400


def test_alert_rules_name_only_exported_metrics(traced):
    rules = yaml.safe_load((ROOT / "docs" / "monitoring" / "coffer-alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert len(exprs) >= 5
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"CofferSealed", "CofferAuditWriteFailures", "CofferLoginFailureSpike", "CofferLeaseExplosion"} <= alerts
    # Request series appear with the first request, storage series with the first storage operation.
    assert http(traced.addr, "GET", "auth/token/lookup-self", token=traced.root_token)[0] == 200
    _, text = scrape(traced.addr)
    exported = set()
    for f in text_string_to_metric_families(text):
        for sample in f.samples:
            exported.add(sample.name)
    named = set()
    for e in exprs:
        named |= set(re.findall(r"\bcoffer_[a-z_]+", e))
    assert named, exprs
    missing = sorted(n for n in named if n not in exported)
    assert not missing, f"alert rules name metrics the server does not export: {missing}"


def test_no_secret_reaches_the_server_log_or_metrics(traced, tmp_path):
    s, t = traced, traced.root_token
    secrets = {
        "kv value": "kv-secret-9f8e7d6c",
        "userpass password": "userpass-secret-5a4b3c",
        "transit plaintext": "dHJhbnNpdC1zZWNyZXQtMWEyYg==",
        "wrapped value": "wrapped-secret-77aa",
    }
    assert http(s.addr, "POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}}, t)[0] == 204
    assert http(s.addr, "POST", "kv/data/app", {"data": {"password": secrets["kv value"]}}, t)[0] == 200
    assert http(s.addr, "GET", "kv/data/app", token=t)[0] == 200
    assert http(s.addr, "POST", "sys/auth/userpass", {"type": "userpass"}, t)[0] == 204
    assert http(s.addr, "POST", "auth/userpass/users/carol", {"password": secrets["userpass password"]}, t)[0] == 204
    status, body = http(s.addr, "POST", "auth/userpass/login/carol", {"password": secrets["userpass password"]})
    assert status == 200
    login_token = body["auth"]["client_token"]
    assert http(s.addr, "POST", "auth/userpass/login/carol", {"password": "not-" + secrets["userpass password"]})[0] == 400
    assert http(s.addr, "POST", "sys/mounts/transit", {"type": "transit"}, t)[0] == 204
    assert http(s.addr, "POST", "transit/keys/k", {}, t)[0] in (200, 204)
    status, body = http(s.addr, "POST", "transit/encrypt/k", {"plaintext": secrets["transit plaintext"]}, t)
    assert status == 200
    assert http(s.addr, "POST", "transit/decrypt/k", {"ciphertext": body["data"]["ciphertext"]}, t)[0] == 200
    assert http(s.addr, "POST", "transit/decrypt/k", {"ciphertext": "vault:v1:broken"}, t)[0] == 400
    status, body = http(s.addr, "POST", "auth/token/create", {"ttl": "1h"}, t)
    child = body["auth"]["client_token"]
    assert http(s.addr, "GET", "auth/token/lookup-self", token=child)[0] == 200
    assert http(s.addr, "GET", "kv/data/app", token="s.not-a-real-token-zzz")[0] == 403
    _, metrics_text = scrape(s.addr)

    log = Path(s.log_path).read_text()
    assert '"@level":"trace"' in log  # trace logging really was on
    tokens = {"root token": t, "login token": login_token, "child token": child, "bad token": "s.not-a-real-token-zzz"}
    for what, value in list(secrets.items()) + list(tokens.items()):
        assert value not in log, f"{what} found in the server log"
        assert value not in metrics_text, f"{what} found in the metrics"
    # Unseal keys are printed only by init's response, never logged.
    for k in s.keys:
        assert k not in log
