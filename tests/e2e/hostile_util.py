"""Helpers for the hostile-request suites (test_hostile.py, test_token_policy_property.py).

Requests go through http.client (no path normalisation: `//`, `.`/`..` and `%00` reach the server as written) or a
raw socket for framing tests. Nothing here follows redirects.
"""
import http.client
import json
import socket
import time
from urllib.parse import urlsplit


def hostport(addr):
    u = urlsplit(addr)
    return u.hostname, u.port


class Resp:
    """A response: status (None when the connection was closed without one), headers (lower-case keys), raw body,
    parsed JSON (None when the body is not JSON), and the transport error, if any."""

    def __init__(self, status, headers, raw, error=None):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.error = error
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def errors(self):
        return (self.json or {}).get("errors") if isinstance(self.json, dict) else None

    @property
    def data(self):
        return (self.json or {}).get("data") if isinstance(self.json, dict) else None

    @property
    def auth(self):
        return (self.json or {}).get("auth") if isinstance(self.json, dict) else None

    def __repr__(self):
        return f"Resp({self.status}, {self.raw[:400]!r}, error={self.error!r})"


def call(addr, method, path, body=None, token=None, headers=None, timeout=15):
    """One request on a fresh connection. `path` is sent as written when it starts with '/', else under /v1/.
    `body` is JSON-encoded unless it is bytes/str. A closed connection gives Resp(None, ..., error=...)."""
    host, port = hostport(addr)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["X-Vault-Token"] = token
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    if not path.startswith("/"):
        path = "/v1/" + path
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
    except (OSError, http.client.HTTPException) as e:
        return Resp(None, {}, b"", error=e)
    finally:
        conn.close()


def ok(resp, *statuses):
    statuses = statuses or (200, 204)
    assert resp.status in statuses, resp
    return resp


# ---------------------------------------------------------------- raw sockets


def raw_exchange(addr, payload, timeout=5.0, parts=None):
    """Sends `payload` (or each element of `parts`, with a short pause between) on one connection, half-closes
    nothing, and reads until the peer closes or `timeout` passes with no new bytes. Returns (bytes, closed):
    closed is True when the server closed (EOF or reset)."""
    host, port = hostport(addr)
    s = socket.create_connection((host, port), timeout=timeout)
    chunks = []
    closed = False
    try:
        for i, p in enumerate(parts or [payload]):
            if i:
                time.sleep(0.05)
            try:
                s.sendall(p)
            except OSError:
                closed = True
                break
        deadline = time.time() + timeout
        while not closed and time.time() < deadline:
            s.settimeout(max(0.05, deadline - time.time()))
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not b:
                closed = True
                break
            chunks.append(b)
            # Once something arrived, wait only briefly for more.
            deadline = min(deadline, time.time() + 1.0)
    finally:
        s.close()
    return b"".join(chunks), closed


def parse_responses(data):
    """Splits a byte stream into HTTP/1.1 responses: a list of (status, headers, body). Trailing garbage or an
    incomplete response is returned as a final (None, {}, rest) entry."""
    out = []
    i = 0
    while i < len(data):
        head_end = data.find(b"\r\n\r\n", i)
        if head_end < 0:
            out.append((None, {}, data[i:]))
            break
        lines = data[i:head_end].split(b"\r\n")
        try:
            status = int(lines[0].split(b" ")[1])
        except (IndexError, ValueError):
            out.append((None, {}, data[i:]))
            break
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
        j = head_end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                le = data.find(b"\r\n", j)
                if le < 0:
                    break
                size = int(data[j:le].split(b";")[0], 16)
                j = le + 2
                if size == 0:
                    te = data.find(b"\r\n\r\n", j - 2)
                    j = (te + 4) if te >= 0 else len(data)
                    break
                body += data[j:j + size]
                j += size + 2
        else:
            n = int(headers.get("content-length", "0") or 0)
            body = data[j:j + n]
            j += n
        out.append((status, headers, body))
        i = j
    return out


