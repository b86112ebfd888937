"""Development-only fixtures: run tests/e2e/test_cli.py against a real OpenBao (`bao`) instead of Coffer.

    COFFER_BIN=/path/to/coffer pytest tests/e2e/test_cli.py --noconftest -p conftest_bao_dev --rootdir tests/e2e

(`--noconftest` keeps conftest.py's Coffer fixture out; `-p` needs tests/e2e on sys.path, which pytest's rootdir
insertion gives.) Provides `coffer_server` with addr, token, unseal_keys and uninit_addr.
"""
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(addr, proc, log):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("bao exited early: " + log.read_text()[-2000:])
        try:
            urllib.request.urlopen(addr + "/v1/sys/seal-status", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("bao did not start")


@pytest.fixture(scope="session")
def coffer_server(tmp_path_factory):
    if not shutil.which("bao"):
        pytest.skip("bao is not installed")
    tmp = tmp_path_factory.mktemp("bao")
    port, port2 = _free_port(), _free_port()
    addr, addr2 = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port2}"
    log = tmp / "dev.log"
    dev = subprocess.Popen(
        ["bao", "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    config = tmp / "config.hcl"
    config.write_text(f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port2}"\n  tls_disable = true\n}}\n')
    log2 = tmp / "uninit.log"
    uninit = subprocess.Popen(["bao", "server", f"-config={config}"], stdout=log2.open("wb"), stderr=subprocess.STDOUT)
    try:
        _wait(addr, dev, log)
        _wait(addr2, uninit, log2)
        match = None
        for _ in range(50):
            match = re.search(r"Unseal Key: (\S+)", log.read_text())
            if match:
                break
            time.sleep(0.1)
        yield {"addr": addr, "token": "root", "unseal_keys": [match.group(1)] if match else [], "uninit_addr": addr2}
    finally:
        for p in (dev, uninit):
            p.terminate()
            p.wait(timeout=10)
