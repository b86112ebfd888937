"""Property test (issue 11, items 6-8): tokens created through every route, with random policy sets, never carry
more than their creator may give.

With a fixed seed, root sets up policies p1..p6, creator tokens with random subsets of them (some with sudo on the
token-create paths, some without), token roles with random allowed/disallowed policies (empty included, "root"
included), userpass users and AppRole roles with random token_policies (root included). Then ITERATIONS requests
create tokens through auth/token/create, create-orphan, create/ROLE, the same wrapped (X-Vault-Wrap-TTL, then
unwrapped), userpass login and AppRole login, asking for random policy sets that may hold "root".

Two tests read the same run:
- the safety properties: no token carries "root" unless root created it; login never yields root; a non-sudo
  creator's token stays within its own policies (plus "default") unless a role's allowed_policies bound it, and
  then within those; a role's disallowed_policies never appear;
- the exact outcome (accepted or refused, and the policy set) of OpenBao's rules (token_store.go, handleCreateCommon),
  checked against OpenBao 2.7.2 with HOSTILE_TARGET=bao.
"""
import os
import random
import time
from collections import Counter

import pytest

from hostile_util import DevServer, call, ok

SEED = int(os.environ.get("PROPERTY_SEED", "20261107"))
ITERATIONS = 150
POLICIES = [f"p{i}" for i in range(1, 7)]
CREATE_PATHS = ["auth/token/create", "auth/token/create-orphan", "auth/token/create/*"]
SUDO_POLICY = "\n".join(f'path "{p}" {{ capabilities = ["create", "update", "sudo"] }}' for p in CREATE_PATHS)
CREATE_POLICY = "\n".join(f'path "{p}" {{ capabilities = ["create", "update"] }}' for p in CREATE_PATHS)


def subset(rng, items, p=0.4):
    return [x for x in items if rng.random() < p]


def sanitize(policies, add_default=True):
    """policyutil.SanitizePolicies: trimmed, de-duplicated, sorted; "default" added unless root is there."""
    out = sorted({p.strip() for p in policies if p.strip()})
    if "root" in out:
        return ["root"]
    if add_default and "default" not in out:
        out = sorted(out + ["default"])
    return out


class Creator:
    def __init__(self, name, token, policies, sudo, root=False):
        self.name, self.token, self.policies, self.sudo, self.root = name, token, policies, sudo, root


def expected_create(creator, role, requested, no_parent):
    """OpenBao's outcome for auth/token/create[-orphan|/role]: ("ok", policies) or ("refused", reason). Measured
    against OpenBao 2.7.2: the role's allowed_policies are sanitised with "default" added (a list holding "root"
    collapses to ["root"]); with only disallowed_policies, the request (or the parent's policies) is checked
    against them and nothing else; the parent-subset check comes before the no_parent sudo check."""
    parent = creator.policies  # as stored on the parent token (sanitised, with default)
    is_root = creator.root
    sudo = is_root or creator.sudo
    req = None if requested is None else sanitize(requested, add_default=False)
    if role is not None and role["allowed"]:
        allowed = sanitize(role["allowed"])
        if not req:
            pols = sanitize(role["allowed"], add_default=False)
        else:
            if not set(req) <= set(allowed):
                return ("refused", "must be subset of the role's allowed policies")
            pols = req
        if set(pols) & set(role["disallowed"]):
            return ("refused", "is disallowed by this role")
    elif role is not None and role["disallowed"]:
        pols = list(parent) if not req else req
        if set(pols) & set(role["disallowed"]):
            return ("refused", "is disallowed by this role")
    elif not req:
        pols = list(parent)
    elif not sudo:
        if not set(req) <= set(parent) | {"default"}:
            return ("refused", "child policies must be subset of parent")
        pols = req
    else:
        pols = req
    if no_parent and not sudo:
        return ("refused", "root or sudo privileges required to create orphan token")
    final = sanitize(pols)
    if "root" in final and not is_root:
        return ("refused", "root tokens may not be created without parent token being root")
    return ("ok", final)


