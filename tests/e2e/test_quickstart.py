"""The README's quick start, run literally, with the `coffer` CLI and with `bao` (issue 12).

The quick start block of README.md is executed line by line in a fresh working directory: the embedded default
`coffer server` (SQLite in ./coffer-data, HTTPS on 127.0.0.1:8200 with the certificate it generates), curl for init
and unseal, then the `coffer` and `bao` lines with VAULT_CACERT pointing at the generated certificate. Placeholders
(`<key 1>`, `<root_token>`) are filled from the init response; `.build/debug/coffer` is COFFER_BIN.

The rest of the file holds what the first hour of a new user also met: TLS errors worded as bao words them (diffed
against bao on the same server), a refused connection reported at once, the client timeout, the KV preflight message
on an unmounted path (diffed against bao on OpenBao), and the version Coffer reports about itself.
"""
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import coffer_bin, free_port, http

ROOT = Path(__file__).resolve().parents[2]
BAO = shutil.which("bao") or "bao"
COFFER_VERSION = "0.1.0"
API_VERSION = "2.7.2"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not re.match(r"^(COFFER|VAULT|BAO|CURL)_", k)}
    env.update(extra)
    return env


def quickstart_block():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    return section.split("```sh", 1)[1].split("```", 1)[0]


def port_8200_free(wait=120):
    deadline = time.time() + wait
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", 8200)) != 0:
                return True
        time.sleep(1)
    return False


class QuickStart:
    """Runs the README block's lines in a temp dir, keeping exported variables between lines."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.env = clean_env(HOME=str(workdir))
        self.server = None
        self.init = None
        self.outputs = []

    def substitute(self, line):
        line = line.replace(".build/debug/coffer", coffer_bin())
        if self.init:
            line = line.replace("<key 1>", self.init["keys_base64"][0]).replace("<key 2>", self.init["keys_base64"][1])
            line = line.replace("<root_token>", self.init["root_token"])
        return line

    def start_server(self, line):
        # The line without its `&`, started directly (not through a shell) so that stopping it stops the server.
        command = shlex.split(line.split("&", 1)[0].strip())
        log = open(self.workdir / "server.log", "wb")
        self.server = subprocess.Popen(command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        cert = self.workdir / "coffer-data" / "tls" / "cert.pem"
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.server.poll() is None, (self.workdir / "server.log").read_text()
            if cert.exists():
                r = subprocess.run(["curl", "-s", "--cacert", str(cert), "https://127.0.0.1:8200/v1/sys/seal-status"], capture_output=True)
                if r.returncode == 0:
                    return
            time.sleep(0.2)
        raise AssertionError("the embedded default did not come up: " + (self.workdir / "server.log").read_text())

    def run(self, line):
        if line.startswith("export "):
            r = subprocess.run(
                ["bash", "-c", line + "\nenv -0"], cwd=self.workdir, env=self.env, capture_output=True, check=True
            )
            self.env = dict(item.split("=", 1) for item in r.stdout.decode().split("\0") if "=" in item)
            return None
        r = subprocess.run(["bash", "-c", line], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=60)
        self.outputs.append((line, r))
        assert r.returncode == 0, f"{line}\nstdout: {r.stdout}\nstderr: {r.stderr}"
        if line.startswith("curl "):
            body = json.loads(r.stdout) if r.stdout.strip() else {}
            assert "errors" not in body, f"{line}: {r.stdout}"
            if "/v1/sys/init" in line:
                self.init = body
        return r

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=15)


@pytest.fixture
def quickstart(tmp_path):
    assert port_8200_free(), "127.0.0.1:8200 stayed in use; the embedded default needs it"
    q = QuickStart(tmp_path)
    yield q
    q.stop()


def test_readme_quick_start_with_coffer_and_bao(quickstart):
    q = quickstart
    ran = []
    for raw in quickstart_block().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line == "swift build":
            continue
        line = q.substitute(line)
        if re.search(r"coffer server\b.*&", line):
            q.start_server(line)
        else:
            q.run(line)
        ran.append(raw.strip())
    # The block really holds what the issue asks for: the embedded default over HTTPS with VAULT_CACERT, init and
    # unseal, and KV with both CLIs.
    assert q.env["VAULT_ADDR"] == "https://127.0.0.1:8200"
    assert q.env["VAULT_CACERT"] == str(q.workdir / "coffer-data" / "tls" / "cert.pem")
    joined = "\n".join(ran)
    for needle in ("coffer status", "coffer kv put", "coffer kv get", "bao status", "bao kv put", "bao kv get"):
        assert needle in joined, needle
    outputs = {line: r for line, r in q.outputs}

    status = next(r for line, r in q.outputs if line.endswith("coffer status"))
    rows = dict(re.split(r"\s{2,}", l.strip(), maxsplit=1) for l in status.stdout.splitlines()[2:] if l.strip())
    assert rows["Sealed"] == "false" and rows["Version"] == API_VERSION and rows["Coffer Version"] == COFFER_VERSION
    bao_status = next(r for line, r in q.outputs if line.endswith("bao status"))
    assert "Sealed          false" in bao_status.stdout
    # What one CLI wrote, the other reads.
    coffer_get = next(r for line, r in q.outputs if line.endswith("coffer kv get secret/app"))
    bao_get = next(r for line, r in q.outputs if line.startswith("bao kv get secret/app"))
    assert re.search(r"password\s+hunter3", coffer_get.stdout)
    assert re.search(r"password\s+hunter3", bao_get.stdout)
    assert outputs
    last = subprocess.run([coffer_bin(), "kv", "get", "-field=password", "secret/app"], env=q.env, capture_output=True, text=True)
    assert (last.returncode, last.stdout.strip()) == (0, "hunter4"), last.stderr

    # Beyond the README: the same certificate given as a flag, and the `localhost` and `[::1]` forms of the address.
    cert = q.env["VAULT_CACERT"]
    no_cacert = {k: v for k, v in q.env.items() if k not in ("VAULT_CACERT", "CURL_CA_BUNDLE")}
    for cli in (coffer_bin(), BAO):
        r = subprocess.run([cli, "status", f"-ca-cert={cert}"], env=no_cacert, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (cli, r.stderr)
        for addr in ("https://localhost:8200", "https://[::1]:8200"):
            if addr.startswith("https://[::1]") and not ipv6_loopback_listening():
                continue
            r = subprocess.run([cli, "kv", "get", "-field=password", "secret/app"], env={**q.env, "VAULT_ADDR": addr},
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0 and r.stdout.strip() == "hunter4", (cli, addr, r.stderr)


def ipv6_loopback_listening():
    try:
        with socket.socket(socket.AF_INET6) as s:
            return s.connect_ex(("::1", 8200)) == 0
    except OSError:
        return False


# MARK: TLS errors, diffed against bao on the same server


def make_cert(path, common_name, ca=False, names=("localhost",), ips=("127.0.0.1",), issuer=None):
    """A P-256 certificate (self-signed unless issuer=(cert, key) is given) and its key, written to path."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans and not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


