"""TLS on the tcp listener: the embedded default generates a certificate and serves HTTPS only, TLS 1.2 or newer,
AEAD suites, and requests (without requiring) a client certificate."""
import json
import shutil
import socket
import ssl
import subprocess
import time
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
