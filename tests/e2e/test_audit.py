"""Audit devices through the real binary: HMAC'd lines, sys/audit-hash, the hash chain and `coffer audit verify`,
fail-closed behaviour, config-file devices, SIGHUP reopen, and socket devices."""
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import Server, coffer_bin, free_port, http


@pytest.fixture
def dev(tmp_path):
    port = free_port()
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
               f"http://127.0.0.1:{port}", tmp_path / "server.log").start()
    s.root_token = "root"
    yield s
    s.stop()


def lines(path):
    return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def verify(server, *paths_and_flags):
    """`coffer audit verify` with the server's root token; flags (starting with -) go first, then the files."""
    flags = [p for p in paths_and_flags if isinstance(p, str) and p.startswith("-")]
    files = [str(p) for p in paths_and_flags if not (isinstance(p, str) and p.startswith("-"))]
    env = dict(os.environ, VAULT_ADDR=server.addr, VAULT_TOKEN=server.root_token)
    return subprocess.run([coffer_bin(), "audit", "verify", *flags, *files], env=env, capture_output=True, text=True, timeout=30)


def enable_file(server, name, path, **options):
    status, body = http(server.addr, "PUT", f"sys/audit/{name}", {"type": "file", "options": {"file_path": str(path), **options}},
                        server.root_token)
    assert status == 204, body


def test_write_and_read_are_recorded_hashed_and_the_chain_names_a_deleted_line(dev, tmp_path):
    log = tmp_path / "audit.log"
    enable_file(dev, "file1", log)
    status, body = http(dev.addr, "GET", "sys/audit", token="root")
    assert status == 200 and body["data"]["file1/"]["type"] == "file"
    assert body["data"]["file1/"]["options"]["file_path"] == str(log)

    secret = "correct horse battery staple"
    assert http(dev.addr, "POST", "secret/data/app", {"data": {"password": secret, "n": 7}}, "root")[0] == 200
    assert http(dev.addr, "GET", "secret/data/app", token="root")[0] == 200

    text = log.read_text()
    assert secret not in text and "root" not in json.dumps([l.get("request", {}).get("client_token") for l in lines(log)])
    entries = lines(log)
    assert entries[0]["type"] == "checkpoint"
    writes = [e for e in entries if e.get("request", {}).get("path") == "secret/data/app" and e["request"]["operation"] in ("create", "update")]
    reads = [e for e in entries if e.get("request", {}).get("path") == "secret/data/app" and e["request"]["operation"] == "read"]
    assert [e["type"] for e in writes] == ["request", "response"]
    assert [e["type"] for e in reads] == ["request", "response"]
    hashed = writes[0]["request"]["data"]["data"]["password"]
    assert hashed.startswith("hmac-sha256:")
    assert writes[0]["request"]["data"]["data"]["n"] == 7  # non-strings stay as they are
    assert reads[1]["response"]["data"]["data"]["password"] == hashed
    assert writes[0]["auth"]["policies"] == ["root"]
    assert writes[0]["request"]["client_token"].startswith("hmac-sha256:")
    assert writes[0]["request"]["mount_type"] == "kv" and writes[0]["request"]["mount_point"] == "secret/"

    # sys/audit-hash reproduces the value's HMAC with the device's salt.
    status, body = http(dev.addr, "PUT", "sys/audit-hash/file1", {"input": secret}, "root")
    assert status == 200 and body["data"]["hash"] == hashed
    status, body = http(dev.addr, "PUT", "sys/audit-hash/nope", {"input": secret}, "root")
    assert status == 400 and "unknown audit backend" in body["errors"][0]

    ok = verify(dev, log)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "lines verify" in ok.stdout

    # Delete one line from the middle: the verifier names the line where the chain breaks.
    original = log.read_text().splitlines(keepends=True)
    middle = len(original) // 2
    log.write_text("".join(original[:middle] + original[middle + 1:]))
    bad = verify(dev, log)
    assert bad.returncode == 2
    assert f"line {middle + 1}:" in bad.stderr and "missing" in bad.stderr, bad.stderr

    # Editing a line (without the chain key) is caught at that line.
    edited = list(original)
    edited[2] = edited[2].replace('"display_name":"root"', '"display_name":"someone"', 1)
    assert edited[2] != original[2]
    log.write_text("".join(edited))
    bad = verify(dev, log)
    assert bad.returncode == 2 and "line 3:" in bad.stderr and "HMAC" in bad.stderr, bad.stderr

    # Swapping two lines is reported as a reorder naming both lines, not as a missing line.
    swapped = list(original)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    log.write_text("".join(swapped))
    bad = verify(dev, log)
    assert bad.returncode == 2 and "line 4:" in bad.stderr, bad.stderr
    assert "line 4 and line 5 are swapped" in bad.stderr and "missing" not in bad.stderr, bad.stderr
    assert "only their order was changed" in bad.stderr, bad.stderr


