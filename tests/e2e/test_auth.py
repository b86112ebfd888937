"""Auth methods through the real binary: userpass lockout (NIST 800-63B throttling), approle login, identity."""
import time
import uuid

from conftest import http


def enable(addr, token, path, type_, **extra):
    status, body = http(addr, "POST", f"sys/auth/{path}", {"type": type_, **extra}, token)
    assert status == 204, body


def test_userpass_lockout_and_recovery(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    path = "up" + uuid.uuid4().hex[:8]
    enable(addr, root, path, "userpass")
    status, body = http(addr, "POST", f"sys/auth/{path}/tune",
                        {"user_lockout_config": {"lockout_threshold": 3, "lockout_duration": "3s", "lockout_counter_reset": "60s"}}, root)
    assert status == 204, body
    status, body = http(addr, "POST", f"auth/{path}/users/bob", {"password": "correct horse battery", "token_policies": "default"}, root)
    assert status == 204, body
    status, body = http(addr, "POST", f"auth/{path}/users/short", {"password": "1234567"}, root)
    assert status == 400, "NIST 800-63B: fewer than 8 characters is refused"
    long_pw = "ü " * 40  # 80 characters, spaces and non-ASCII allowed
    status, body = http(addr, "POST", f"auth/{path}/users/longpw", {"password": long_pw}, root)
    assert status == 204, body
    status, body = http(addr, "POST", f"auth/{path}/login/longpw", {"password": long_pw})
    assert status == 200, body
    status, body = http(addr, "POST", f"auth/{path}/login/longpw", {"password": long_pw[:-2] + "x "})
    assert status == 400, "every character of a long password counts"

    for _ in range(3):
        status, body = http(addr, "POST", f"auth/{path}/login/bob", {"password": "wrong password"})
        assert status == 400 and body["errors"] == ["invalid username or password"]
    # Locked: even the right password gets the same error as a wrong one.
    status, body = http(addr, "POST", f"auth/{path}/login/bob", {"password": "correct horse battery"})
    assert status == 400 and body["errors"] == ["invalid username or password"]
    status, body = http(addr, "GET", "sys/locked-users", token=root)
    assert status == 200 and body["data"]["total"] >= 1, body
    accessors = body["data"]["by_namespace"][0]["mount_accessors"]
    assert any("bob" in a["alias_identifiers"] for a in accessors)
    # An unknown user gets the same answer as a wrong password.
    status, body = http(addr, "POST", f"auth/{path}/login/nobody", {"password": "whatever123"})
    assert status == 400 and body["errors"] == ["invalid username or password"]
    time.sleep(3.2)
    status, body = http(addr, "POST", f"auth/{path}/login/bob", {"password": "correct horse battery"})
    assert status == 200, body
    auth = body["auth"]
    assert auth["policies"] == ["default"] and auth["metadata"] == {"username": "bob"} and auth["entity_id"]
    # The login created an identity entity with an alias on this mount.
    status, ent = http(addr, "GET", f"identity/entity/id/{auth['entity_id']}", token=root)
    assert status == 200 and ent["data"]["aliases"][0]["name"] == "bob"


def test_disabling_an_auth_mount_revokes_its_tokens(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    path = "ar" + uuid.uuid4().hex[:8]
    enable(addr, root, path, "approle")
    status, body = http(addr, "POST", f"auth/{path}/role/web", {"token_policies": "default", "token_ttl": "1h"}, root)
    assert status == 204, body
    role_id = http(addr, "GET", f"auth/{path}/role/web/role-id", token=root)[1]["data"]["role_id"]
    secret_id = http(addr, "POST", f"auth/{path}/role/web/secret-id", {}, root)[1]["data"]["secret_id"]
    status, body = http(addr, "POST", f"auth/{path}/login", {"role_id": role_id, "secret_id": "wrong"})
    assert status == 400 and body["errors"] == ["invalid role or secret ID"]
    status, body = http(addr, "POST", f"auth/{path}/login", {"role_id": role_id, "secret_id": secret_id})
    assert status == 200, body
    tok = body["auth"]["client_token"]
    assert http(addr, "GET", "auth/token/lookup-self", token=tok)[0] == 200
    status, _ = http(addr, "DELETE", f"sys/auth/{path}", token=root)
    assert status == 204
    assert http(addr, "GET", "auth/token/lookup-self", token=tok)[0] == 403


def test_response_wrapping_unwraps_exactly_once(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    import json
    import urllib.request
    req = urllib.request.Request(addr + "/v1/sys/wrapping/wrap", data=json.dumps({"k": "v"}).encode(), method="POST")
    req.add_header("X-Vault-Token", root)
    req.add_header("X-Vault-Wrap-TTL", "60s")
    with urllib.request.urlopen(req) as r:
        wrap = json.loads(r.read())["wrap_info"]
    assert wrap["ttl"] == 60 and wrap["creation_path"] == "sys/wrapping/wrap"
    status, body = http(addr, "POST", "sys/wrapping/unwrap", {"token": wrap["token"]}, root)
    assert status == 200 and body["data"] == {"k": "v"}
    status, body = http(addr, "POST", "sys/wrapping/unwrap", {"token": wrap["token"]}, root)
    assert status == 400 and body["errors"] == ["wrapping token is not valid or does not exist"]
