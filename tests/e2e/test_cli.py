"""End-to-end tests of the `coffer` command-line client.

The binary comes from the COFFER_BIN environment variable (default: .build/debug/coffer). The server comes from the
`coffer_server` fixture (tests/e2e/conftest.py), a dict with:

    addr   server address, e.g. http://127.0.0.1:8200
    token  a root token
    unseal_keys  (optional) unseal key shares; enables the seal/unseal test
    uninit_addr  (optional) address of a second, uninitialized server; enables the `operator init` test

The expected output shapes are those of the `bao` CLI, which `coffer` mirrors.
"""

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = "Coffer v0.1.0 (API compatible with OpenBao 2.7.2)"


def coffer_bin():
    return os.environ.get("COFFER_BIN") or str(REPO / ".build" / "debug" / "coffer")


@pytest.fixture(scope="session")
def cli_home(tmp_path_factory):
    """A HOME directory of our own, so `login` never touches the real ~/.vault-token."""
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture(scope="session")
def run(coffer_server, cli_home):
    """run(*args, input=None, token=..., env=None) -> CompletedProcess; the server address and token come from env."""

    def _run(*args, input=None, token=None, addr=None, env=None, home=None):
        environment = {k: v for k, v in os.environ.items() if not re.match(r"^(COFFER|VAULT|BAO)_", k)}
        environment["HOME"] = str(home or cli_home)
        environment["VAULT_ADDR"] = addr or coffer_server["addr"]
        environment["VAULT_TOKEN"] = coffer_server["token"] if token is None else token
        if environment["VAULT_TOKEN"] == "":
            del environment["VAULT_TOKEN"]
        if env:
            environment.update(env)
        return subprocess.run(
            [coffer_bin(), *args],
            input=input,
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )

    return _run


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def table(stdout):
    """Parses a two-column `Key  Value` table into a dict (skipping the header lines)."""
    rows = {}
    for line in stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        if len(parts) == 2 and parts[0] not in ("Key", "---"):
            rows[parts[0]] = parts[1]
    return rows