def test_verify_detects_lines_cut_off_at_the_end(dev, tmp_path):
    log = tmp_path / "audit.log"
    enable_file(dev, "file1", log)
    for i in range(10):
        assert http(dev.addr, "POST", "secret/data/app", {"data": {"n": i}}, "root")[0] == 200
    whole = log.read_text().splitlines(keepends=True)
    assert len(whole) > 20
    cut = tmp_path / "cut.log"
    cut.write_text("".join(whole[:-4]))

    # With a token the device's current sequence number comes from sys/audit-chain: the cut is found.
    bad = verify(dev, cut)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "missing at the end" in bad.stderr and f"line {len(whole) - 4}:" in bad.stderr, bad.stderr
    assert "verify" not in bad.stdout
    # The whole file (which has grown by the verifications' own lines) reaches the device's number.
    ok = verify(dev, log)
    assert ok.returncode == 0, ok.stderr
    assert "no lines are missing at the end" in ok.stdout and "Warning" not in ok.stderr, ok

    # Offline with the exported key alone: success, but it says plainly that a cut at the end cannot be seen.
    status, body = http(dev.addr, "GET", "sys/audit-chain/file1", token="root")
    assert status == 200
    chain = body["data"]
    offline_env = {"PATH": os.environ.get("PATH", "")}
    alone = subprocess.run([coffer_bin(), "audit", "verify", f"-key={chain['chain_key']}", str(cut)],
                           capture_output=True, text=True, timeout=30, env=offline_env)
    assert alone.returncode == 0, alone.stderr
    assert "truncation at the end cannot be detected from the file alone" in alone.stderr, alone.stderr

    # Offline with the key and the device's last sequence number (and HMAC): the cut is found.
    with_seq = subprocess.run([coffer_bin(), "audit", "verify", f"-key={chain['chain_key']}", f"-last-seq={chain['seq']}",
                               f"-last-hmac={chain['hmac']}", str(cut)], capture_output=True, text=True, timeout=30, env=offline_env)
    assert with_seq.returncode == 2 and f"has written up to sequence {chain['seq']}" in with_seq.stderr, with_seq.stderr
    whole_now = subprocess.run([coffer_bin(), "audit", "verify", f"-key={chain['chain_key']}", f"-last-seq={chain['seq']}",
                                f"-last-hmac={chain['hmac']}", str(log)], capture_output=True, text=True, timeout=30, env=offline_env)
    assert whole_now.returncode == 0, whole_now.stderr
    # A wrong HMAC for that number: the file is not the device's chain.
    wrong = subprocess.run([coffer_bin(), "audit", "verify", f"-key={chain['chain_key']}", f"-last-seq={chain['seq']}",
                            f"-last-hmac={'0' * 64}", str(log)], capture_output=True, text=True, timeout=30, env=offline_env)
    assert wrong.returncode == 2 and "HMAC differs from the device's" in wrong.stderr, wrong.stderr
    usage = subprocess.run([coffer_bin(), "audit", "verify", "-last-seq=3", str(log)], capture_output=True, text=True, timeout=30,
                           env=offline_env)
    assert usage.returncode == 1 and "-key" in usage.stderr


