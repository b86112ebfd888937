"""TLS on the tcp listener: the embedded default generates a certificate and serves HTTPS only, TLS 1.2 or newer,
AEAD suites, and requests (without requiring) a client certificate."""
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import coffer_bin


@pytest.fixture
def default_server(tmp_path):
    # The embedded default listens on 127.0.0.1:8200; skip if something else holds it.
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8200)) == 0:
            pytest.skip("127.0.0.1:8200 is in use")
    proc = subprocess.Popen([coffer_bin(), "server"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cert = tmp_path / "coffer-data" / "tls" / "cert.pem"
    ctx = ssl.create_default_context(cafile=None)
    deadline = time.time() + 20
    while time.time() < deadline:
        if cert.exists():
            try:
                ctx = ssl.create_default_context(cafile=str(cert))
                with urllib.request.urlopen("https://127.0.0.1:8200/v1/sys/seal-status", context=ctx, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
        time.sleep(0.1)
    yield tmp_path, cert
    proc.terminate()
    proc.wait(timeout=10)


def test_embedded_default_serves_https_with_generated_certificate(default_server):
    data, cert = default_server
    assert (data / "coffer-data" / "coffer.db").exists()
    key = data / "coffer-data" / "tls" / "key.pem"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    ctx = ssl.create_default_context(cafile=str(cert))
    with urllib.request.urlopen("https://127.0.0.1:8200/v1/sys/seal-status", context=ctx, timeout=5) as r:
        body = json.loads(r.read())
    assert body["initialized"] is False and body["storage_type"] == "sqlite"


def test_plain_http_is_refused(default_server):
    with pytest.raises(Exception):
        urllib.request.urlopen("http://127.0.0.1:8200/v1/sys/seal-status", timeout=5).read()


def test_old_tls_versions_are_refused_and_modern_suites_used(default_server):
    _, cert = default_server
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(str(cert))
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", 8200), timeout=5) as raw:
            with old.wrap_socket(raw, server_hostname="localhost"):
                pass
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(cert))
        ctx.minimum_version = version
        ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", 8200), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                name, _, _ = tls.cipher()
                assert "GCM" in name or "CHACHA20" in name, name
    # A CBC-only client cannot connect.
    cbc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cbc.load_verify_locations(str(cert))
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA")
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", 8200), timeout=5) as raw:
            with cbc.wrap_socket(raw, server_hostname="localhost"):
                pass


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_client_certificate_is_requested_not_required(default_server):
    out = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:8200", "-tls1_2"], input="", capture_output=True, text=True, timeout=20
    ).stdout
    assert "Requested Signature Algorithms" in out  # the server sent a CertificateRequest
    assert "Verify return code" in out  # and the handshake completed without a client certificate


# A listener configured with a certificate signed by a local CA (issue 12, item 10): the server's TLS 1.2 cipher
# order is honoured, HSTS is sent on HTTPS only, and testssl.sh finds nothing rated MEDIUM or above.

LEAF_EXTENSIONS = """subjectAltName=IP:127.0.0.1,DNS:localhost
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
crlDistributionPoints=URI:http://127.0.0.1/ca.crl
authorityInfoAccess=OCSP;URI:http://127.0.0.1/ocsp
"""


def make_local_ca(d):
    """A P-256 CA and a leaf for 127.0.0.1/localhost signed by it (with CRL and OCSP URIs, as a real CA's leaf has)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "365", "-subj", "/CN=Coffer Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", "/CN=localhost")
    (d / "leaf.cnf").write_text(LEAF_EXTENSIONS)
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem",
            "-days", "365", "-extfile", "leaf.cnf")
    return d / "ca.pem", d / "leaf.pem", d / "leaf.key"


@pytest.fixture(scope="module")
def ca_server(tmp_path_factory):
    from conftest import free_port

    d = tmp_path_factory.mktemp("localca")
    ca, cert, key = make_local_ca(d)
    port = free_port()
    cfg = d / "coffer.hcl"
    cfg.write_text(
        f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
        f'  tls_cert_file = "{cert}"\n  tls_key_file = "{key}"\n}}\n'
    )
    addr = f"https://127.0.0.1:{port}"
    proc = subprocess.Popen([coffer_bin(), "server", f"-config={cfg}"], stdout=open(d / "server.log", "ab"), stderr=subprocess.STDOUT)
    ctx = ssl.create_default_context(cafile=str(ca))
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.poll() is None, (d / "server.log").read_text()
        try:
            with urllib.request.urlopen(addr + "/v1/sys/seal-status", context=ctx, timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    yield {"addr": addr, "port": port, "ca": ca, "dir": d}
    proc.terminate()
    proc.wait(timeout=10)


def s_client_cipher(port, ciphers):
    """The TLS 1.2 suite the server picks when the client offers `ciphers` in that order of preference."""
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-cipher", ciphers], input="", capture_output=True,
        text=True, timeout=20,
    ).stdout
    m = re.search(r"Cipher is (\S+)", out) or re.search(r"Cipher\s*:\s*(\S+)", out)
    assert m, out
    return m.group(1)


def test_server_cipher_order_is_honoured(ca_server):
    port = ca_server["port"]
    # The client prefers ChaCha20, then AES-256: the server still picks its first choice, AES-128-GCM.
    assert s_client_cipher(port, "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256") == \
        "ECDHE-ECDSA-AES128-GCM-SHA256"
    # Without AES-128 offered, AES-256-GCM comes before ChaCha20 whatever the client's order.
    assert s_client_cipher(port, "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384") == "ECDHE-ECDSA-AES256-GCM-SHA384"
    # A client offering ChaCha20 alone still gets it.
    assert s_client_cipher(port, "ECDHE-ECDSA-CHACHA20-POLY1305") == "ECDHE-ECDSA-CHACHA20-POLY1305"
    # CBC suites are not served.
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384"],
        input="", capture_output=True, text=True, timeout=20,
    )
    assert "Cipher is (NONE)" in out.stdout or "handshake failure" in out.stderr, out


def response_headers(url, **kwargs):
    req = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(req, timeout=5, **kwargs) as r:
            return r.headers
    except urllib.error.HTTPError as e:
        return e.headers


def test_hsts_on_https_only(ca_server, coffer_server):
    ctx = ssl.create_default_context(cafile=str(ca_server["ca"]))
    for path in ("/v1/sys/seal-status", "/v1/sys/nonexistent", "/v1/secret/data/x"):
        headers = response_headers(ca_server["addr"] + path, context=ctx)
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", (path, headers)
    # The plain-HTTP dev listener sends none.
    headers = response_headers(coffer_server["addr"] + "/v1/sys/seal-status")
    assert "Strict-Transport-Security" not in headers


def test_testssl_finds_nothing_medium_or_above(ca_server):
    assert shutil.which("testssl"), "testssl.sh is installed by .ci/run"
    report = ca_server["dir"] / "testssl.json"
    # --add-ca: the local CA is the trust anchor (the chain of trust is otherwise rated CRITICAL).
    p = subprocess.run(
        ["testssl", "--quiet", "--color", "0", "--add-ca", str(ca_server["ca"]), "--jsonfile", str(report),
         f"https://127.0.0.1:{ca_server['port']}"],
        capture_output=True, text=True, timeout=1200, cwd=ca_server["dir"],
    )
    (ca_server["dir"] / "testssl.txt").write_text(p.stdout)
    findings = json.loads(report.read_text())
    serious = [(f["severity"], f["id"], f["finding"]) for f in findings if f.get("severity") in ("MEDIUM", "HIGH", "CRITICAL")]
    assert serious == [], serious
    assert any(f["id"] == "cipher_order" and f["severity"] == "OK" for f in findings), [f for f in findings if "order" in f["id"]]
    assert any(f["id"] == "HSTS_time" and f["severity"] == "OK" for f in findings), [f for f in findings if "HSTS" in f["id"]]
