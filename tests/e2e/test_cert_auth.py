"""The `cert` auth method end to end: a TLS listener asks for (without requiring or checking) a client certificate,
and `auth/cert/login` verifies the one presented against the roles' CAs, as OpenBao does."""
import json
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import coffer_bin, free_port
from test_tls import make_local_ca

CLIENT_EXTENSIONS = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=DNS:client.example.com
"""


def make_client_ca(d, name):
    """A CA and a client certificate it signed (CN=`name`-client), as PEM files in `d`."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}-ca.key",
            "-out", f"{name}-ca.pem", "-days", "30", "-subj", f"/CN={name} CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}-client.key",
            "-out", f"{name}-client.csr", "-subj", f"/CN={name}-client/OU=eng")
    (d / "client.cnf").write_text(CLIENT_EXTENSIONS)
    openssl("x509", "-req", "-in", f"{name}-client.csr", "-CA", f"{name}-ca.pem", "-CAkey", f"{name}-ca.key", "-CAcreateserial",
            "-out", f"{name}-client.pem", "-days", "5", "-extfile", "client.cnf")
    return d / f"{name}-ca.pem", d / f"{name}-client.pem", d / f"{name}-client.key"


def call(addr, ca, method, path, body=None, token=None, client=None):
    """One HTTPS request, with the client certificate `client` = (cert, key) if given; (status, JSON or None)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    if client:
        ctx.load_cert_chain(str(client[0]), str(client[1]))
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(addr + "/v1/" + path, data=data, method=method)
    if token:
        req.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


@pytest.fixture(scope="module")
def cert_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("certauth")
    server_ca, server_cert, server_key = make_local_ca(d)
    trusted = make_client_ca(d, "trusted")
    stranger = make_client_ca(d, "stranger")
    port = free_port()
    cfg = d / "coffer.hcl"
    cfg.write_text(
        f'storage "inmem" {{}}\nlistener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
        f'  tls_cert_file = "{server_cert}"\n  tls_key_file = "{server_key}"\n}}\n'
    )
    addr = f"https://127.0.0.1:{port}"
    proc = subprocess.Popen([coffer_bin(), "server", f"-config={cfg}"], stdout=open(d / "server.log", "ab"), stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while True:
        assert proc.poll() is None, (d / "server.log").read_text()
        try:
            if call(addr, server_ca, "GET", "sys/seal-status")[0] == 200:
                break
        except OSError:
            assert time.time() < deadline, "coffer did not become ready"
            time.sleep(0.1)
    status, init = call(addr, server_ca, "PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    assert status == 200, init
    status, body = call(addr, server_ca, "PUT", "sys/unseal", {"key": init["keys"][0]})
    assert status == 200 and body["sealed"] is False, body
    root = init["root_token"]
    status, body = call(addr, server_ca, "POST", "sys/auth/cert", {"type": "cert"}, token=root)
    assert status == 204, body
    status, body = call(addr, server_ca, "POST", "auth/cert/certs/web", {
        "certificate": trusted[0].read_text(), "token_policies": "app", "token_ttl": "1h", "allowed_common_names": "trusted-*",
    }, token=root)
    assert status == 204, body
    yield {"addr": addr, "ca": server_ca, "root": root, "trusted": trusted[1:], "stranger": stranger[1:], "dir": d}
    proc.terminate()
    proc.wait(timeout=10)


def test_role_reads_back_as_openbao_shows_it(cert_server):
    s = cert_server
    status, body = call(s["addr"], s["ca"], "GET", "auth/cert/certs/web", token=s["root"])
    assert status == 200, body
    d = body["data"]
    assert d["display_name"] == "web" and d["token_policies"] == ["app"] and d["token_ttl"] == 3600
    assert d["allowed_common_names"] == ["trusted-*"] and d["allowed_dns_sans"] is None
    status, body = call(s["addr"], s["ca"], "LIST", "auth/cert/certs", token=s["root"])
    assert status == 200 and body["data"]["keys"] == ["web"], body


def test_login_with_a_client_certificate_of_the_role_ca(cert_server):
    s = cert_server
    status, body = call(s["addr"], s["ca"], "POST", "auth/cert/login", {"name": "web"}, client=s["trusted"])
    assert status == 200, body
    auth = body["auth"]
    assert auth["policies"] == ["app", "default"] and auth["lease_duration"] == 3600 and auth["renewable"] is True
    assert auth["metadata"]["cert_name"] == "web" and auth["metadata"]["common_name"] == "trusted-client"
    token = auth["client_token"]
    status, body = call(s["addr"], s["ca"], "GET", "auth/token/lookup-self", token=token)
    assert status == 200 and body["data"]["display_name"] == "cert-web" and body["data"]["path"] == "auth/cert/login", body
    # Renewal must present a certificate that still matches the role; without one it is refused as OpenBao does.
    status, body = call(s["addr"], s["ca"], "POST", "auth/token/renew-self", {}, token=token, client=s["trusted"])
    assert status == 200 and body["auth"]["lease_duration"] == 3600, body
    status, body = call(s["addr"], s["ca"], "POST", "auth/token/renew-self", {}, token=token)
    assert (status, body) == (400, {"errors": ["no client certificate found"]})


def test_login_with_curl_cert_and_key(cert_server):
    s = cert_server
    cert, key = s["trusted"]
    out = subprocess.run(
        ["curl", "-s", "--cacert", str(s["ca"]), "--cert", str(cert), "--key", str(key), "-X", "POST", s["addr"] + "/v1/auth/cert/login"],
        capture_output=True, text=True, timeout=30,
    )
    body = json.loads(out.stdout)
    assert body["auth"]["metadata"]["cert_name"] == "web", out


def test_client_of_another_ca_or_none_is_refused(cert_server):
    s = cert_server
    status, body = call(s["addr"], s["ca"], "POST", "auth/cert/login", {}, client=s["stranger"])
    assert (status, body) == (400, {"errors": ["invalid certificate or no client certificate supplied"]})
    status, body = call(s["addr"], s["ca"], "POST", "auth/cert/login", {})
    assert (status, body) == (400, {"errors": ["no client certificate found"]})
    # A client certificate is still optional for everything else.
    status, _ = call(s["addr"], s["ca"], "GET", "sys/seal-status", client=s["stranger"])
    assert status == 200