def test_denied_request_is_recorded_with_its_error(dev, tmp_path):
    log = tmp_path / "audit.log"
    enable_file(dev, "f", log)
    status, _ = http(dev.addr, "GET", "secret/data/app", token="not-a-token")
    assert status == 403
    denied = [e for e in lines(log) if e.get("request", {}).get("path") == "secret/data/app"]
    assert [e["type"] for e in denied] == ["request", "response"]
    assert denied[0]["error"] == "permission denied"
    assert "permission denied" in denied[1]["error"]
    assert denied[0]["request"]["client_token"].startswith("hmac-sha256:")


def test_login_response_and_wrapping_tokens_are_hashed(dev, tmp_path):
    log = tmp_path / "audit.log"
    enable_file(dev, "f", log)
    assert http(dev.addr, "POST", "sys/auth/userpass", {"type": "userpass"}, "root")[0] == 204
    assert http(dev.addr, "POST", "auth/userpass/users/alice", {"password": "alice-password-1", "policies": "default"}, "root")[0] == 204
    status, body = http(dev.addr, "POST", "auth/userpass/login/alice", {"password": "alice-password-1"})
    assert status == 200
    token = body["auth"]["client_token"]
    text = log.read_text()
    assert token not in text and "alice-password-1" not in text
    login = [e for e in lines(log) if e.get("request", {}).get("path") == "auth/userpass/login/alice" and e["type"] == "response"][0]
    assert login["response"]["auth"]["client_token"].startswith("hmac-sha256:")

    req = http_wrapped(dev.addr, "sys/wrapping/wrap", {"k": "wrapped-value-xyz"})
    assert "wrapped-value-xyz" not in log.read_text() and req["wrap_info"]["token"] not in log.read_text()


def http_wrapped(addr, path, body):
    import urllib.request
    r = urllib.request.Request(addr + "/v1/" + path, data=json.dumps(body).encode(), method="POST")
    r.add_header("X-Vault-Token", "root")
    r.add_header("X-Vault-Wrap-TTL", "60")
    with urllib.request.urlopen(r, timeout=10) as resp:
        return json.loads(resp.read())


def test_non_hmac_request_keys_are_left_readable(dev, tmp_path):
    log = tmp_path / "audit.log"
    enable_file(dev, "f", log)
    assert http(dev.addr, "POST", "sys/mounts/secret/tune", {"audit_non_hmac_request_keys": ["options"]}, "root")[0] == 204
    assert http(dev.addr, "POST", "secret/data/k", {"options": {"cas": 0}, "data": {"v": "hidden"}}, "root")[0] == 200
    e = [e for e in lines(log) if e.get("request", {}).get("path") == "secret/data/k"][0]
    assert e["request"]["data"]["options"] == {"cas": 0}
    assert e["request"]["data"]["data"]["v"].startswith("hmac-sha256:")


def test_enable_errors(dev, tmp_path):
    enable_file(dev, "f", tmp_path / "a.log")
    status, body = http(dev.addr, "PUT", "sys/audit/f", {"type": "file", "options": {"file_path": str(tmp_path / "b.log")}}, "root")
    assert status == 400 and body["errors"] == ["path already in use"]
    status, body = http(dev.addr, "PUT", "sys/audit/g", {"type": "file", "options": {"file_path": "/dev/full"}}, "root")
    assert status == 400 and "no space left on device" in body["errors"][0], body
    (tmp_path / "adir").mkdir()
    status, body = http(dev.addr, "PUT", "sys/audit/h", {"type": "file", "options": {"file_path": str(tmp_path / "adir")}}, "root")
    assert status == 400 and "is a directory" in body["errors"][0], body
    status, body = http(dev.addr, "PUT", "sys/audit/i", {"type": "bogus"}, "root")
    assert status == 400 and body["errors"] == ['unknown backend type: "bogus"']
    status, body = http(dev.addr, "PUT", "sys/audit/j", {"type": "file", "options": {}}, "root")
    assert status == 400 and body["errors"] == ["file_path is required"]
    status, _ = http(dev.addr, "GET", "sys/audit", token="root")
    assert status == 200
    # Only the first device exists.
    assert list(http(dev.addr, "GET", "sys/audit", token="root")[1]["data"].keys()) == ["f/"]