def pad_equal_signs(title, width):
    """bao's section header: the title centred in `=` signs (always an even count, at least 4)."""
    signs = width - (len(title) + 2)
    if signs <= 0:
        signs = 4
    if signs % 2:
        signs += 1
    return "=" * (signs // 2) + f" {title} " + "=" * (signs // 2)


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def kv2(run):
    mount = unique("kvtwo")
    ok(run("secrets", "enable", f"-path={mount}", "kv-v2"))
    yield mount
    run("secrets", "disable", mount)


@pytest.fixture(scope="module")
def kv1(run):
    mount = unique("kvone")
    ok(run("secrets", "enable", f"-path={mount}", "-version=1", "kv"))
    yield mount
    run("secrets", "disable", mount)


# MARK: version and global behaviour


@pytest.mark.parametrize("args", [["version"], ["-version"], ["--version"]])
def test_version(run, args):
    assert ok(run(*args)) == VERSION + "\n"


def test_unknown_flag_is_usage_error(run):
    result = run("kv", "get", "-bogus", "secret/x")
    assert result.returncode == 1


def test_missing_argument_is_usage_error(run):
    assert run("read").returncode == 1
    assert run("kv", "get").returncode == 1


def test_unknown_subcommand_is_usage_error(run):
    assert run("kv", "nosuch").returncode == 1


def test_invalid_format_is_usage_error(run):
    assert run("status", "-format=xml").returncode == 1


def test_connection_error_exits_2(run):
    result = run("read", "-address=http://127.0.0.1:1", "sys/mounts")
    assert result.returncode == 2
    assert "127.0.0.1:1" in result.stderr


def test_address_flag_overrides_env(run, coffer_server):
    result = run("status", f"-address={coffer_server['addr']}", addr="http://127.0.0.1:1")
    ok(result)


def test_coffer_env_overrides_vault_env(run, coffer_server):
    result = run("status", addr="http://127.0.0.1:1", env={"COFFER_ADDR": coffer_server["addr"]})
    ok(result)


def test_token_from_token_helper(run, tmp_path, coffer_server):
    (tmp_path / ".vault-token").write_text(coffer_server["token"] + "\n")
    out = ok(run("token", "lookup", "-format=json", token="", home=tmp_path))
    assert json.loads(out)["data"]["id"] == coffer_server["token"]


# MARK: status


def test_status_table(run):
    rows = table(ok(run("status")))
    assert rows["Sealed"] == "false"
    assert rows["Initialized"] == "true"
    for key in ("Seal Type", "Total Shares", "Threshold", "Version", "HA Enabled"):
        assert key in rows
    assert "Unseal Progress" not in rows


def test_status_json(run):
    status = json.loads(ok(run("status", "-format=json")))
    assert status["sealed"] is False
    assert status["initialized"] is True
    assert list(status)[:8] == ["type", "initialized", "sealed", "t", "n", "progress", "nonce", "version"]
    assert "ha_enabled" in status


# MARK: kv v2


def test_kv_put_get_roundtrip(run, kv2):
    out = ok(run("kv", "put", f"{kv2}/app", "user=alice", "pass=s3cret-pass"))
    lines = out.splitlines()
    assert lines[0] == pad_equal_signs("Secret Path", len(f"{kv2}/data/app"))
    assert lines[1] == f"{kv2}/data/app"
    assert "======= Metadata =======" in out
    assert table(out)["version"] == "1"

    out = ok(run("kv", "get", f"{kv2}/app"))
    assert f"{kv2}/data/app" in out
    assert "== Data ==" in out
    rows = table(out)
    assert rows["user"] == "alice"
    assert rows["pass"] == "s3cret-pass"
    assert rows["deletion_time"] == "n/a"
    assert rows["custom_metadata"] == "<nil>"


def test_kv_get_json_shape(run, kv2):
    ok(run("kv", "put", f"{kv2}/json", "b=2", "a=1"))
    secret = json.loads(ok(run("kv", "get", "-format=json", f"{kv2}/json")))
    assert list(secret)[:6] == ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings"]
    assert secret["data"]["data"] == {"a": "1", "b": "2"}
    assert list(secret["data"]["data"]) == ["a", "b"]
    assert secret["data"]["metadata"]["version"] == 1


def test_kv_mount_flag_and_field(run, kv2):
    ok(run("kv", "put", f"-mount={kv2}", "withmount", "color=blue"))
    result = run("kv", "get", f"-mount={kv2}", "-field=color", "withmount")
    assert ok(result) == "blue"  # no newline when stdout is not a terminal
    result = run("kv", "get", f"-mount={kv2}", "-field=nope", "withmount")
    assert result.returncode == 1
    assert 'Field "nope" not present' in result.stderr


def test_kv_versions_and_cas(run, kv2):
    path = f"{kv2}/versions"
    ok(run("kv", "put", "-cas=0", path, "v=1"))
    assert run("kv", "put", "-cas=0", path, "v=2").returncode == 2
    ok(run("kv", "put", "-cas=1", path, "v=2"))
    assert ok(run("kv", "get", "-field=v", "-version=1", path)) == "1"
    assert ok(run("kv", "get", "-field=v", path)) == "2"


def test_kv_patch(run, kv2):
    path = f"{kv2}/patched"
    ok(run("kv", "put", path, "a=1", "b=2"))
    out = ok(run("kv", "patch", path, "b=3", "c=4"))
    assert table(out)["version"] == "2"
    data = json.loads(ok(run("kv", "get", "-format=json", path)))["data"]["data"]
    assert data == {"a": "1", "b": "3", "c": "4"}


def test_kv_patch_requires_v2(run, kv1):
    ok(run("kv", "put", f"{kv1}/p", "a=1"))
    result = run("kv", "patch", f"{kv1}/p", "a=2")
    assert result.returncode == 2
    assert "must be version 2" in result.stderr


def test_kv_list(run, kv2):
    ok(run("kv", "put", f"{kv2}/dir/one", "a=1"))
    ok(run("kv", "put", f"{kv2}/dir/two", "a=1"))
    out = ok(run("kv", "list", f"{kv2}/dir"))
    assert out.splitlines() == ["Keys", "----", "one", "two"]
    assert json.loads(ok(run("kv", "list", "-format=json", f"{kv2}/dir"))) == ["one", "two"]
    result = run("kv", "list", f"{kv2}/nothing-here")
    assert result.returncode == 2
    assert f"No value found at {kv2}/metadata/nothing-here" in result.stderr


def test_kv_delete_undelete_destroy(run, kv2):
    path = f"{kv2}/lifecycle"
    ok(run("kv", "put", path, "a=1"))
    ok(run("kv", "put", path, "a=2"))
    out = ok(run("kv", "delete", path))
    assert out.strip() == f"Success! Data deleted (if it existed) at: {kv2}/data/lifecycle"

    # A deleted latest version still shows its metadata, with no Data section.
    out = ok(run("kv", "get", path))
    assert "== Data ==" not in out
    assert table(out)["deletion_time"] != "n/a"

    assert run("kv", "undelete", path).returncode == 1
    out = ok(run("kv", "undelete", "-versions=2", path))
    assert out.strip() == f"Success! Data written to: {kv2}/undelete/lifecycle"
    assert ok(run("kv", "get", "-field=a", path)) == "2"

    out = ok(run("kv", "destroy", "-versions=1", path))
    assert out.strip() == f"Success! Data written to: {kv2}/destroy/lifecycle"
    meta = json.loads(ok(run("kv", "metadata", "get", "-format=json", path)))["data"]
    assert meta["versions"]["1"]["destroyed"] is True


def test_kv_get_missing(run, kv2):
    result = run("kv", "get", f"{kv2}/does-not-exist")
    assert result.returncode == 2
    assert f"No value found at {kv2}/data/does-not-exist" in result.stderr


def test_kv_metadata(run, kv2):
    path = f"{kv2}/meta"
    ok(run("kv", "put", path, "a=1"))
    out = ok(run("kv", "metadata", "put", "-max-versions=5", "-custom-metadata=owner=ops", path))
    assert out.strip() == f"Success! Data written to: {kv2}/metadata/meta"
    out = ok(run("kv", "metadata", "get", path))
    assert out.splitlines()[1] == f"{kv2}/metadata/meta"
    assert "Metadata Path" in out.splitlines()[0]
    assert "====== Version 1 ======" in out
    rows = table(out)
    assert rows["max_versions"] == "5"
    assert rows["custom_metadata"] == "map[owner:ops]"
    out = ok(run("kv", "metadata", "delete", path))
    assert out.strip() == f"Success! Data deleted (if it existed) at: {kv2}/metadata/meta"
    assert run("kv", "get", path).returncode == 2


def test_kv_v1(run, kv1):
    out = ok(run("kv", "put", f"{kv1}/v1dir/foo", "a=1"))
    assert out.strip() == f"Success! Data written to: {kv1}/v1dir/foo"
    out = ok(run("kv", "get", f"{kv1}/v1dir/foo"))
    assert out.splitlines()[0] == "== Data =="
    assert table(out) == {"a": "1"}
    assert ok(run("kv", "list", f"{kv1}/v1dir")).splitlines() == ["Keys", "----", "foo"]
    assert run("kv", "metadata", "get", f"{kv1}/v1dir/foo").returncode == 1
    ok(run("kv", "delete", f"{kv1}/v1dir/foo"))
    assert run("kv", "get", f"{kv1}/v1dir/foo").returncode == 2


def test_kv_put_requires_data(run, kv2):
    result = run("kv", "put", f"{kv2}/empty")
    assert result.returncode == 1
    assert "Must supply data" in result.stderr


# MARK: generic read / write / list / delete


def test_write_read_list_delete(run, kv1, tmp_path):
    f = tmp_path / "value.txt"
    f.write_text("from-a-file\n")
    out = ok(run("write", f"{kv1}/generic", "a=1", f"b=@{f}", "c=-", input="from-stdin"))
    assert out.strip() == f"Success! Data written to: {kv1}/generic"
    secret = json.loads(ok(run("read", "-format=json", f"{kv1}/generic")))
    assert secret["data"] == {"a": "1", "b": "from-a-file\n", "c": "from-stdin"}
    assert ok(run("read", "-field=a", f"{kv1}/generic")) == "1"
    rows = table(ok(run("read", f"{kv1}/generic")))
    assert rows["a"] == "1"
    ok(run("write", f"{kv1}/gdir/one", "a=1"))
    assert ok(run("list", f"{kv1}/gdir")).splitlines() == ["Keys", "----", "one"]
    out = ok(run("delete", f"{kv1}/generic"))
    assert out.strip() == f"Success! Data deleted (if it existed) at: {kv1}/generic"
    result = run("read", f"{kv1}/generic")
    assert result.returncode == 2
    assert f"No value found at {kv1}/generic" in result.stderr


def test_write_json_from_stdin(run, kv1):
    ok(run("write", f"{kv1}/fromjson", "-", input=json.dumps({"x": "1", "y": "2"})))
    assert json.loads(ok(run("read", "-format=json", f"{kv1}/fromjson")))["data"] == {"x": "1", "y": "2"}


def test_write_requires_data(run, kv1):
    result = run("write", f"{kv1}/nothing")
    assert result.returncode == 1
    assert "Must supply data or use -force" in result.stderr


def test_api_error_exits_2(run):
    result = run("write", "sys/mounts/x", "type=no-such-engine-type")
    assert result.returncode == 2
    assert "Error writing data to sys/mounts/x" in result.stderr
    assert "Code: 400" in result.stderr


# MARK: tokens


def test_token_create_table(run):
    out = ok(run("token", "create", "-policy=default", "-ttl=1h", "-display-name=ci", "-metadata=team=ops"))
    rows = table(out)
    assert rows["token_duration"] == "1h"
    assert rows["token_renewable"] == "true"
    assert rows["token_policies"] == '["default"]'
    assert rows["token_meta_team"] == "ops"
    assert rows["token"]
    assert rows["token_accessor"]


def test_token_create_json_and_lookup(run):
    auth = json.loads(ok(run("token", "create", "-format=json", "-policy=default", "-ttl=30m", "-orphan")))["auth"]
    assert list(auth)[:5] == ["client_token", "accessor", "policies", "token_policies", "identity_policies"]
    assert auth["orphan"] is True
    assert auth["lease_duration"] == 1800
    token = auth["client_token"]

    data = json.loads(ok(run("token", "lookup", "-format=json", token)))["data"]
    assert data["id"] == token
    assert "default" in data["policies"]
    rows = table(ok(run("token", "lookup", token)))
    assert rows["creation_ttl"] == "30m"
    assert rows["explicit_max_ttl"] == "0s"

    by_accessor = json.loads(ok(run("token", "lookup", "-format=json", "-accessor", auth["accessor"])))["data"]
    assert by_accessor["accessor"] == auth["accessor"]

    self_data = json.loads(ok(run("token", "lookup", "-format=json", token=token)))["data"]
    assert self_data["id"] == token


def test_token_create_field(run):
    token = ok(run("token", "create", "-field=token", "-policy=default"))
    assert token and "\n" not in token
    ok(run("token", "lookup", token))


def test_token_options(run):
    auth = json.loads(
        ok(run("token", "create", "-format=json", "-period=30m", "-use-limit=3", "-explicit-max-ttl=2h", "-renewable=false"))
    )["auth"]
    assert auth["renewable"] is False
    data = json.loads(ok(run("token", "lookup", "-format=json", auth["client_token"])))["data"]
    assert data["num_uses"] == 3
    assert data["explicit_max_ttl"] == 7200
    assert data["period"] == 1800


def test_token_renew(run):
    token = ok(run("token", "create", "-field=token", "-policy=default", "-ttl=1h"))
    rows = table(ok(run("token", "renew", "-increment=2h", token)))
    assert rows["token"] == token
    auth = json.loads(ok(run("token", "renew", "-format=json", token=token)))["auth"]
    assert auth["client_token"] == token


def test_token_revoke(run):
    token = ok(run("token", "create", "-field=token", "-policy=default"))
    assert ok(run("token", "revoke", token)).strip() == "Success! Revoked token (if it existed)"
    assert run("token", "lookup", token).returncode == 2

    auth = json.loads(ok(run("token", "create", "-format=json", "-policy=default")))["auth"]
    ok(run("token", "revoke", "-accessor", auth["accessor"]))
    assert run("token", "lookup", auth["client_token"]).returncode == 2

    token = ok(run("token", "create", "-field=token", "-policy=default"))
    ok(run("token", "revoke", "-self", token=token))
    assert run("token", "lookup", token).returncode == 2

    token = ok(run("token", "create", "-field=token", "-policy=default"))
    ok(run("token", "revoke", "-mode=orphan", token))


def test_token_revoke_usage_errors(run):
    assert run("token", "revoke").returncode == 1
    assert run("token", "revoke", "-self", "-mode=orphan").returncode == 1


# MARK: login


def test_login_stores_token(run, coffer_server, tmp_path):
    token = ok(run("token", "create", "-field=token", "-policy=default"))
    out = ok(run("login", token, token="", home=tmp_path))
    assert out.startswith("Success! You are now authenticated.")
    assert table(out)["token"] == token
    assert (tmp_path / ".vault-token").read_text().strip() == token
    # The stored token is used when no token variable is set.
    data = json.loads(ok(run("token", "lookup", "-format=json", token="", home=tmp_path)))["data"]
    assert data["id"] == token


def test_login_json_and_no_store(run, tmp_path):
    token = ok(run("token", "create", "-field=token", "-policy=default"))
    auth = json.loads(ok(run("login", "-format=json", "-no-store", token, token="", home=tmp_path)))["auth"]
    assert auth["client_token"] == token
    assert not (tmp_path / ".vault-token").exists()


def test_login_bad_token(run, tmp_path):
    result = run("login", "not-a-real-token", token="", home=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / ".vault-token").exists()


def test_login_unsupported_method(run, tmp_path):
    result = run("login", "-method=bogus", "a=b", home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith('Unknown auth method: bogus. Use "coffer auth list"')
    result = run("login", "-method=userpass", "x", home=tmp_path)
    assert result.returncode == 1
    assert 'Error parsing configuration: invalid key/value pair "x": format must be key=value' in result.stderr


# MARK: policies


POLICY = 'path "secret/*" {\n  capabilities = ["read","list"]\n}\n'


def test_policy_lifecycle(run, tmp_path):
    name = unique("pol")
    f = tmp_path / "p.hcl"
    f.write_text(POLICY)
    assert ok(run("policy", "write", name, str(f))).strip() == f"Success! Uploaded policy: {name}"
    assert ok(run("policy", "read", name)) == POLICY.strip() + "\n"
    assert json.loads(ok(run("policy", "read", "-format=json", name))) == {"policy": POLICY}
    names = ok(run("policy", "list")).split()
    assert name in names and "default" in names
    assert name in json.loads(ok(run("policy", "list", "-format=json")))
    assert ok(run("policy", "delete", name)).strip() == f"Success! Deleted policy: {name}"
    result = run("policy", "read", name)
    assert result.returncode == 2
    assert f"No policy named: {name}" in result.stderr


def test_policy_write_from_stdin(run):
    name = unique("pol")
    ok(run("policy", "write", name, "-", input=POLICY))
    assert "secret/*" in ok(run("policy", "read", name))
    ok(run("policy", "delete", name))


def test_policy_fmt(run, tmp_path):
    f = tmp_path / "fmt.hcl"
    f.write_text('path "secret/*" {\ncapabilities=["read","list"]\n}\npath "sys/*" { capabilities = ["deny"] }\n')
    assert ok(run("policy", "fmt", str(f))).strip() == f"Success! Formatted policy: {f}"
    assert f.read_text() == (
        'path "secret/*" {\n  capabilities = ["read", "list"]\n}\n\npath "sys/*" {\n  capabilities = ["deny"]\n}\n'
    )


# MARK: secrets engines and auth methods


def test_secrets_list(run, kv2):
    out = ok(run("secrets", "list"))
    lines = out.splitlines()
    assert lines[0].split() == ["Path", "Type", "Accessor", "Description"]
    assert any(line.startswith(f"{kv2}/") for line in lines)
    mounts = json.loads(ok(run("secrets", "list", "-format=json")))
    assert mounts[f"{kv2}/"]["type"] == "kv"
    assert mounts[f"{kv2}/"]["options"]["version"] == "2"
    assert list(mounts) == sorted(mounts)


def test_secrets_enable_tune_move_disable(run):
    first, second = unique("mv"), unique("mv")
    assert ok(run("secrets", "enable", f"-path={first}", "-description=hello", "kv")).strip() == (
        f"Success! Enabled the kv secrets engine at: {first}/"
    )
    assert ok(run("secrets", "tune", "-default-lease-ttl=30m", "-audit-non-hmac-request-keys=a,b",
                  "-listing-visibility=unauth", first)).strip() == (
        f"Success! Tuned the secrets engine at: {first}/"
    )
    tune = json.loads(ok(run("read", "-format=json", f"sys/mounts/{first}/tune")))["data"]
    assert tune["default_lease_ttl"] == 1800
    assert tune["audit_non_hmac_request_keys"] == ["a", "b"]
    assert tune["listing_visibility"] == "unauth"
    ok(run("kv", "put", f"{first}/k", "a=1"))
    out = ok(run("secrets", "move", first, second))
    assert f"Success! Finished moving secrets engine {first}/ to {second}/" in out
    assert ok(run("kv", "get", "-field=a", f"{second}/k")) == "1"
    assert ok(run("secrets", "disable", second)).strip() == (
        f"Success! Disabled the secrets engine (if it existed) at: {second}/"
    )
    assert f"{second}/" not in json.loads(ok(run("secrets", "list", "-format=json")))


def test_auth_list(run):
    out = ok(run("auth", "list"))
    lines = out.splitlines()
    assert lines[0].split() == ["Path", "Type", "Accessor", "Description", "Version"]
    assert any(line.startswith("token/") for line in lines)
    methods = json.loads(ok(run("auth", "list", "-format=json")))
    assert methods["token/"]["type"] == "token"


# MARK: operator


def test_operator_key_status_and_rotate(run):
    before = json.loads(ok(run("operator", "key-status", "-format=json")))
    assert list(before)[:2] == ["term", "install_time"]
    out = ok(run("operator", "rotate"))
    assert out.startswith("Success! Rotated key\n\nKey Term")
    after = json.loads(ok(run("operator", "key-status", "-format=json")))
    assert after["term"] == before["term"] + 1
    rows = table(ok(run("operator", "key-status")))
    assert rows["Key Term"] == str(after["term"])
    assert re.match(r"^\d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC$", rows["Install Time"])


def test_operator_unseal_without_key_is_usage_error(run):
    assert run("operator", "unseal", input="").returncode == 1


def test_operator_seal_unseal(run, coffer_server):
    keys = coffer_server.get("unseal_keys")
    if not keys:
        pytest.skip("the coffer_server fixture gives no unseal_keys")
    assert ok(run("operator", "seal")).strip() == "Success! Vault is sealed."
    result = run("status")
    assert result.returncode == 2
    assert table(result.stdout)["Sealed"] == "true"
    assert "Unseal Progress" in table(result.stdout)
    for key in keys:
        status = json.loads(ok(run("operator", "unseal", "-format=json", key)))
        if not status["sealed"]:
            break
    assert status["sealed"] is False
    ok(run("status"))


def test_operator_init(run, coffer_server):
    addr = coffer_server.get("uninit_addr")
    if not addr:
        pytest.skip("the coffer_server fixture gives no uninit_addr")
    assert run("operator", "init", "-status", addr=addr).returncode == 2
    status = run("status", "-format=json", addr=addr)
    assert status.returncode == 2
    assert json.loads(status.stdout)["initialized"] is False
    init = json.loads(ok(run("operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json", addr=addr)))
    assert len(init["unseal_keys_b64"]) == 3
    assert init["unseal_shares"] == 3 and init["unseal_threshold"] == 2
    assert init["root_token"]
    ok(run("operator", "init", "-status", addr=addr))
    first = ok(run("operator", "unseal", init["unseal_keys_b64"][0], addr=addr))
    assert table(first)["Unseal Progress"] == "1/2"
    reset = ok(run("operator", "unseal", "-reset", addr=addr))
    assert table(reset)["Unseal Progress"] == "0/2"
    ok(run("operator", "unseal", init["unseal_keys_b64"][0], addr=addr))
    done = ok(run("operator", "unseal", init["unseal_keys_b64"][1], addr=addr))
    assert table(done)["Sealed"] == "false"
    again = run("operator", "init", addr=addr)
    assert again.returncode == 2


# MARK: auth methods (enable / tune / disable) and logins with other methods


def api(coffer_server, method, path, body=None, token=None):
    """Calls the HTTP API directly: returns (status, decoded body or None)."""
    request = urllib.request.Request(
        f"{coffer_server['addr']}/v1/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"X-Vault-Token": coffer_server["token"] if token is None else token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw.strip() else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"errors": [raw.decode(errors="replace")]}


def enable_auth(coffer_server, auth_type, path=None):
    """Enables an auth method at a fresh path (`POST sys/auth/<path>`) and returns the path; skips the test when the
    server does not have the method yet."""
    path = path or unique(auth_type)
    status, body = api(coffer_server, "POST", f"sys/auth/{path}", {"type": auth_type})
    if status >= 400:
        errors = " ".join((body or {}).get("errors", []))
        if "plugin not found" in errors or "unknown" in errors.lower() or "unsupported" in errors.lower():
            pytest.skip(f"the server has no {auth_type} auth method: {errors}")
        raise AssertionError(f"enabling {auth_type} at {path} failed ({status}): {errors}")
    return path


def write_api(coffer_server, path, body):
    status, response = api(coffer_server, "POST", path, body)
    assert status < 400, f"POST {path} failed ({status}): {response}"
    return response


@pytest.fixture(scope="module")
def userpass(coffer_server):
    """A userpass mount at a fresh path with user alice (password s3cret-pass, policies default and extra, TTL 1h)."""
    path = enable_auth(coffer_server, "userpass")
    write_api(
        coffer_server, f"auth/{path}/users/alice", {"password": "s3cret-pass", "token_policies": "default,extra", "token_ttl": "1h"}
    )
    yield path
    api(coffer_server, "DELETE", f"sys/auth/{path}")


LOGIN_BANNER = (
    "Success! You are now authenticated. The token information displayed below is\n"
    'already stored in the token helper. You do NOT need to run "coffer login" again.\n'
    "Future Coffer requests will automatically use this token.\n"
)


def test_auth_enable_tune_disable(run, coffer_server):
    path = unique("up")
    result = run("auth", "enable", f"-path={path}", "-description=people", "userpass")
    if result.returncode == 2 and "plugin not found" in result.stderr:
        pytest.skip("the server has no userpass auth method")
    assert ok(result) == f"Success! Enabled userpass auth method at: {path}/\n"
    methods = json.loads(ok(run("auth", "list", "-format=json")))
    assert methods[f"{path}/"]["type"] == "userpass"
    assert methods[f"{path}/"]["description"] == "people"
    assert any(line.startswith(f"{path}/") for line in ok(run("auth", "list")).splitlines())

    again = run("auth", "enable", f"-path={path}", "userpass")
    assert again.returncode == 2
    assert again.stderr.startswith("Error enabling userpass auth: Error making API request.")
    assert f"URL: POST {coffer_server['addr']}/v1/sys/auth/{path}" in again.stderr

    assert ok(run("auth", "tune", "-default-lease-ttl=1h", "-description=tuned", path)) == (
        f"Success! Tuned the auth method at: {path}/\n"
    )
    tune = json.loads(ok(run("read", "-format=json", f"sys/mounts/auth/{path}/tune")))["data"]
    assert tune["default_lease_ttl"] == 3600
    assert tune["description"] == "tuned"

    assert ok(run("auth", "disable", path)) == f"Success! Disabled the auth method (if it existed) at: {path}/\n"
    assert f"{path}/" not in json.loads(ok(run("auth", "list", "-format=json")))
    # Disabling what is not there is not an error.
    assert ok(run("auth", "disable", path)) == f"Success! Disabled the auth method (if it existed) at: {path}/\n"


def test_auth_enable_errors(run):
    result = run("auth", "enable", "-path=" + unique("bogus"), "no-such-method-type")
    assert result.returncode == 2
    assert result.stderr.startswith("Error enabling no-such-method-type auth: Error making API request.")
    result = run("auth", "tune", "-default-lease-ttl=1h", unique("nothere"))
    assert result.returncode == 2
    assert result.stderr.startswith("Error tuning auth method nothere")
    assert run("auth", "enable").returncode == 1
    assert run("auth", "disable").returncode == 1


def test_login_userpass_stores_token(run, userpass, tmp_path):
    out = ok(run("login", "-method=userpass", f"-path={userpass}", "username=alice", "password=s3cret-pass", token="", home=tmp_path))
    assert out.startswith(LOGIN_BANNER + "\nKey ")
    rows = table(out)
    assert rows["token_duration"] == "1h"
    assert rows["token_renewable"] == "true"
    assert rows["token_policies"] == '["default" "extra"]'
    assert rows["token_meta_username"] == "alice"
    assert (tmp_path / ".vault-token").read_text().strip() == rows["token"]
    data = json.loads(ok(run("token", "lookup", "-format=json", token="", home=tmp_path)))["data"]
    assert data["id"] == rows["token"]
    assert data["path"] == f"auth/{userpass}/login/alice"


def test_login_userpass_json_no_store(run, userpass, tmp_path):
    result = run(
        "login", "-method=userpass", f"-path={userpass}", "-no-store", "-format=json", "username=alice", "password=s3cret-pass",
        token="", home=tmp_path,
    )
    secret = json.loads(ok(result))
    assert list(secret) == ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "auth"]
    auth = secret["auth"]
    assert list(auth)[:5] == ["client_token", "accessor", "policies", "token_policies", "identity_policies"]
    assert auth["metadata"] == {"username": "alice"}
    assert auth["lease_duration"] == 3600
    assert result.stderr == (
        "The token was not stored in token helper. Set the COFFER_TOKEN environment\n"
        "variable or pass the token below with each request to Coffer.\n\n"
    )
    assert not (tmp_path / ".vault-token").exists()

    # -no-store still prints the usual banner in table mode, as bao does.
    out = ok(run("login", "-method=userpass", f"-path={userpass}", "-no-store", "username=alice", "password=s3cret-pass", home=tmp_path))
    assert out.startswith(LOGIN_BANNER)
    assert not (tmp_path / ".vault-token").exists()


def test_login_userpass_token_only_and_field(run, userpass, tmp_path):
    result = run("login", "-method=userpass", f"-path={userpass}", "-token-only", "username=alice", "password=s3cret-pass", home=tmp_path)
    token = ok(result)
    assert token and "\n" not in token  # no newline when stdout is not a terminal
    assert result.stderr == ""  # -token-only implies -no-store, silently
    assert not (tmp_path / ".vault-token").exists()
    assert json.loads(ok(run("token", "lookup", "-format=json", token=token)))["data"]["id"] == token

    quoted = ok(run("login", "-method=userpass", f"-path={userpass}", "-token-only", "-format=json", "username=alice", "password=s3cret-pass", home=tmp_path))
    assert quoted.startswith('"') and quoted.endswith('"')

    field = ok(run("login", "-method=userpass", f"-path={userpass}", "-no-store", "-field=token_policies", "username=alice", "password=s3cret-pass", home=tmp_path))
    assert field == "[default extra]"
    assert ok(run("login", "-method=userpass", f"-path={userpass}", "-no-print", "username=alice", "password=s3cret-pass", home=tmp_path)) == ""
    assert (tmp_path / ".vault-token").exists()


def test_login_userpass_password_from_stdin(run, userpass, tmp_path):
    out = ok(run("login", "-method=userpass", f"-path={userpass}", "-no-store", "username=alice", input="s3cret-pass\n", home=tmp_path))
    assert table(out)["token_meta_username"] == "alice"
    result = run("login", "-method=userpass", f"-path={userpass}", "username=alice", input="", home=tmp_path)
    assert result.returncode == 2


def test_login_userpass_errors(run, userpass, tmp_path, coffer_server):
    bad = run("login", "-method=userpass", f"-path={userpass}", "username=alice", "password=wrong", home=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error authenticating: Error making API request.")
    assert f"URL: PUT {coffer_server['addr']}/v1/auth/{userpass}/login/alice" in bad.stderr
    assert not (tmp_path / ".vault-token").exists()

    missing = run("login", "-method=userpass", f"-path={userpass}", "password=s3cret-pass", home=tmp_path)
    assert missing.returncode == 2
    assert "Error authenticating: 'username' must be specified" in missing.stderr

    # The mount defaults to the method name, which is not where this userpass lives.
    assert run("login", "-method=userpass", "-path=" + unique("nomount"), "username=alice", "password=s3cret-pass", home=tmp_path).returncode == 2


def test_login_warns_when_token_variable_set(run, userpass, tmp_path):
    result = run("login", "-method=userpass", f"-path={userpass}", "username=alice", "password=s3cret-pass", home=tmp_path)
    ok(result)
    assert result.stderr.startswith("WARNING! The VAULT_TOKEN environment variable is set!")


def test_login_approle(run, coffer_server, tmp_path):
    path = enable_auth(coffer_server, "approle")
    try:
        write_api(coffer_server, f"auth/{path}/role/ci", {"token_policies": "default", "token_ttl": "20m"})
        role_id = api(coffer_server, "GET", f"auth/{path}/role/ci/role-id")[1]["data"]["role_id"]
        secret_id = write_api(coffer_server, f"auth/{path}/role/ci/secret-id", {})["data"]["secret_id"]
        out = ok(run("login", "-method=approle", f"-path={path}", f"role_id={role_id}", f"secret_id={secret_id}", token="", home=tmp_path))
        assert out.startswith(LOGIN_BANNER)
        rows = table(out)
        assert rows["token_duration"] == "20m"
        assert rows["token_meta_role_name"] == "ci"
        assert (tmp_path / ".vault-token").read_text().strip() == rows["token"]

        bad = run("login", "-method=approle", f"-path={path}", f"role_id={role_id}", "secret_id=wrong", home=tmp_path)
        assert bad.returncode == 2
        assert f"/v1/auth/{path}/login" in bad.stderr
        missing = run("login", "-method=approle", f"-path={path}", "secret_id=x", home=tmp_path)
        assert missing.returncode == 2
        assert "'role_id' must be specified" in missing.stderr
    finally:
        api(coffer_server, "DELETE", f"sys/auth/{path}")


def test_login_jwt(run, coffer_server, tmp_path):
    jwt = pytest.importorskip("jwt", reason="PyJWT is needed to sign a test JWT")
    pytest.importorskip("cryptography", reason="cryptography is needed to sign a test JWT")
    import time

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    path = enable_auth(coffer_server, "jwt")
    try:
        write_api(coffer_server, f"auth/{path}/config", {"jwt_validation_pubkeys": [public_pem]})
        write_api(
            coffer_server,
            f"auth/{path}/role/dev",
            {"role_type": "jwt", "user_claim": "sub", "bound_audiences": "coffer", "token_policies": "default"},
        )
        now = int(time.time())
        token = jwt.encode({"sub": "bob", "aud": "coffer", "iat": now, "exp": now + 600}, key, algorithm="RS256")
        out = ok(run("login", "-method=jwt", f"-path={path}", "-no-store", "role=dev", f"jwt={token}", home=tmp_path))
        assert table(out)["token_policies"] == '["default"]'
        missing = run("login", "-method=jwt", f"-path={path}", "role=dev", home=tmp_path)
        assert missing.returncode == 2
        assert "'jwt' must be specified" in missing.stderr
    finally:
        api(coffer_server, "DELETE", f"sys/auth/{path}")


# MARK: response wrapping and unwrap


WRAP_ROWS = [
    "wrapping_token:",
    "wrapping_accessor:",
    "wrapping_token_ttl:",
    "wrapping_token_creation_time:",
    "wrapping_token_creation_path:",
]


def wrap_rows(stdout):
    return [line.split()[0] for line in stdout.splitlines()[2:]]


def test_read_wrapped_and_unwrap(run, kv1):
    ok(run("write", f"{kv1}/wrapped", "a=1", "b=2"))
    out = ok(run("read", "-wrap-ttl=5m", f"{kv1}/wrapped"))
    assert out.splitlines()[0].split() == ["Key", "Value"]
    assert wrap_rows(out) == WRAP_ROWS
    rows = table(out)
    assert rows["wrapping_token_ttl:"] == "5m"
    assert rows["wrapping_token_creation_path:"] == f"{kv1}/wrapped"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$", rows["wrapping_token_creation_time:"])

    secret = json.loads(ok(run("read", "-wrap-ttl=300", "-format=json", f"{kv1}/wrapped")))
    assert list(secret) == ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "wrap_info"]
    assert secret["data"] is None
    wrap = secret["wrap_info"]
    assert list(wrap) == ["token", "accessor", "ttl", "creation_time", "creation_path", "wrapped_accessor"]
    assert wrap["ttl"] == 300

    unwrapped = table(ok(run("unwrap", wrap["token"])))
    assert unwrapped["a"] == "1" and unwrapped["b"] == "2"
    again = run("unwrap", wrap["token"])
    assert again.returncode == 2
    assert again.stderr.startswith("Error unwrapping: Error making API request.")

    token = ok(run("read", "-wrap-ttl=5m", "-field=wrapping_token", f"{kv1}/wrapped"))
    assert "\n" not in token
    assert json.loads(ok(run("unwrap", "-format=json", token)))["data"] == {"a": "1", "b": "2"}

    # Without an argument, the current token is the wrapping token.
    token = ok(run("read", "-wrap-ttl=5m", "-field=wrapping_token", f"{kv1}/wrapped"))
    assert ok(run("unwrap", "-field=b", token=token)) == "2"


def test_unwrap_usage_errors(run):
    result = run("unwrap", "a", "b")
    assert result.returncode == 1
    assert "Too many arguments (expected 0-1, got 2)" in result.stderr
    result = run("read", "-wrap-ttl=bogus", "sys/mounts")
    assert result.returncode == 1
    assert 'invalid value "bogus" for flag -wrap-ttl' in result.stderr


def test_token_create_wrapped(run):
    out = ok(run("token", "create", "-wrap-ttl=5m", "-policy=default"))
    assert wrap_rows(out) == WRAP_ROWS + ["wrapped_accessor:"]
    rows = table(out)
    assert rows["wrapping_token_creation_path:"] == "auth/token/create"
    auth = json.loads(ok(run("unwrap", "-format=json", rows["wrapping_token:"])))["auth"]
    assert auth["accessor"] == rows["wrapped_accessor:"]
    assert "default" in auth["policies"]


def test_kv_get_and_list_wrapped(run, kv2, kv1):
    ok(run("kv", "put", f"{kv2}/wrapme", "color=green"))
    out = ok(run("kv", "get", "-wrap-ttl=5m", f"{kv2}/wrapme"))
    assert "== Data ==" not in out
    rows = table(out)
    assert rows["wrapping_token_creation_path:"] == f"{kv2}/data/wrapme"
    data = json.loads(ok(run("unwrap", "-format=json", rows["wrapping_token:"])))["data"]
    assert data["data"] == {"color": "green"}

    ok(run("write", f"{kv1}/wlist/one", "a=1"))
    rows = table(ok(run("list", "-wrap-ttl=5m", f"{kv1}/wlist")))
    assert ok(run("unwrap", rows["wrapping_token:"])).splitlines() == ["Keys", "----", "one"]


def test_login_wrapped(run, userpass, tmp_path):
    args = ["login", "-method=userpass", f"-path={userpass}", "-wrap-ttl=5m"]
    # Stored: the response is unwrapped and the real token is stored.
    out = ok(run(*args, "username=alice", "password=s3cret-pass", home=tmp_path))
    assert out.startswith(LOGIN_BANNER)
    assert (tmp_path / ".vault-token").read_text().strip() == table(out)["token"]
    (tmp_path / ".vault-token").unlink()
    # -token-only prints the wrapping token.
    wrapping = ok(run(*args, "-token-only", "username=alice", "password=s3cret-pass", home=tmp_path))
    auth = json.loads(ok(run("unwrap", "-format=json", wrapping)))["auth"]
    assert auth["metadata"] == {"username": "alice"}
    # -no-store prints the wrapping information.
    out = ok(run(*args, "-no-store", "username=alice", "password=s3cret-pass", home=tmp_path))
    assert wrap_rows(out) == WRAP_ROWS + ["wrapped_accessor:"]
    assert table(out)["wrapping_token_creation_path:"] == f"auth/{userpass}/login/alice"
    assert not (tmp_path / ".vault-token").exists()


# MARK: leases


def lease_ids(run, prefix):
    result = run("list", "-format=json", f"sys/leases/lookup/{prefix}")
    if result.returncode != 0:
        return set()
    return {prefix + key for key in json.loads(result.stdout)}


def new_token_lease(run):
    """Creates a token with a TTL and returns (token, lease ID): tokens are leases under auth/token/create/."""
    before = lease_ids(run, "auth/token/create/")
    token = ok(run("token", "create", "-field=token", "-policy=default", "-ttl=1h"))
    created = lease_ids(run, "auth/token/create/") - before
    assert len(created) == 1, f"expected one new lease, got {created}"
    return token, created.pop()


def test_lease_lookup(run):
    _, lease = new_token_lease(run)
    out = ok(run("lease", "lookup", lease))
    rows = table(out)
    assert [line.split()[0] for line in out.splitlines()[2:]] == [
        "expire_time", "id", "issue_time", "last_renewal", "path", "renewable", "ttl",
    ]
    assert rows["id"] == lease
    assert rows["path"] == "auth/token/create"
    assert rows["last_renewal"] == "<nil>"
    data = json.loads(ok(run("lease", "lookup", "-format=json", lease)))["data"]
    assert data["id"] == lease
    assert 3500 < data["ttl"] <= 3600
    result = run("lease", "lookup", "nope/x")
    assert result.returncode == 2
    assert result.stderr.startswith("error looking up lease id nope/x: Error making API request.")


def test_lease_renew(run):
    _, lease = new_token_lease(run)
    result = run("lease", "renew", "-increment=2h", lease)
    if result.returncode == 2 and "cannot be renewed through this endpoint" in result.stderr:
        pytest.skip("the server does not renew token leases through sys/leases/renew")
    rows = table(ok(result))
    assert rows["lease_id"] == lease
    assert rows["lease_renewable"] == "true"
    secret = json.loads(ok(run("lease", "renew", "-format=json", lease)))
    assert secret["lease_id"] == lease
    assert secret["lease_duration"] > 0


def test_lease_revoke(run):
    token, lease = new_token_lease(run)
    assert ok(run("lease", "revoke", "-sync", lease)) == f"Success! Revoked lease: {lease}\n"
    assert run("token", "lookup", token).returncode == 2

    token, lease = new_token_lease(run)
    assert ok(run("lease", "revoke", lease)) == "All revocation operations queued successfully!\n"
    for _ in range(50):
        if run("token", "lookup", token).returncode == 2:
            break
    assert run("token", "lookup", token).returncode == 2


def test_lease_revoke_prefix_and_force(run, userpass):
    def login():
        return ok(run("login", "-method=userpass", f"-path={userpass}", "-token-only", "username=alice", "password=s3cret-pass"))

    prefix = f"auth/{userpass}/login/alice"
    token = login()
    assert ok(run("lease", "revoke", "-prefix", "-sync", prefix)) == f"Success! Revoked any leases with prefix: {prefix}\n"
    assert run("token", "lookup", token).returncode == 2

    token = login()
    result = run("lease", "revoke", "-force", "-prefix", prefix)
    assert ok(result) == f"Success! Force revoked any leases with prefix: {prefix}\n"
    assert result.stderr.startswith("Warning! Force-removing leases can cause Coffer to become out of sync with")
    assert run("token", "lookup", token).returncode == 2


def test_lease_usage_errors(run):
    for args, message in [
        (["lease", "renew"], "Missing ID!"),
        (["lease", "lookup"], "Missing ID!"),
        (["lease", "revoke"], "Not enough arguments (expected 1, got 0)"),
        (["lease", "revoke", "a", "b"], "Too many arguments (expected 1, got 2)"),
        (["lease", "revoke", "-force", "a"], "Specifying -force requires also specifying -prefix"),
    ]:
        result = run(*args)
        assert result.returncode == 1, args
        assert message in result.stderr, args
