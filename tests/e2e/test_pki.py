"""The PKI engine against outside tools: a root and an intermediate CA on two mounts, a leaf from the intermediate that
`openssl verify` accepts with the root, a TLS server (Python's ssl) presenting the leaf that `curl --cacert` trusts,
revocation that `openssl crl` shows, and OpenBao's errors for bad input."""
import json
import os
import socket
import ssl
import subprocess
import threading

import hvac
import pytest

from conftest import Server, free_port, http


@pytest.fixture
def dev(tmp_path):
    port = free_port()
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
               f"http://127.0.0.1:{port}", tmp_path / "server.log").start()
    yield s
    s.stop()


def openssl(*args, stdin=None):
    r = subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


@pytest.fixture
def chain(dev, tmp_path):
    """root mount (pki-root), intermediate mount (pki-int) signed by it, role `web` on the intermediate."""
    c = hvac.Client(url=dev.addr, token="root")
    c.sys.enable_secrets_engine("pki", path="pki-root")
    c.sys.enable_secrets_engine("pki", path="pki-int")
    root = c.secrets.pki.generate_root("internal", "Coffer Test Root", extra_params={"ttl": "720h", "key_type": "ec"},
                                       mount_point="pki-root")["data"]
    csr = c.secrets.pki.generate_intermediate("internal", "Coffer Test Intermediate", mount_point="pki-int")["data"]["csr"]
    signed = c.secrets.pki.sign_intermediate(csr, "Coffer Test Intermediate", extra_params={"ttl": "240h"},
                                             mount_point="pki-root")["data"]
    # The signed certificate with the root after it, as OpenBao's documentation imports it: the mount then knows its
    # whole chain (the root as an issuer without a key).
    imported = c.secrets.pki.set_signed_intermediate(signed["certificate"] + "\n" + root["certificate"], mount_point="pki-int")["data"]
    assert len(imported["imported_issuers"]) == 2, imported
    c.secrets.pki.set_urls({"crl_distribution_points": [f"{dev.addr}/v1/pki-int/crl"],
                            "issuing_certificates": [f"{dev.addr}/v1/pki-int/ca"]}, mount_point="pki-int")
    c.secrets.pki.create_or_update_role("web", extra_params={"allowed_domains": "example.test", "allow_subdomains": True,
                                                             "max_ttl": "72h"}, mount_point="pki-int")
    (tmp_path / "root.pem").write_text(root["certificate"])
    (tmp_path / "int.pem").write_text(signed["certificate"])
    return c, tmp_path


def test_openssl_verifies_an_issued_chain_and_curl_trusts_a_server_using_it(dev, chain):
    c, tmp = chain
    leaf = c.secrets.pki.generate_certificate("web", "www.example.test", extra_params={"ttl": "1h", "alt_names": "api.example.test"},
                                              mount_point="pki-int")["data"]
    (tmp / "leaf.pem").write_text(leaf["certificate"])
    (tmp / "leaf.key").write_text(leaf["private_key"])
    assert leaf["private_key_type"] == "rsa"
    assert leaf["issuing_ca"] == (tmp / "int.pem").read_text()
    assert leaf["ca_chain"] == [(tmp / "int.pem").read_text(), (tmp / "root.pem").read_text()]
    rc, out = openssl("verify", "-CAfile", str(tmp / "root.pem"), "-untrusted", str(tmp / "int.pem"), str(tmp / "leaf.pem"))
    assert rc == 0 and "OK" in out, out
    rc, text = openssl("x509", "-in", str(tmp / "leaf.pem"), "-noout", "-text")
    assert "DNS:www.example.test" in text and "DNS:api.example.test" in text, text
    assert "TLS Web Server Authentication" in text and f"{dev.addr}/v1/pki-int/crl" in text, text
    # The intermediate's chain from the intermediate mount: itself, then the root.
    status, body = http(dev.addr, "GET", "pki-int/cert/ca_chain")
    assert status == 200 and body["data"]["ca_chain"].count("BEGIN CERTIFICATE") == 2

    # A TLS server with the leaf; curl trusts it with the root (the server sends the intermediate too).
    (tmp / "server-chain.pem").write_text(leaf["certificate"] + "\n" + (tmp / "int.pem").read_text())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tmp / "server-chain.pem"), str(tmp / "leaf.key"))
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        with ctx.wrap_socket(conn, server_side=True) as s:
            s.recv(4096)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    r = subprocess.run(["curl", "-sS", "--cacert", str(tmp / "root.pem"), "--resolve", f"www.example.test:{port}:127.0.0.1",
                        f"https://www.example.test:{port}/"], capture_output=True, text=True, timeout=30)
    t.join(timeout=10)
    srv.close()
    assert r.returncode == 0 and r.stdout == "hello", r.stderr