def test_file_mode_and_syslog_device(dev, tmp_path):
    log = tmp_path / "moded.log"
    enable_file(dev, "m", log, mode="0640")
    assert oct(log.stat().st_mode & 0o777) == "0o640"
    enable_file(dev, "d", tmp_path / "default.log")
    assert oct((tmp_path / "default.log").stat().st_mode & 0o777) == "0o600"
    status, body = http(dev.addr, "PUT", "sys/audit/sys", {"type": "syslog", "options": {"facility": "LOCAL0", "tag": "coffer-test"}}, "root")
    assert status == 204, body
    status, body = http(dev.addr, "PUT", "sys/audit/sys2", {"type": "syslog", "options": {"facility": "NOPE"}}, "root")
    assert status == 400 and "facility" in body["errors"][0]
    assert http(dev.addr, "GET", "sys/audit", token="root")[1]["data"]["sys/"]["type"] == "syslog"
    assert http(dev.addr, "POST", "secret/data/x", {"data": {"v": "1"}}, "root")[0] == 200


def test_fails_closed_when_the_only_device_cannot_write(dev, tmp_path):
    d = tmp_path / "logs"
    log = d / "audit.log"
    enable_file(dev, "f", log)
    assert http(dev.addr, "POST", "secret/data/before", {"data": {"v": "1"}}, "root")[0] == 200
    # Make the target unopenable (a directory where the file was), then reopen as logrotate would.
    log.unlink()
    log.mkdir()
    dev.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    status, body = http(dev.addr, "POST", "secret/data/blocked", {"data": {"v": "must-not-land"}}, "root")
    assert status == 500, body
    status, _ = http(dev.addr, "GET", "secret/data/before", token="root")
    assert status == 500
    # Health stays truthful and unaudited.
    assert http(dev.addr, "GET", "sys/health")[0] == 200
    # Repair the target: the device opens it again on the next write, and the refused write never happened.
    log.rmdir()
    status, _ = http(dev.addr, "GET", "secret/data/blocked", token="root")
    assert status == 404
    assert "must-not-land" not in (log.read_text())