def expected_login(token_policies):
    final = sanitize(token_policies)
    if "root" in final:
        return ("refused", "auth methods cannot create root tokens")
    return ("ok", final)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    s = DevServer(tmp_path_factory.mktemp("property")).start()
    rng = random.Random(SEED)
    addr, root = s.addr, s.root
    start = time.time()
    try:
        for i, p in enumerate(POLICIES, 1):
            ok(call(addr, "PUT", f"sys/policies/acl/{p}", {"policy": f'path "secret/data/{p}" {{ capabilities = ["read"] }}'}, root))
        ok(call(addr, "PUT", "sys/policies/acl/tc-sudo", {"policy": SUDO_POLICY}, root))
        ok(call(addr, "PUT", "sys/policies/acl/tc-create", {"policy": CREATE_POLICY}, root))

        creators = [Creator("root", root, ["root"], True, root=True)]
        for i in range(12):
            sudo = i % 3 == 0
            pols = subset(rng, POLICIES) + ["tc-sudo" if sudo else "tc-create"]
            r = ok(call(addr, "POST", "auth/token/create", {"policies": pols}, root), 200)
            creators.append(Creator(f"c{i}{'-sudo' if sudo else ''}", r.auth["client_token"], sorted(r.auth["policies"]), sudo))

        roles = {}
        pool = POLICIES + ["root", "default"]
        for i in range(10):
            allowed = [] if i % 3 == 0 else subset(rng, pool, 0.35)
            disallowed = [] if i % 2 == 0 else subset(rng, POLICIES + ["root"], 0.25)
            name = f"role{i}"
            ok(call(addr, "POST", f"auth/token/roles/{name}",
                    {"allowed_policies": allowed, "disallowed_policies": disallowed, "orphan": rng.random() < 0.3}, root))
            roles[name] = {"allowed": allowed, "disallowed": disallowed}

        ok(call(addr, "POST", "sys/auth/userpass", {"type": "userpass"}, root))
        users = {}
        for i in range(8):
            tp = subset(rng, pool, 0.3)
            if i == 0:
                tp = ["root"]
            ok(call(addr, "POST", f"auth/userpass/users/u{i}", {"password": "password123", "token_policies": tp}, root))
            users[f"u{i}"] = tp
        ok(call(addr, "POST", "sys/auth/approle", {"type": "approle"}, root))
        call(addr, "POST", "sys/auth/approle/tune", {"user_lockout_config": {"disable_lockout": True}}, root)
        approles = {}
        for i in range(8):
            tp = subset(rng, pool, 0.3)
            if i == 0:
                tp = ["default", "root"]
            ok(call(addr, "POST", f"auth/approle/role/ar{i}", {"token_policies": tp}, root))
            rid = call(addr, "GET", f"auth/approle/role/ar{i}/role-id", token=root).data["role_id"]
            approles[f"ar{i}"] = (tp, rid)

        routes = ["create", "create-orphan", "create-role", "create-wrapped", "create-role-wrapped", "userpass", "approle"]
        records = []
        for it in range(ITERATIONS):
            route = routes[it % len(routes)] if it < len(routes) else rng.choice(routes)
            creator = rng.choice(creators) if rng.random() > 0.1 else creators[0]
            requested = None if rng.random() < 0.15 else subset(rng, pool, 0.3)
            if requested is not None and rng.random() < 0.25:
                requested.append("root")
            rec = {"it": it, "route": route, "creator": creator.name, "creator_root": creator.root,
                   "creator_sudo": creator.sudo, "creator_policies": creator.policies, "requested": requested}
            if route.startswith("create"):
                no_parent = route == "create" and rng.random() < 0.15
                role_name = rng.choice(sorted(roles)) if "role" in route else None
                path = {"create": "auth/token/create", "create-wrapped": "auth/token/create",
                        "create-orphan": "auth/token/create-orphan"}.get(route, f"auth/token/create/{role_name}")
                body = {"ttl": "10m"}
                if requested is not None:
                    body["policies"] = requested
                if no_parent:
                    body["no_parent"] = True
                headers = {"X-Vault-Wrap-TTL": "60s"} if "wrapped" in route else None
                r = call(addr, "POST", path, body, creator.token, headers=headers)
                if "wrapped" in route and r.status == 200 and r.json.get("wrap_info"):
                    r = call(addr, "POST", "sys/wrapping/unwrap", {}, r.json["wrap_info"]["token"])
                rec.update(role=role_name, role_def=roles.get(role_name), no_parent=no_parent,
                           expected=expected_create(creator, roles.get(role_name), requested, no_parent))
            else:
                # Logins have no creator: the token comes from the auth method.
                rec.update(creator="(login)", creator_root=False, creator_sudo=False, creator_policies=None, requested=None)
                if route == "userpass":
                    u = rng.choice(sorted(users))
                    r = call(addr, "POST", f"auth/userpass/login/{u}", {"password": "password123"})
                    rec.update(login=u, token_policies=users[u], expected=expected_login(users[u]))
                else:
                    name = rng.choice(sorted(approles))
                    tp, rid = approles[name]
                    sid = call(addr, "POST", f"auth/approle/role/{name}/secret-id", {}, root).data["secret_id"]
                    r = call(addr, "POST", "auth/approle/login", {"role_id": rid, "secret_id": sid})
                    rec.update(login=name, token_policies=tp, expected=expected_login(tp))
            rec["status"] = r.status
            rec["errors"] = r.errors
            rec["policies"] = sorted(r.auth["policies"]) if r.status == 200 and r.auth else None
            if rec["policies"] is not None:
                # The token really holds what the response says.
                look = call(addr, "GET", "auth/token/lookup-self", token=r.auth["client_token"])
                rec["looked_up"] = sorted(look.data["policies"]) if look.status == 200 else None
            records.append(rec)
        elapsed = time.time() - start
        yield {"records": records, "elapsed": elapsed, "server": s}
    finally:
        s.stop()


