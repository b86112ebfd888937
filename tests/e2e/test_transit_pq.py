"""Transit ML-DSA-44, XChaCha20-Poly1305 and SHA-224 / SHA3-224 against the real `coffer` binary, checked with Python
`cryptography` and `hashlib` (OpenSSL, an implementation independent of the BoringSSL inside Coffer)."""
import base64
import hashlib
import hmac
import uuid

import pytest

from conftest import http

crypto = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: E402

try:
    from cryptography.hazmat.primitives.asymmetric import mldsa  # noqa: E402
except ImportError:  # cryptography < 47
    mldsa = None

MESSAGE = b"post-quantum hello"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture(scope="module")
def transit(coffer_server):
    mount = "transit-pq-" + uuid.uuid4().hex[:8]
    status, body = http(coffer_server["addr"], "POST", f"sys/mounts/{mount}", {"type": "transit"}, token=coffer_server["token"])
    assert status == 204, body
    return {**coffer_server, "mount": mount}


def call(t, method, path, body=None):
    return http(t["addr"], method, f"{t['mount']}/{path}", body, token=t["token"], timeout=60)


def ok(t, method, path, body=None):
    status, resp = call(t, method, path, body)
    assert status in (200, 204), (path, status, resp)
    return resp["data"] if resp else None


def sig_bytes(signature: str) -> bytes:
    assert signature.startswith("vault:v1:")
    return unb64(signature[len("vault:v1:"):])


@pytest.mark.skipif(mldsa is None, reason="cryptography without ML-DSA")
def test_mldsa44_interop(transit):
    ok(transit, "POST", "keys/m44", {"type": "mldsa-44", "exportable": True})
    read = ok(transit, "GET", "keys/m44")
    assert read["type"] == "mldsa-44" and read["keys"]["1"]["name"] == "mldsa-44"
    public = mldsa.MLDSA44PublicKey.from_public_bytes(unb64(read["keys"]["1"]["public_key"]))
    # Coffer's signature verifies in Python (raises InvalidSignature otherwise).
    sig = ok(transit, "POST", "sign/m44", {"input": b64(MESSAGE)})["signature"]
    assert len(sig_bytes(sig)) == 2420
    public.verify(sig_bytes(sig), MESSAGE)
    # The exported seed is the FIPS 204 seed: Python derives the same public key from it.
    seed = unb64(ok(transit, "GET", "export/signing-key/m44")["keys"]["1"])
    assert mldsa.MLDSA44PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw() == public.public_bytes_raw()
    # Python's signature verifies in Coffer; a changed message does not.
    python_key = mldsa.MLDSA44PrivateKey.from_seed_bytes(seed)
    theirs = "vault:v1:" + b64(python_key.sign(MESSAGE))
    assert ok(transit, "POST", "verify/m44", {"input": b64(MESSAGE), "signature": theirs})["valid"] is True
    assert ok(transit, "POST", "verify/m44", {"input": b64(MESSAGE + b"!"), "signature": theirs})["valid"] is False


def test_xchacha20_round_trip_and_format(transit):
    ok(transit, "POST", "keys/x", {"type": "xchacha20-poly1305"})
    ct = ok(transit, "POST", "encrypt/x", {"plaintext": b64(MESSAGE), "associated_data": b64(b"ad")})["ciphertext"]
    assert len(sig_bytes(ct)) == 24 + len(MESSAGE) + 16
    assert unb64(ok(transit, "POST", "decrypt/x", {"ciphertext": ct, "associated_data": b64(b"ad")})["plaintext"]) == MESSAGE
    status, body = call(transit, "POST", "decrypt/x", {"ciphertext": ct, "associated_data": b64(b"other")})
    assert status == 400 and body["errors"] == ["chacha20poly1305: message authentication failed"]


def test_sha224_hash_and_hmac(transit):
    for alg, fn in (("sha2-224", hashlib.sha224), ("sha3-224", hashlib.sha3_224)):
        assert ok(transit, "POST", f"hash/{alg}", {"input": b64(MESSAGE)})["sum"] == fn(MESSAGE).hexdigest()
    ok(transit, "POST", "keys/h", {"type": "aes256-gcm96", "exportable": True})
    hmac_key = unb64(ok(transit, "GET", "export/hmac-key/h")["keys"]["1"])
    for alg, fn in (("sha2-224", hashlib.sha224), ("sha3-224", hashlib.sha3_224)):
        mac = ok(transit, "POST", f"hmac/h/{alg}", {"input": b64(MESSAGE)})["hmac"]
        assert sig_bytes(mac) == hmac.new(hmac_key, MESSAGE, fn).digest()


def test_sha224_signatures_verify_in_python(transit):
    ok(transit, "POST", "keys/ec", {"type": "ecdsa-p256"})
    ec_public = serialization.load_pem_public_key(ok(transit, "GET", "keys/ec")["keys"]["1"]["public_key"].encode())
    for alg, h in (("sha2-224", hashes.SHA224()), ("sha3-224", hashes.SHA3_224())):
        sig = ok(transit, "POST", f"sign/ec/{alg}", {"input": b64(MESSAGE)})["signature"]
        ec_public.verify(sig_bytes(sig), MESSAGE, ec.ECDSA(h))
    ok(transit, "POST", "keys/rsa", {"type": "rsa-2048"})
    rsa_public = serialization.load_pem_public_key(ok(transit, "GET", "keys/rsa")["keys"]["1"]["public_key"].encode())
    pss = ok(transit, "POST", "sign/rsa/sha2-224", {"input": b64(MESSAGE)})["signature"]
    rsa_public.verify(sig_bytes(pss), MESSAGE, padding.PSS(padding.MGF1(hashes.SHA224()), padding.PSS.AUTO), hashes.SHA224())
    v15 = ok(transit, "POST", "sign/rsa/sha2-224", {"input": b64(MESSAGE), "signature_algorithm": "pkcs1v15"})["signature"]
    rsa_public.verify(sig_bytes(v15), MESSAGE, padding.PKCS1v15(), hashes.SHA224())
    # And Python's SHA-224 signatures verify in Coffer only under sha2-224.
    key = ec.generate_private_key(ec.SECP256R1())
    ok(transit, "POST", "keys/ecpub/import", {"type": "ecdsa-p256", "public_key": key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()})
    theirs = "vault:v1:" + b64(key.sign(MESSAGE, ec.ECDSA(hashes.SHA224())))
    assert ok(transit, "POST", "verify/ecpub/sha2-224", {"input": b64(MESSAGE), "signature": theirs})["valid"] is True
    assert ok(transit, "POST", "verify/ecpub/sha2-256", {"input": b64(MESSAGE), "signature": theirs})["valid"] is False
