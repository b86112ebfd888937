"""Fixtures that start the real `coffer` binary for end-to-end tests.

COFFER_BIN points at the binary (default: .build/debug/coffer from the repository root).
"""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def coffer_bin() -> str:
    return os.environ.get("COFFER_BIN", str(ROOT / ".build" / "debug" / "coffer"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(addr, method, path, body=None, token=None, timeout=10):
    """One request; returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(addr + "/v1/" + path, data=data, method=method)
    if token:
        req.add_header("X-Vault-Token", token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else None
        except ValueError:
            return e.code, None


class Server:
    """A coffer server process with helpers to init, unseal, kill and restart it."""

    def __init__(self, args, addr, log_path, env=None):
        self.args = args
        self.addr = addr
        self.log_path = log_path
        self.env = env
        self.proc = None
        self.keys = []
        self.root_token = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([coffer_bin()] + self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("coffer exited early: " + Path(self.log_path).read_text()[-2000:])
            try:
                status, _ = http(self.addr, "GET", "sys/seal-status", timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("coffer did not become ready")

    def init(self, shares=3, threshold=2):
        status, body = http(self.addr, "PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
        assert status == 200, body
        self.keys = body["keys"]
        self.root_token = body["root_token"]
        return body

    def unseal(self):
        status, body = None, None
        for k in self.keys:
            status, body = http(self.addr, "PUT", "sys/unseal", {"key": k})
            assert status == 200, body
            if not body["sealed"]:
                break
        assert body["sealed"] is False
        return body

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def coffer_server(tmp_path_factory):
    """A dev-mode server shared by the session: {"addr", "token"}."""
    port = free_port()
    addr = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("dev") / "server.log"
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], addr, log).start()
    unseal_key = None
    deadline = time.time() + 10
    while unseal_key is None and time.time() < deadline:
        for line in Path(log).read_text().splitlines():
            if line.startswith("Unseal Key: "):
                unseal_key = line.split(": ", 1)[1].strip()
        time.sleep(0.05)
    # A second server that stays uninitialized, for `operator init` tests.
    uport = free_port()
    udir = tmp_path_factory.mktemp("uninit")
    cfg = udir / "coffer.json"
    cfg.write_text(json.dumps({"storage": {"inmem": {}}, "listener": {"tcp": {"address": f"127.0.0.1:{uport}", "tls_disable": True}}}))
    u = Server(["server", f"-config={cfg}"], f"http://127.0.0.1:{uport}", udir / "server.log").start()
    yield {"addr": addr, "token": "root", "unseal_keys": [unseal_key] if unseal_key else [], "uninit_addr": u.addr}
    u.stop()
    s.stop()


@pytest.fixture
def sqlite_server(tmp_path):
    """A fresh, uninitialized server on SQLite storage (a Server object)."""
    port = free_port()
    cfg = tmp_path / "coffer.hcl"
    cfg.write_text(
        f'''
storage "sqlite" {{
  path = "{tmp_path}/data/coffer.db"
}}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
}}
disable_mlock = true
'''
    )
    s = Server(["server", f"-config={cfg}"], f"http://127.0.0.1:{port}", tmp_path / "server.log")
    s.db_path = tmp_path / "data" / "coffer.db"
    s.start()
    yield s
    s.stop()