@pytest.fixture
def default_server(tmp_path):
    """The embedded default (HTTPS on 127.0.0.1:8200 with its generated certificate), uninitialised."""
    assert port_8200_free(), "127.0.0.1:8200 stayed in use; the embedded default needs it"
    q = QuickStart(tmp_path)
    q.start_server(f"{coffer_bin()} server &")
    cert = tmp_path / "coffer-data" / "tls" / "cert.pem"
    # Initialised and unsealed, so that `status` succeeds with both CLIs.
    env = clean_env(VAULT_ADDR="https://127.0.0.1:8200", VAULT_CACERT=str(cert))
    init = subprocess.run([coffer_bin(), "operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    key = json.loads(init.stdout)["unseal_keys_b64"][0]
    unseal = subprocess.run([BAO, "operator", "unseal", key], env=env, capture_output=True, text=True, timeout=60)
    assert unseal.returncode == 0, unseal.stderr
    yield cert
    q.stop()


def both(args, env):
    """Runs the same command with coffer and bao; returns both results."""
    return [subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=60) for cli in (coffer_bin(), BAO)]


def test_tls_errors_are_worded_as_bao_words_them(default_server, tmp_path):
    cert = default_server
    base = clean_env(VAULT_ADDR="https://127.0.0.1:8200")
    # The generated certificate itself: trusted by both.
    for r in both(["status"], {**base, "VAULT_CACERT": str(cert)}):
        assert r.returncode == 0 and "Sealed" in r.stdout, r.stderr

    # Another self-signed certificate named localhost: Go names the candidate it tried and why it could not sign.
    wrong = tmp_path / "wrong.pem"
    make_cert(wrong, "localhost")
    # A CA that did not sign the server's certificate.
    other_ca = tmp_path / "other-ca.pem"
    make_cert(other_ca, "Other CA", ca=True)
    cases = [
        ({"VAULT_CACERT": str(wrong)}, "x509: certificate signed by unknown authority (possibly because of"),
        ({"VAULT_CACERT": str(other_ca)}, "x509: certificate signed by unknown authority"),
        ({"VAULT_CACERT": str(cert), "VAULT_TLS_SERVER_NAME": "example.com"}, "x509: certificate is valid for localhost, not example.com"),
        ({}, "x509: certificate signed by unknown authority"),
    ]
    for extra, expected in cases:
        coffer, bao = both(["status"], {**base, **extra})
        assert (coffer.returncode, coffer.stdout, coffer.stderr) == (bao.returncode, bao.stdout, bao.stderr), extra
        assert coffer.returncode == 1
        assert expected in coffer.stderr, coffer.stderr
        assert coffer.stderr.startswith('Error checking seal status: Get "https://127.0.0.1:8200/v1/sys/seal-status": tls: failed to verify certificate: x509: ')
        coffer, bao = both(["kv", "get", "secret/x"], {**base, **extra})
        assert (coffer.returncode, coffer.stderr) == (bao.returncode, bao.stderr), extra

    # Plain HTTP to the HTTPS listener, a CA file that is missing or holds no certificate.
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("garbage\n")
    for args, extra in [
        (["status", "-ca-cert=/nonexistent/ca.pem"], {}),
        (["status", f"-ca-cert={garbage}"], {}),
        (["status"], {"VAULT_CACERT": "/nonexistent/ca.pem"}),
        (["kv", "get", "secret/x"], {"VAULT_CACERT": "/nonexistent/ca.pem"}),
        (["status", "-ca-path=/nonexistent/dir"], {}),
        (["status"], {"VAULT_CLIENT_TIMEOUT": "soon", "VAULT_CACERT": str(cert)}),
    ]:
        coffer, bao = both(args, {**base, **extra})
        assert (coffer.returncode, coffer.stderr) == (bao.returncode, bao.stderr.replace("BAO_CLIENT_TIMEOUT", "VAULT_CLIENT_TIMEOUT")), (args, extra)


def test_https_client_against_plain_http_listener(coffer_server):
    addr = coffer_server["addr"].replace("http://", "https://")
    coffer, bao = both(["kv", "get", "secret/x"], clean_env(VAULT_ADDR=addr, VAULT_TOKEN="root"))
    assert (coffer.returncode, coffer.stderr) == (bao.returncode, bao.stderr)
    assert "http: server gave HTTP response to HTTPS client" in coffer.stderr


# MARK: connection failures and timeouts


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_connection_is_reported_at_once():
    port = closed_port()
    env = clean_env(VAULT_ADDR=f"http://127.0.0.1:{port}")
    for args in (["status"], ["kv", "get", "secret/x"], ["read", "sys/mounts"]):
        start = time.monotonic()
        coffer = subprocess.run([coffer_bin(), *args], env=env, capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - start
        assert elapsed < 2, f"{args}: {elapsed:.1f}s"
        bao = subprocess.run([BAO, *args], env=env, capture_output=True, text=True, timeout=60)
        assert (coffer.returncode, coffer.stderr) == (bao.returncode, bao.stderr), args
        assert f"dial tcp 127.0.0.1:{port}: connect: connection refused" in coffer.stderr


def test_client_timeout_from_the_environment():
    # A listener that accepts and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        for name in ("VAULT_CLIENT_TIMEOUT", "COFFER_CLIENT_TIMEOUT"):
            env = clean_env(VAULT_ADDR=f"http://127.0.0.1:{port}", **{name: "1s"})
            start = time.monotonic()
            r = subprocess.run([coffer_bin(), "status"], env=env, capture_output=True, text=True, timeout=60)
            elapsed = time.monotonic() - start
            assert 0.9 < elapsed < 5, elapsed
            assert (r.returncode, r.stderr) == (1, "Error checking seal status: context deadline exceeded\n")
        env = clean_env(VAULT_ADDR=f"http://127.0.0.1:{port}", VAULT_CLIENT_TIMEOUT="1")
        coffer, bao = both(["kv", "get", "secret/x"], env)
        assert (coffer.returncode, coffer.stderr) == (bao.returncode, bao.stderr) == (2, "context deadline exceeded\n")


# MARK: KV preflight on an unmounted path, diffed against bao on OpenBao


@pytest.fixture(scope="module")
def openbao(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("openbao") / "bao.log"
    proc = subprocess.Popen(
        [BAO, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env=clean_env(HOME=str(log.parent)),
    )
    addr = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if http(addr, "GET", "sys/seal-status", timeout=1)[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    yield addr
    proc.terminate()
    proc.wait(timeout=10)


KV_ON_UNMOUNTED = [
    ["kv", "put", "nosuch/app", "a=1"],
    ["kv", "get", "nosuch/app"],
    ["kv", "patch", "nosuch/app", "a=1"],
    ["kv", "delete", "nosuch/app"],
    ["kv", "list", "nosuch/app"],
    ["kv", "list", "nosuch"],
    ["kv", "metadata", "get", "nosuch/app"],
    ["kv", "metadata", "put", "nosuch/app"],
    ["kv", "metadata", "delete", "nosuch/app"],
    ["kv", "undelete", "-versions=1", "nosuch/app"],
    ["kv", "destroy", "-versions=1", "nosuch/app"],
    ["kv", "get", "-mount=nosuch", "app"],
    ["kv", "put", "nosuch/deep/er/path", "a=1"],
]


@pytest.mark.parametrize("args", KV_ON_UNMOUNTED, ids=lambda a: " ".join(a))
def test_kv_preflight_on_unmounted_path_matches_bao(args, coffer_server, openbao, tmp_path):
    def run(cli, addr):
        env = clean_env(VAULT_ADDR=addr, VAULT_TOKEN="root", HOME=str(tmp_path))
        r = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr.replace(addr, "ADDR")

    reference = run(BAO, openbao)
    assert reference[0] == 2 and "preflight capability check returned 403" in reference[2]
    assert run(coffer_bin(), coffer_server["addr"]) == reference
    assert run(BAO, coffer_server["addr"]) == reference


def test_preflight_for_a_token_without_access(coffer_server, openbao, tmp_path):
    """A token whose policies give nothing under the mount gets the same text as an unmounted path."""
    def run(cli, addr):
        status, body = http(addr, "POST", "auth/token/create", {"policies": ["default"]}, "root")
        token = body["auth"]["client_token"]
        env = clean_env(VAULT_ADDR=addr, VAULT_TOKEN=token, HOME=str(tmp_path))
        r = subprocess.run([cli, "kv", "get", "secret/app"], env=env, capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr.replace(addr, "ADDR")

    reference = run(BAO, openbao)
    assert 'grant access to path "secret/app/"' in reference[2]
    assert run(coffer_bin(), coffer_server["addr"]) == reference


# MARK: versions


def test_versions_reported_consistently(coffer_server):
    banner = f"Coffer v{COFFER_VERSION} (API compatible with OpenBao {API_VERSION})"
    for args in (["version"], ["-version"], ["--version"]):
        r = subprocess.run([coffer_bin(), *args], capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stdout) == (0, banner + "\n")
    addr = coffer_server["addr"]
    status, body = http(addr, "GET", "sys/seal-status")
    assert body["version"] == API_VERSION and body["coffer_version"] == COFFER_VERSION
    env = clean_env(VAULT_ADDR=addr, VAULT_TOKEN="root")
    r = subprocess.run([coffer_bin(), "status"], env=env, capture_output=True, text=True, timeout=60)
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in r.stdout.splitlines()[2:]]
    keys = [row[0] for row in rows]
    assert ["Version", API_VERSION] in rows and ["Coffer Version", COFFER_VERSION] in rows
    assert keys.index("Coffer Version") == keys.index("Version") + 1
    # bao reads the API version as before and ignores the extra field.
    r = subprocess.run([BAO, "status", "-format=json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(r.stdout)["version"] == API_VERSION
    # The build-info gauge, in both metric formats.
    import urllib.request

    req = urllib.request.Request(addr + "/v1/sys/metrics?format=prometheus", headers={"X-Vault-Token": "root"})
    text = urllib.request.urlopen(req, timeout=10).read().decode()
    assert re.search(r'^coffer_build_info\{(api_version="2\.7\.2",version="0\.1\.0"|version="0\.1\.0",api_version="2\.7\.2")\} 1(\.0)?$', text, re.M), text
    status, metrics = http(addr, "GET", "sys/metrics", token="root")
    gauges = [g for g in metrics["Gauges"] if g["Name"] == "coffer_build_info"]
    assert gauges == [{"Name": "coffer_build_info", "Value": 1.0, "Labels": {"version": COFFER_VERSION, "api_version": API_VERSION}}] or (
        len(gauges) == 1 and gauges[0]["Value"] == 1 and gauges[0]["Labels"] == {"version": COFFER_VERSION, "api_version": API_VERSION})


def test_server_banner_names_the_version(tmp_path):
    port = free_port()
    log = tmp_path / "dev.log"
    proc = subprocess.Popen([coffer_bin(), "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}"], cwd=tmp_path,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and "Root Token" not in log.read_text():
            time.sleep(0.1)
        text = log.read_text()
        assert f"Coffer v{COFFER_VERSION} (API compatible with OpenBao {API_VERSION})" in text, text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
