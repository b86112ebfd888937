"""Password policies (`sys/policies/password`) through the real binary; every status and text as OpenBao 2.7.2 answers.

hvac 2.4.0 has no password-policy methods, so the requests are plain HTTP.
"""
import base64
import uuid

from conftest import http

SIMPLE = 'length = 20\nrule "charset" { charset = "abc" min-chars = 2 }\nrule "charset" { charset = "0123456789" min-chars = 3 }'


def err(text):
    return {"errors": ["1 error occurred:\n\t* " + text + "\n\n"]}


def test_round_trip(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    name = "pw" + uuid.uuid4().hex[:8]
    assert http(addr, "PUT", f"sys/policies/password/{name}", {"policy": SIMPLE}, root) == (204, None)
    status, body = http(addr, "GET", f"sys/policies/password/{name}", token=root)
    assert status == 200 and body["data"] == {"policy": SIMPLE}, body
    for method, path in (("LIST", "sys/policies/password"), ("GET", "sys/policies/password?list=true")):
        status, body = http(addr, method, path, token=root)
        assert status == 200 and name in body["data"]["keys"], body
    for _ in range(50):
        status, body = http(addr, "GET", f"sys/policies/password/{name}/generate", token=root)
        assert status == 200, body
        password = body["data"]["password"]
        assert len(password) == 20 and set(password) <= set("abc0123456789"), password
        assert sum(c in "abc" for c in password) >= 2 and sum(c.isdigit() for c in password) >= 3, password
    # A name may hold slashes, and the policy may be given as base64 (read back decoded).
    nested = f"{name}/inner"
    text = 'length = 8\nrule "charset" { charset = "xyz" }'
    assert http(addr, "POST", f"sys/policies/password/{nested}", {"policy": base64.b64encode(text.encode()).decode()}, root) == (204, None)
    assert http(addr, "GET", f"sys/policies/password/{nested}", token=root)[1]["data"] == {"policy": text}
    status, body = http(addr, "GET", f"sys/policies/password/{nested}/generate", token=root)
    assert status == 200 and len(body["data"]["password"]) == 8 and set(body["data"]["password"]) <= set("xyz"), body

    for n in (name, nested):
        assert http(addr, "DELETE", f"sys/policies/password/{n}", token=root) == (204, None)
        assert http(addr, "GET", f"sys/policies/password/{n}", token=root) == (404, err("policy does not exist"))
        assert http(addr, "GET", f"sys/policies/password/{n}/generate", token=root) == (404, err("policy does not exist"))
    # Deleting a policy that is not there is no error.
    assert http(addr, "DELETE", f"sys/policies/password/{name}", token=root) == (204, None)


def test_errors(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    path = "sys/policies/password/bad" + uuid.uuid4().hex[:8]
    invalid = "invalid password policy: "
    cases = [
        ({}, err("missing policy")),
        ({"policy": 'length = 20\nrule "charset" { charset = "abc" }\nrule "nope" { }'},
         err(invalid + "unable to parse rules: unable to parse rule nope: unrecognized rule type nope")),
        ({"policy": "length = 20"}, err(invalid + "1 error occurred:\n\t* no charset specified\n\n")),
        ({"policy": 'length = 3\nrule "charset" { charset = "abc" min-chars = 5 }'},
         err(invalid + "1 error occurred:\n\t* specified rules require at least 5 characters but 3 is specified\n\n")),
        ({"policy": 'length = 200\nrule "charset" { charset = "abc" }'}, err("passwords must be between 4 and 100 characters")),
        ({"policy": 'length = 3\nrule "charset" { charset = "abc" }'}, err("passwords must be between 4 and 100 characters")),
        ({"policy": 'rule "charset" { charset = "abc" }'}, err(invalid + "1 error occurred:\n\t* length must be > 0\n\n")),
        ({"policy": 'length = "20"\nrule "charset" { charset = "abc" }'},
         err(invalid + "failed to decode configuration: decoding failed due to the following error(s):\n\n"
             "'length' expected type 'int', got unconvertible type 'string'")),
    ]
    for body, expected in cases:
        assert http(addr, "PUT", path, body, root) == (400, expected), body
    status, body = http(addr, "PUT", path, {"policy": 'length = 20\nrule "charset" {'}, root)
    assert status == 400 and body["errors"][0].startswith("1 error occurred:\n\t* invalid password policy: unable to decode: At 2:"), body
    status, body = http(addr, "PUT", path, {"policy": {"a": 1}}, root)
    assert status == 400, body
    assert http(addr, "GET", path, token=root) == (404, err("policy does not exist"))
    # A trailing slash is refused before the backend; the list path has no read or write.
    assert http(addr, "PUT", "sys/policies/password/", {"policy": SIMPLE}, root) == (400, {"errors": ["cannot write to a path ending in '/'"]})
    assert http(addr, "GET", "sys/policies/password", token=root) == (405, err("unsupported operation"))
    assert http(addr, "PUT", path + "/generate", {}, root)[0] == 405


def test_access(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    name = "acc" + uuid.uuid4().hex[:8]
    acl = ('path "sys/policies/password/*" { capabilities = ["create", "read", "update", "delete", "list"] }\n'
           'path "sys/policies/password" { capabilities = ["list"] }')
    assert http(addr, "PUT", f"sys/policies/acl/{name}", {"policy": acl}, root)[0] == 204

    def token(policies):
        status, body = http(addr, "POST", "auth/token/create", {"policies": policies}, root)
        assert status == 200, body
        return body["auth"]["client_token"]

    # No path needs sudo: a token with the capabilities alone does everything.
    manager = token([name])
    assert http(addr, "PUT", f"sys/policies/password/{name}", {"policy": SIMPLE}, manager) == (204, None)
    assert http(addr, "GET", f"sys/policies/password/{name}", token=manager)[0] == 200
    assert http(addr, "GET", f"sys/policies/password/{name}/generate", token=manager)[0] == 200
    assert http(addr, "LIST", "sys/policies/password", token=manager)[0] == 200
    # The default policy grants none of them. (OpenBao 2.7.2 wraps the text as `1 error occurred:\n\t* permission
    # denied\n\n`; the core answers every ACL denial bare, here as on every other path.)
    plain = token(["default"])
    for method, path, body in (("GET", name, None), ("GET", name + "/generate", None), ("LIST", "", None), ("PUT", name, {"policy": SIMPLE})):
        status, answer = http(addr, method, "sys/policies/password/" + path, body, plain)
        assert status == 403 and "permission denied" in answer["errors"][0], (method, path, answer)
    assert http(addr, "DELETE", f"sys/policies/password/{name}", token=manager) == (204, None)