def _describe(rec):
    keep = ("it", "route", "creator", "creator_policies", "role", "role_def", "login", "token_policies", "requested",
            "no_parent", "status", "errors", "policies", "expected")
    return {k: rec.get(k) for k in keep if k in rec}


def test_property_no_token_exceeds_its_creator(run):
    records = run["records"]
    counts = Counter((r["route"], "ok" if r["policies"] is not None else "refused") for r in records)
    print(f"\n{len(records)} attempts in {run['elapsed']:.1f} s: " + ", ".join(f"{k[0]}/{k[1]}={v}" for k, v in sorted(counts.items())))
    violations = []
    for rec in records:
        pols = rec["policies"]
        if pols is None:
            assert rec["status"] in (400, 403), _describe(rec)
            continue
        got = set(pols)
        if rec.get("looked_up") is not None and set(rec["looked_up"]) != got:
            violations.append(("lookup-self differs from the issued policies", rec))
        if "root" in got and not rec["creator_root"]:
            violations.append(("root token from a non-root creator", rec))
        if "login" in rec:
            if "root" in got:
                violations.append(("login issued a root token", rec))
            if not got <= set(rec["token_policies"]) | {"default"}:
                violations.append(("login gave policies the role/user does not list", rec))
            continue
        if rec["creator_root"]:
            continue
        role = rec.get("role_def")
        if role and role["allowed"]:
            if not got <= set(role["allowed"]) | {"default"}:
                violations.append(("outside the role's allowed_policies", rec))
        elif role and role["disallowed"]:
            pass  # OpenBao: only disallowed_policies bound the request (checked below)
        elif not rec["creator_sudo"] and not got <= set(rec["creator_policies"]) | {"default"}:
            violations.append(("non-sudo creator gave policies it does not hold", rec))
        if role and set(role["disallowed"]) & got:
            violations.append(("a disallowed policy was issued", rec))
    assert not violations, f"{len(violations)} violations in {len(records)} attempts; the first 15:\n" + "\n".join(f"{why}: {_describe(rec)}" for why, rec in violations[:15])


def test_property_outcomes_follow_openbao_rules(run):
    mismatches = []
    for rec in run["records"]:
        kind, detail = rec["expected"]
        if kind == "ok":
            if rec["policies"] != detail:
                mismatches.append(rec)
        else:
            text = " ".join(rec["errors"] or [])
            if rec["policies"] is not None or rec["status"] != 400 or detail not in text:
                mismatches.append(rec)
    assert not mismatches, f"{len(mismatches)} of {len(run['records'])}:\n" + "\n".join(
        str(_describe(r)) for r in mismatches[:15])