def test_revocation_shows_in_the_crl(dev, chain):
    c, tmp = chain
    keep = c.secrets.pki.generate_certificate("web", "keep.example.test", mount_point="pki-int")["data"]
    gone = c.secrets.pki.generate_certificate("web", "gone.example.test", mount_point="pki-int")["data"]
    rv = c.secrets.pki.revoke_certificate(gone["serial_number"], mount_point="pki-int")["data"]
    assert rv["state"] == "revoked" and rv["revocation_time"] > 0
    status, body = http(dev.addr, "GET", f"pki-int/cert/{gone['serial_number']}")
    assert status == 200 and body["data"]["revocation_time"] == rv["revocation_time"]
    assert body["data"]["issuer_id"]
    # The CRL (PEM, unauthenticated) lists the revoked serial only, signed by the intermediate.
    import urllib.request
    pem = urllib.request.urlopen(f"{dev.addr}/v1/pki-int/crl/pem").read().decode()
    (tmp / "crl.pem").write_text(pem)
    rc, text = openssl("crl", "-in", str(tmp / "crl.pem"), "-noout", "-text", "-CAfile", str(tmp / "int.pem"))
    assert rc == 0 and "verify OK" in text, text
    serial_hex = lambda s: s.replace(":", "").upper().lstrip("0")
    assert serial_hex(gone["serial_number"]) in text.replace(":", "").upper(), text
    assert serial_hex(keep["serial_number"]) not in text.replace(":", "").upper()
    # DER from /crl is the same list.
    der = urllib.request.urlopen(f"{dev.addr}/v1/pki-int/crl").read()
    (tmp / "crl.der").write_bytes(der)
    rc, text2 = openssl("crl", "-inform", "DER", "-in", str(tmp / "crl.der"), "-noout", "-text")
    assert rc == 0 and serial_hex(gone["serial_number"]) in text2.replace(":", "").upper()
    # openssl verify with CRL checking: the revoked leaf fails, the other passes.
    (tmp / "gone.pem").write_text(gone["certificate"])
    (tmp / "keep.pem").write_text(keep["certificate"])
    (tmp / "trust.pem").write_text((tmp / "root.pem").read_text() + "\n" + (tmp / "int.pem").read_text() + "\n")
    rc, out = openssl("verify", "-crl_check", "-CAfile", str(tmp / "trust.pem"), "-CRLfile", str(tmp / "crl.pem"), str(tmp / "gone.pem"))
    assert rc != 0 and "revoked" in out, out
    rc, out = openssl("verify", "-crl_check", "-CAfile", str(tmp / "trust.pem"), "-CRLfile", str(tmp / "crl.pem"), str(tmp / "keep.pem"))
    assert rc == 0, out


def test_delta_crl_with_auto_rebuild(dev, chain):
    c, tmp = chain
    c.secrets.pki.set_crl_configuration(extra_params={"auto_rebuild": True, "enable_delta": True}, mount_point="pki-int")
    gone = c.secrets.pki.generate_certificate("web", "d.example.test", mount_point="pki-int")["data"]
    c.secrets.pki.revoke_certificate(gone["serial_number"], mount_point="pki-int")
    import urllib.request
    (tmp / "delta.pem").write_text(urllib.request.urlopen(f"{dev.addr}/v1/pki-int/crl/delta/pem").read().decode())
    (tmp / "full.pem").write_text(urllib.request.urlopen(f"{dev.addr}/v1/pki-int/crl/pem").read().decode())
    rc, delta = openssl("crl", "-in", str(tmp / "delta.pem"), "-noout", "-text", "-CAfile", str(tmp / "int.pem"))
    rc2, full = openssl("crl", "-in", str(tmp / "full.pem"), "-noout", "-text")
    assert rc == 0 and "verify OK" in delta and "Delta CRL Indicator: critical" in delta, delta
    serial = gone["serial_number"].replace(":", "").upper().lstrip("0")
    assert serial in delta.replace(":", "").upper() and serial not in full.replace(":", "").upper()
    base = full.split("CRL Number:")[1].split()[0]
    assert delta.split("Delta CRL Indicator: critical")[1].split()[0] == base, (delta, full)


