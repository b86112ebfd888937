"""The PKI engine's ACME server against certbot: a dev server with a root CA on `pki`, ACME enabled, and certbot in
standalone mode obtaining a certificate for `localhost` (http-01 on 127.0.0.1:80, so the test runs as root), which
`openssl verify` accepts with the root; then the same through a role's directory, a role that refuses the name,
revocation through ACME, and the wire details certbot does not look at (HEAD new-nonce, problem documents).

certbot refuses IP identifiers and accepts the single-label name `localhost`; it talks plain HTTP to the directory
given with `--server` (no `--no-verify-ssl` needed). The ACME URLs come from `config/cluster`'s `path`, set to the
server's own address."""
import base64
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import Server, free_port, http

pytestmark = [
    pytest.mark.skipif(shutil.which("certbot") is None, reason="certbot is not installed (apt-get install certbot)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="http-01 validation needs port 80"),
]


@pytest.fixture
def acme(tmp_path):
    port = free_port()
    addr = f"http://127.0.0.1:{port}"
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"], addr,
               tmp_path / "server.log").start()
    try:
        assert http(addr, "POST", "sys/mounts/pki", {"type": "pki"}, token="root")[0] == 204
        st, body = http(addr, "POST", "pki/root/generate/internal",
                        {"common_name": "Coffer ACME Root", "ttl": "8760h", "key_type": "ec"}, token="root")
        assert st == 200, body
        (tmp_path / "root.pem").write_text(body["data"]["certificate"])
        assert http(addr, "POST", "pki/config/cluster", {"path": f"{addr}/v1/pki"}, token="root")[0] == 200
        st, body = http(addr, "POST", "pki/config/acme", {"enabled": True}, token="root")
        assert st == 200 and body["data"]["enabled"] is True, body
        yield s, tmp_path
    finally:
        s.stop()


def certbot(directory, workdir, *extra):
    cmd = ["certbot", "certonly", "--standalone", "--non-interactive", "--agree-tos", "-m", "t@example.com",
           "--server", directory, "-d", "localhost", "--config-dir", str(workdir), "--work-dir", str(workdir),
           "--logs-dir", str(workdir), "--http-01-address", "127.0.0.1", "--http-01-port", "80", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    return r.returncode, r.stdout + r.stderr


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def test_certbot_obtains_a_certificate_that_openssl_verifies_and_revokes_it(acme):
    s, tmp = acme
    rc, out = certbot(f"{s.addr}/v1/pki/acme/directory", tmp / "cb")
    assert rc == 0, out
    cert = tmp / "cb" / "live" / "localhost" / "cert.pem"
    rc, out = openssl("verify", "-CAfile", str(tmp / "root.pem"), str(cert))
    assert rc == 0 and ": OK" in out, out
    rc, out = openssl("x509", "-in", str(cert), "-noout", "-ext", "subjectAltName,extendedKeyUsage")
    assert "DNS:localhost" in out and "TLS Web Server Authentication" in out, out
    # fullchain.pem: the leaf and the root.
    assert (tmp / "cb" / "live" / "localhost" / "fullchain.pem").read_text().count("BEGIN CERTIFICATE") == 2

    # Revoked through ACME (signed by the account): the serial is in the mount's revoked list.
    serial = openssl("x509", "-in", str(cert), "-noout", "-serial")[1].strip().split("=")[1].lower()
    r = subprocess.run(["certbot", "revoke", "--non-interactive", "--server", f"{s.addr}/v1/pki/acme/directory",
                        "--cert-path", str(cert), "--no-delete-after-revoke", "--config-dir", str(tmp / "cb"),
                        "--work-dir", str(tmp / "cb"), "--logs-dir", str(tmp / "cb")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    st, body = http(s.addr, "LIST", "pki/certs/revoked", token="root")
    assert st == 200, body
    assert [k.replace(":", "") for k in body["data"]["keys"]] == [serial]


def test_certbot_through_a_role_directory_and_a_role_that_refuses_the_name(acme):
    s, tmp = acme
    # certbot's certificate key is ECDSA: the role takes any key type.
    assert http(s.addr, "POST", "pki/roles/web", {"key_type": "any", "allow_localhost": True, "ttl": "2h"},
                token="root")[0] in (200, 204)
    assert http(s.addr, "POST", "pki/roles/strict", {"key_type": "any", "allow_localhost": False,
                                                     "allowed_domains": "example.test"}, token="root")[0] in (200, 204)
    rc, out = certbot(f"{s.addr}/v1/pki/roles/web/acme/directory", tmp / "web")
    assert rc == 0, out
    cert = tmp / "web" / "live" / "localhost" / "cert.pem"
    assert openssl("verify", "-CAfile", str(tmp / "root.pem"), str(cert))[0] == 0
    # Server auth only (the role's client auth is dropped: allow_role_ext_key_usage is false), as OpenBao does.
    eku = openssl("x509", "-in", str(cert), "-noout", "-ext", "extendedKeyUsage")[1]
    assert "TLS Web Server Authentication" in eku and "Client" not in eku, eku
    # The role's TTL (2h) applies.
    assert openssl("x509", "-in", str(cert), "-noout", "-checkend", str(3 * 3600))[0] == 1
    assert openssl("x509", "-in", str(cert), "-noout", "-checkend", str(3600))[0] == 0

    rc, out = certbot(f"{s.addr}/v1/pki/roles/strict/acme/directory", tmp / "strict")
    assert rc != 0
    # certbot 2.1 (Debian 12) fails to print some ACME errors (josepy's "can't set attribute"): its log holds them.
    log = (tmp / "strict" / "letsencrypt.log").read_text()
    assert "urn:ietf:params:acme:error:rejectedIdentifier" in log and "not allowed by this role" in log, out


def raw(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_wire_details(acme):
    s, _ = acme
    base = f"{s.addr}/v1/pki/acme/"
    st, headers, body = raw("HEAD", base + "new-nonce")
    assert st == 200 and body == b"" and headers.get("Replay-Nonce"), headers
    assert headers.get("Cache-Control") == "no-store"
    st, headers, body = raw("GET", base + "new-nonce")
    assert st == 204 and headers.get("Replay-Nonce"), headers
    assert headers.get("Link") == f'<{base}directory>;rel="index"'

    # A JWS with a nonce the server never issued: badNonce, with a fresh nonce to retry with.
    protected = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "nonce": "bogus", "url": base + "new-account",
                                                      "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}).encode()).rstrip(b"=")
    jws = json.dumps({"protected": protected.decode(), "payload": "", "signature": "AA"}).encode()
    st, headers, body = raw("POST", base + "new-account", jws, {"Content-Type": "application/jose+json"})
    assert st == 400, body
    assert headers.get("Content-Type") == "application/problem+json"
    assert json.loads(body)["type"] == "urn:ietf:params:acme:error:badNonce"
    assert headers.get("Replay-Nonce")

    # No Vault token is needed, and none helps once ACME is disabled.
    assert http(s.addr, "POST", "pki/config/acme", {"enabled": False}, token="root")[0] == 200
    st, headers, body = raw("GET", base + "directory")
    assert st == 404 and json.loads(body)["detail"] == "ACME feature is disabled"

    # An unknown default policy is refused, as OpenBao refuses it (a 500, its handler's plain error).
    st, body = http(s.addr, "POST", "pki/config/acme", {"default_directory_policy": "nope"}, token="root")
    assert st == 500 and "not a valid Default Directory Policy" in body["errors"][0], body
