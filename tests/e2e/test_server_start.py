"""`coffer server` starting up, compared with `bao server` (issue 12, items 3-5): the listener is bound before the dev
banner, a taken port is reported in OpenBao's words with exit code 1, dev mode writes no files, unknown configuration
keys are warned about at every level with file:line:column, and a seal Coffer does not implement refuses to start."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import Server, coffer_bin, free_port, http

BAO = shutil.which("bao")


def run(cmd, cwd=None, timeout=30):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def held_port():
    """A listening socket on a free loopback port, as another server would hold it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, s.getsockname()[1]


def bind_error(port):
    return f"Error initializing listener of type tcp: listen tcp 127.0.0.1:{port}: bind: address already in use"


def test_dev_with_its_port_taken_prints_no_banner_and_the_bind_error(tmp_path):
    holder, port = held_port()
    with holder:
        p = run([coffer_bin(), "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], cwd=tmp_path)
    assert p.returncode == 1, p
    out = p.stdout + p.stderr
    # Nothing of the dev banner: no unseal key, no root token, no VAULT_ADDR hint.
    for secret in ("Unseal Key", "Root Token", "dev mode", "VAULT_ADDR"):
        assert secret not in out, out
    assert bind_error(port) in p.stderr.splitlines(), p.stderr
    assert "Error initializing server" not in out and "errno" not in out and "descriptor" not in out, out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(BAO is None, reason="bao not installed")
def test_bind_error_text_matches_bao(tmp_path):
    holder, port = held_port()
    with holder:
        bao = run([BAO, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], cwd=tmp_path)
        coffer = run([coffer_bin(), "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], cwd=tmp_path)
    assert bao.returncode == coffer.returncode == 1
    assert bind_error(port) in (bao.stdout + bao.stderr).splitlines(), bao
    assert bind_error(port) in coffer.stderr.splitlines(), coffer


def test_configured_listener_with_its_port_taken(tmp_path):
    holder, port = held_port()
    cfg = tmp_path / "c.hcl"
    cfg.write_text(f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n')
    with holder:
        p = run([coffer_bin(), "server", f"-config={cfg}"])
    assert p.returncode == 1
    assert bind_error(port) in p.stderr.splitlines(), p.stderr


def test_dev_mode_leaves_no_files(tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    port = free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], f"http://127.0.0.1:{port}", log, env=env)
    s.proc = subprocess.Popen([coffer_bin()] + s.args, cwd=work, stdout=open(log, "ab"), stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if http(s.addr, "GET", "sys/health", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, _ = http(s.addr, "POST", "secret/data/app", {"data": {"a": "1"}}, token="root")
        assert status == 200
        status, body = http(s.addr, "GET", "secret/data/app", token="root")
        assert status == 200 and body["data"]["data"] == {"a": "1"}
        # The banner came after the bind: the server answered, and the banner is complete.
        text = log.read_text()
        assert "Root Token: root" in text and "Unseal Key: " in text
    finally:
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=15)
    assert list(work.iterdir()) == [], list(work.iterdir())
    assert not (tmp_path / "home").exists()


UNKNOWN_KEYS_HCL = """storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:PORT"
  tls_disable = true
  tls_min_versoin = "tls12"
}
foo_bar = 1
telemetry {
  bogus_key = 2
}
"""


def start_and_capture(cmd, port, seconds=20):
    """Starts a server, waits until its port answers, stops it; returns its combined output."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + seconds
        while time.time() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    return out


def warnings_in(output):
    return sorted(re.findall(r"unknown or unsupported field \S+ found in configuration at \S+", output))


def test_unknown_keys_are_warned_with_file_line_column(tmp_path):
    port = free_port()
    cfg = tmp_path / "unk.hcl"
    cfg.write_text(UNKNOWN_KEYS_HCL.replace("PORT", str(port)))
    out = start_and_capture([coffer_bin(), "server", f"-config={cfg}"], port)
    assert warnings_in(out) == sorted(
        [
            f"unknown or unsupported field tls_min_versoin found in configuration at {cfg}:5:3",
            f"unknown or unsupported field foo_bar found in configuration at {cfg}:7:1",
            f"unknown or unsupported field bogus_key found in configuration at {cfg}:9:3",
        ]
    ), out


@pytest.mark.skipif(BAO is None, reason="bao not installed")
def test_unknown_key_warnings_match_bao(tmp_path):
    port = free_port()
    cfg = tmp_path / "unk.hcl"
    cfg.write_text(UNKNOWN_KEYS_HCL.replace("PORT", str(port)))
    bao = start_and_capture([BAO, "server", f"-config={cfg}"], port)
    coffer = start_and_capture([coffer_bin(), "server", f"-config={cfg}"], port)
    assert warnings_in(bao) and warnings_in(coffer) == warnings_in(bao), (bao, coffer)


@pytest.mark.parametrize("seal", ["awskms", "transit"])
def test_a_seal_coffer_does_not_implement_refuses_to_start(tmp_path, seal):
    port = free_port()
    cfg = tmp_path / "seal.hcl"
    cfg.write_text(
        f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        f'seal "{seal}" {{\n  region = "us-east-1"\n  kms_key_id = "alias/coffer"\n}}\n'
    )
    p = run([coffer_bin(), "server", f"-config={cfg}"], timeout=20)
    assert p.returncode == 1, p
    assert p.stderr.startswith(f'Error configuring seal "{seal}" at {cfg}:6:6: unsupported seal type'), p.stderr
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # it never listened


def test_the_shamir_seal_stanza_is_accepted(tmp_path):
    port = free_port()
    cfg = tmp_path / "shamir.hcl"
    cfg.write_text(f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\nseal "shamir" {{}}\n')
    s = Server(["server", f"-config={cfg}"], f"http://127.0.0.1:{port}", tmp_path / "server.log").start()
    try:
        status, body = http(s.addr, "GET", "sys/seal-status")
        assert status == 200 and body["type"] == "shamir"
    finally:
        s.stop()


def test_log_level_from_the_file_and_unknown_levels(tmp_path):
    # OpenBao honours log_level in the file (the -log-level flag wins) and refuses a level it does not know.
    port = free_port()
    cfg = tmp_path / "ll.hcl"
    cfg.write_text(f'storage "inmem" {{}}\nlog_level = "debug"\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n')
    s = Server(["server", f"-config={cfg}"], f"http://127.0.0.1:{port}", tmp_path / "debug.log").start()
    try:
        http(s.addr, "GET", "secret/nothing")  # sealed: a debug line "request failed"
    finally:
        s.stop()
    assert "[DEBUG]" in (tmp_path / "debug.log").read_text()
    s = Server(["server", f"-config={cfg}", "-log-level=warn"], f"http://127.0.0.1:{port}", tmp_path / "warn.log").start()
    try:
        http(s.addr, "GET", "secret/nothing")
    finally:
        s.stop()
    assert "[DEBUG]" not in (tmp_path / "warn.log").read_text() and "[INFO]" not in (tmp_path / "warn.log").read_text()
    p = run([coffer_bin(), "server", "-dev", "-log-level=foo"])
    assert p.returncode == 1 and p.stderr == "unknown log level: foo\n", p
    cfg.write_text(cfg.read_text().replace('"debug"', '"bogus"'))
    p = run([coffer_bin(), "server", f"-config={cfg}"])
    assert p.returncode == 1 and "unknown log level: bogus" in p.stderr, p