def test_openssl_ocsp_says_revoked_and_good(dev, chain):
    c, tmp = chain
    keep = c.secrets.pki.generate_certificate("web", "keep.example.test", mount_point="pki-int")["data"]
    gone = c.secrets.pki.generate_certificate("web", "gone.example.test", mount_point="pki-int")["data"]
    c.secrets.pki.revoke_certificate(gone["serial_number"], mount_point="pki-int")
    (tmp / "gone.pem").write_text(gone["certificate"])
    (tmp / "keep.pem").write_text(keep["certificate"])
    (tmp / "trust.pem").write_text((tmp / "root.pem").read_text() + "\n" + (tmp / "int.pem").read_text() + "\n")
    url = f"{dev.addr}/v1/pki-int/ocsp"
    # POST (openssl's default), with a nonce that the response echoes; the response verifies against the chain.
    rc, out = openssl("ocsp", "-issuer", str(tmp / "int.pem"), "-cert", str(tmp / "gone.pem"), "-cert", str(tmp / "keep.pem"),
                      "-url", url, "-CAfile", str(tmp / "trust.pem"))
    assert rc == 0 and "Response verify OK" in out, out
    assert f"{tmp / 'gone.pem'}: revoked" in out and f"{tmp / 'keep.pem'}: good" in out, out
    # A serial this mount never issued: unknown.
    rc, out = openssl("ocsp", "-issuer", str(tmp / "int.pem"), "-serial", "0x1234", "-url", url, "-CAfile", str(tmp / "trust.pem"))
    assert rc == 0 and "0x1234: unknown" in out, out
    # GET with the request in the path (base64, URL-encoded), as RFC 6960 appendix A allows.
    rc, out = openssl("ocsp", "-issuer", str(tmp / "int.pem"), "-cert", str(tmp / "gone.pem"), "-reqout", str(tmp / "req.der"), "-no_nonce")
    import base64, urllib.parse, urllib.request
    req = urllib.parse.quote(base64.b64encode((tmp / "req.der").read_bytes()).decode(), safe="")
    body = urllib.request.urlopen(f"{url}/{req}").read()
    (tmp / "resp.der").write_bytes(body)
    rc, out = openssl("ocsp", "-respin", str(tmp / "resp.der"), "-issuer", str(tmp / "int.pem"), "-cert", str(tmp / "gone.pem"),
                      "-CAfile", str(tmp / "trust.pem"), "-no_nonce")
    assert rc == 0 and "revoked" in out, out
    # A request from another CA: unauthorized; garbage: malformed.
    import urllib.error
    r = urllib.request.Request(url, data=b"not der", headers={"Content-Type": "application/ocsp-request"})
    body = urllib.request.urlopen(r).read()
    assert body == bytes([0x30, 0x03, 0x0A, 0x01, 0x01]), body


def test_openbao_errors_for_bad_input(dev, chain):
    c, tmp = chain
    status, body = http(dev.addr, "POST", "pki-int/issue/web", {"common_name": "evil.other.test"}, token="root")
    assert status == 400 and body["errors"] == ["common name evil.other.test not allowed by this role"], body
    status, body = http(dev.addr, "POST", "pki-int/issue/web", {"common_name": "a.example.test", "alt_names": "b.other.test"}, token="root")
    assert status == 400 and "subject alternate name b.other.test not allowed by this role" in body["errors"][0], body
    status, body = http(dev.addr, "POST", "pki-int/sign/web", {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "common_name": "a.example.test"}, token="root")
    assert status == 400, body
    status, body = http(dev.addr, "POST", "pki-int/issuer/nope/issue/web", {"common_name": "a.example.test"}, token="root")
    assert status == 500 and "unable to find PKI issuer for reference: nope" in body["errors"][0], body
    # A TTL past the issuer's expiry (the intermediate lives 240h; the role allows 72h, so ask the root mount).
    c.secrets.pki.create_or_update_role("long", extra_params={"allow_any_name": True, "max_ttl": "8760h"}, mount_point="pki-root")
    status, body = http(dev.addr, "POST", "pki-root/issue/long", {"common_name": "x.example.test", "ttl": "8000h"}, token="root")
    assert status == 400 and "beyond the expiration of the CA certificate" in body["errors"][0], body
    # Private keys of issued certificates are not kept: the stored certificate has no key.
    leaf = c.secrets.pki.generate_certificate("web", "k.example.test", mount_point="pki-int")["data"]
    status, body = http(dev.addr, "GET", f"pki-int/cert/{leaf['serial_number']}")
    assert "PRIVATE KEY" not in json.dumps(body)
    assert leaf["private_key"].splitlines()[1] not in open(dev.log_path).read()


def test_leased_certificate_is_revoked_with_its_lease(dev, chain):
    c, tmp = chain
    c.secrets.pki.create_or_update_role("leased", extra_params={"allowed_domains": "example.test", "allow_subdomains": True,
                                                                "generate_lease": True, "ttl": "1h"}, mount_point="pki-int")
    resp = c.secrets.pki.generate_certificate("leased", "l.example.test", mount_point="pki-int")
    assert resp["lease_id"].startswith("pki-int/issue/leased/"), resp
    assert resp["lease_duration"] > 3000
    c.sys.revoke_lease(resp["lease_id"])
    status, body = http(dev.addr, "GET", f"pki-int/cert/{resp['data']['serial_number']}")
    assert status == 200 and body["data"]["revocation_time"] > 0, body