def server_alive(addr):
    r = call(addr, "GET", "sys/health", timeout=5)
    return r.status in (200, 429, 472, 473, 501, 503)


# ---------------------------------------------------------------- servers


class BaoServer:
    """OpenBao in dev mode or from a config file, with the attributes of conftest.Server the suites use, so the
    same tests can be run against the reference (HOSTILE_TARGET=bao) to check the expected behaviour."""

    def __init__(self, args, addr, log_path):
        self.args = args
        self.addr = addr
        self.log_path = log_path
        self.proc = None

    def start(self):
        import subprocess
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["bao"] + self.args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("bao exited early")
            if call(self.addr, "GET", "sys/seal-status", timeout=1).status == 200:
                return self
            time.sleep(0.1)
        raise RuntimeError("bao did not become ready")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def target_is_bao():
    import os
    return os.environ.get("HOSTILE_TARGET", "") == "bao"


def make_server(args, addr, log_path):
    import os
    from conftest import Server
    if target_is_bao():
        return BaoServer(args, addr, log_path)
    # No backtrace on a trap: the crash is what the tests look for, and symbolication takes seconds per crash.
    return Server(args, addr, log_path, env=dict(os.environ, SWIFT_BACKTRACE="enable=no"))


def dev_unseal_key(log_path, timeout=10):
    from pathlib import Path
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in Path(log_path).read_text(errors="replace").splitlines():
            if line.startswith("Unseal Key: "):
                return line.split(": ", 1)[1].strip()
        time.sleep(0.05)
    return None


class DevServer:
    """A dev server (token `root`) that tests may crash. `ensure()` after each test restarts it when it died and
    unseals it when it was sealed, recording both, so one broken item does not cascade into every later test;
    `pid0` is the PID it started with, for the final same-process check."""

    def __init__(self, tmp_dir, config=None):
        """`config`: a config-file text with {port} for the listener address; None for a dev server."""
        from conftest import free_port
        self.tmp = tmp_dir
        self.config = config
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.root = "root"
        self.crashes = []   # (test name, exit code)
        self.sealed_by = []
        self.server = None
        self.pid0 = None
        self._n = 0

    def _start(self):
        self._n += 1
        log = self.tmp / f"server{self._n}.log"
        if self.config is None:
            args = ["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{self.port}"]
        else:
            cfg = self.tmp / "server.hcl"
            cfg.write_text(self.config.replace("{port}", str(self.port)))
            args = ["server", f"-config={cfg}"]
        self.server = make_server(args, self.addr, log)
        self.server.start()
        self.unseal_key = dev_unseal_key(log) if self.config is None else None
        return self

    def start(self):
        self._start()
        self.pid0 = self.server.proc.pid
        return self

    @property
    def proc(self):
        return self.server.proc

    def alive(self):
        return self.server.proc.poll() is None and server_alive(self.addr)

    def ensure(self, test_name):
        """Restart after a crash, unseal after a seal. Returns a description of what was repaired, or None."""
        if self.server.proc.poll() is not None:
            self.crashes.append((test_name, self.server.proc.returncode))
            # Wait for the port to be free again.
            time.sleep(0.2)
            self._start()
            return f"server died (exit {self.crashes[-1][1]}) during {test_name}; restarted"
        if self.proc.poll() is None and not server_alive(self.addr):
            # Alive but not answering: give it a moment (a slow request may still run).
            time.sleep(2)
        st = call(self.addr, "GET", "sys/seal-status", timeout=5)
        if self.config is None and st.status == 200 and st.json and st.json.get("sealed"):
            self.sealed_by.append(test_name)
            if self.unseal_key:
                call(self.addr, "PUT", "sys/unseal", {"key": self.unseal_key})
            return f"server was sealed during {test_name}; unsealed"
        return None

    def stop(self):
        if self.server:
            self.server.stop()