def test_config_file_device_survives_restart_and_sighup_rotation(tmp_path):
    port = free_port()
    log = tmp_path / "audit" / "coffer.log"
    cfg = tmp_path / "coffer.hcl"
    cfg.write_text(f'''
storage "sqlite" {{ path = "{tmp_path}/data/coffer.db" }}
listener "tcp" {{
  address     = "127.0.0.1:{port}"
  tls_disable = true
}}
audit "file" "main" {{
  description = "from the config file"
  options {{
    file_path = "{log}"
    prefix    = "COFFER "
  }}
}}
''')
    addr = f"http://127.0.0.1:{port}"
    s = Server(["server", f"-config={cfg}"], addr, tmp_path / "server.log").start()
    try:
        s.init(shares=1, threshold=1)
        s.unseal()
        status, body = http(addr, "GET", "sys/audit", token=s.root_token)
        assert status == 200 and body["data"]["main/"]["description"] == "from the config file"
        assert http(addr, "POST", "sys/mounts/kv", {"type": "kv"}, s.root_token)[0] == 204
        assert http(addr, "PUT", "kv/a", {"v": "1"}, s.root_token)[0] == 204
        s.stop()
        s.start()
        s.unseal()
        assert http(addr, "PUT", "kv/b", {"v": "2"}, s.root_token)[0] == 204
        raw = log.read_text().splitlines()
        assert all(l.startswith("COFFER ") for l in raw)
        ok = verify(s, log)
        assert ok.returncode == 0, ok.stderr
        checkpoints = [json.loads(l[len("COFFER "):]) for l in raw if '"type":"checkpoint"' in l]
        assert [c["reason"] for c in checkpoints] == ["start", "open"]

        # logrotate: move the file away, SIGHUP, and the new file verifies from its own first line.
        rotated = tmp_path / "audit" / "coffer.log.1"
        shutil.move(log, rotated)
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while not log.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert http(addr, "PUT", "kv/c", {"v": "3"}, s.root_token)[0] == 204
        first = json.loads(log.read_text().splitlines()[0][len("COFFER "):])
        assert first["type"] == "checkpoint" and first["reason"] == "reopen"
        # The current file alone reaches the device's sequence number; the rotated file alone ends before it, which
        # cannot be told from a cut-off file, so it is verified together with its successor.
        ok = verify(s, log, "-device=main")
        assert ok.returncode == 0, ok.stderr
        alone = verify(s, rotated, "-device=main")
        assert alone.returncode == 2 and "missing at the end" in alone.stderr and "coffer audit verify OLD NEW" in alone.stderr, alone.stderr
        ok = verify(s, rotated, log, "-device=main")
        assert ok.returncode == 0, ok.stderr
        assert "coffer.log.1, " in ok.stdout and "no lines are missing at the end" in ok.stdout, ok.stdout
        # Given in the wrong order, the files do not verify.
        wrong = verify(s, log, rotated, "-device=main")
        assert wrong.returncode == 2 and "coffer.log.1 line 1:" in wrong.stderr, wrong.stderr
        # The key can also be exported by an operator and used without a server.
        status, body = http(addr, "GET", "sys/audit-chain/main", token=s.root_token)
        assert status == 200
        offline = subprocess.run([coffer_bin(), "audit", "verify", f"-key={body['data']['chain_key']}", "-prefix=COFFER ", str(rotated)],
                                 capture_output=True, text=True, timeout=30, env={"PATH": os.environ.get("PATH", "")})
        assert offline.returncode == 0, offline.stderr
    finally:
        s.stop()


class LineCollector:
    """A TCP server that collects newline-separated lines."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.conns = []
        self.running = True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.read, args=(c,), daemon=True).start()

    def read(self, c):
        buf = b""
        while True:
            try:
                chunk = c.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(json.loads(line))

    def close(self):
        self.running = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread, so the port really stops listening
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()


def test_socket_device_and_fail_closed_when_all_devices_fail(dev, tmp_path):
    col = LineCollector()
    status, body = http(dev.addr, "PUT", "sys/audit/sock", {"type": "socket", "options": {"address": f"127.0.0.1:{col.port}", "socket_type": "tcp"}}, "root")
    assert status == 204, body
    enable_file(dev, "file", tmp_path / "a.log")
    assert http(dev.addr, "POST", "secret/data/s", {"data": {"v": "sock-secret"}}, "root")[0] == 200
    deadline = time.time() + 5
    while not any(l.get("request", {}).get("path") == "secret/data/s" for l in col.lines) and time.time() < deadline:
        time.sleep(0.05)
    got = [l for l in col.lines if l.get("request", {}).get("path") == "secret/data/s"]
    assert got and got[0]["request"]["data"]["data"]["v"].startswith("hmac-sha256:")

    # The collector dies: the file device still records, so requests go on.
    col.close()
    assert http(dev.addr, "POST", "secret/data/t", {"data": {"v": "1"}}, "root")[0] == 200
    # With the file device gone too, nothing can record: requests are refused.
    status, body = http(dev.addr, "DELETE", "sys/audit/file", token="root")
    assert status == 204
    # TCP may take one more line into the dead connection's buffer before the reset is seen.
    statuses = [http(dev.addr, "POST", f"secret/data/u{i}", {"data": {"v": "never"}}, "root")[0] for i in range(4)]
    assert statuses[-2:] == [500, 500], statuses
    assert statuses.count(200) <= 1, statuses
    bad = socket.socket()
    bad_port = free_port()
    status, body = http(dev.addr, "PUT", "sys/audit/sock2", {"type": "socket", "options": {"address": f"127.0.0.1:{bad_port}"}}, "root")
    assert status == 500  # even enabling another device needs the request audited first
    bad.close()
