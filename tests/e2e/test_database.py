"""The database secrets engine against a real PostgreSQL, end to end: credentials from `creds/` log in with psql;
revocation (explicit, by expiry, with the token, after a SIGKILL and restart) drops the role; static roles rotate on
schedule; rotate-root locks out the old root password; OpenBao's errors for bad input. hvac's own database client
methods drive part of it, so hvac's request shapes are exercised.

PostgreSQL comes from COFFER_TEST_PG (`.ci/run` starts a private cluster with scripts/pg-test-cluster); without it
the tests start their own cluster, and in CI a missing PostgreSQL is a failure, never a skip."""
import glob
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import hvac
import pytest

from conftest import Server, free_port, http

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def psql_bin():
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)
    assert found, "psql not found (apt-get install postgresql-client)"
    return found


@pytest.fixture(scope="module")
def pg():
    url = os.environ.get("COFFER_TEST_PG")
    tmp = None
    if not url:
        assert not os.environ.get("CI"), "COFFER_TEST_PG is not set: .ci/run must start PostgreSQL"
        tmp = tempfile.mkdtemp(prefix="coffer-pg-e2e-")
        os.chmod(tmp, 0o755)  # the cluster runs as user postgres, below this directory
        out = subprocess.run([os.path.join(ROOT, "scripts/pg-test-cluster"), "start", tmp + "/c", str(free_port())],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        url = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("COFFER_TEST_PG="))
    u = urllib.parse.urlparse(url)
    yield {"url": url, "host": u.hostname, "port": u.port, "user": u.username, "password": urllib.parse.unquote(u.password)}
    if tmp:
        subprocess.run([os.path.join(ROOT, "scripts/pg-test-cluster"), "stop", tmp + "/c"], timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def sql(pg, statement, user=None, password=None):
    """Runs one statement with psql; (returncode, stdout, stderr)."""
    env = dict(os.environ, PGPASSWORD=password if password is not None else pg["password"], PGCONNECT_TIMEOUT="5")
    r = subprocess.run([psql_bin(), "-h", pg["host"], "-p", str(pg["port"]), "-U", user or pg["user"], "-d", "postgres",
                        "-tAc", statement], capture_output=True, text=True, timeout=30, env=env)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def can_login(pg, user, password):
    return sql(pg, "SELECT 1", user, password)[0] == 0


def role_exists(pg, name):
    rc, out, err = sql(pg, "SELECT count(*) FROM pg_roles WHERE rolname = '" + name.replace("'", "''") + "'")
    assert rc == 0, err
    return out == "1"


def wait_for(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


CREATE = ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"]


@pytest.fixture
def db(coffer_server, pg):
    """A database mount with a connection `pg` (as a dedicated admin role) and a dynamic role `dyn`."""
    addr, root = coffer_server["addr"], coffer_server["token"]
    mount = "db" + str(free_port())
    admin = "coffer_admin_" + mount
    admin_pw = "Adm1n-" + mount
    rc, _, err = sql(pg, f"CREATE ROLE \"{admin}\" WITH LOGIN SUPERUSER PASSWORD '{admin_pw}'")
    assert rc == 0, err
    status, body = http(addr, "POST", f"sys/mounts/{mount}", {"type": "database"}, root)
    assert status == 204, body
    conn = f"postgresql://{{{{username}}}}:{{{{password}}}}@{pg['host']}:{pg['port']}/postgres?sslmode=disable"
    status, body = http(addr, "POST", f"{mount}/config/pg", {
        "plugin_name": "postgresql-database-plugin", "connection_url": conn, "username": admin, "password": admin_pw,
        "allowed_roles": "dyn,short,static1,bad",
    }, root)
    assert status == 204, body
    status, body = http(addr, "POST", f"{mount}/roles/dyn", {
        "db_name": "pg", "creation_statements": CREATE, "default_ttl": "1h", "max_ttl": "24h"}, root)
    assert status == 204, body
    yield {"addr": addr, "root": root, "mount": mount, "admin": admin, "admin_pw": admin_pw}
    http(addr, "DELETE", f"sys/mounts/{mount}", token=root)
    sql(pg, f"DROP ROLE IF EXISTS \"{admin}\"")


def creds(d, role="dyn", token=None):
    status, body = http(d["addr"], "GET", f"{d['mount']}/creds/{role}", token=token or d["root"])
    assert status == 200, body
    return body


def test_creds_log_in_and_revoke_drops_the_role(db, pg):
    c = creds(db)
    assert c["lease_id"].startswith(f"{db['mount']}/creds/dyn/") and c["lease_duration"] == 3600 and c["renewable"]
    user, password = c["data"]["username"], c["data"]["password"]
    assert can_login(pg, user, password)
    status, body = http(db["addr"], "PUT", "sys/leases/lookup", {"lease_id": c["lease_id"]}, db["root"])
    assert status == 200 and body["data"]["id"] == c["lease_id"] and body["data"]["path"] == f"{db['mount']}/creds/dyn", body
    status, body = http(db["addr"], "PUT", "sys/leases/renew", {"lease_id": c["lease_id"], "increment": "2h"}, db["root"])
    assert status == 200 and body["lease_duration"] == 7200, body
    status, _ = http(db["addr"], "PUT", "sys/leases/revoke", {"lease_id": c["lease_id"]}, db["root"])
    assert status == 204
    assert not can_login(pg, user, password)
    assert not role_exists(pg, user)


def test_lease_expiry_drops_the_role(db, pg):
    status, body = http(db["addr"], "POST", f"{db['mount']}/roles/short", {
        "db_name": "pg", "creation_statements": CREATE, "default_ttl": "2s", "max_ttl": "10s"}, db["root"])
    assert status == 204, body
    c = creds(db, "short")
    assert c["lease_duration"] == 2
    user, password = c["data"]["username"], c["data"]["password"]
    assert role_exists(pg, user)
    assert wait_for(lambda: not role_exists(pg, user)), "the expired lease's role was not dropped"
    assert not can_login(pg, user, password)


def test_revoking_the_token_revokes_its_credentials(db, pg):
    status, body = http(db["addr"], "POST", "auth/token/create", {"policies": ["root"], "ttl": "1h"}, db["root"])
    assert status == 200, body
    token = body["auth"]["client_token"]
    c = creds(db, token=token)
    user = c["data"]["username"]
    assert role_exists(pg, user)
    status, _ = http(db["addr"], "POST", "auth/token/revoke-self", {}, token)
    assert status == 204
    assert wait_for(lambda: not role_exists(pg, user)), "the token's credentials outlived it"


def test_revoke_prefix_and_async_revoke(db, pg):
    users = [creds(db)["data"]["username"] for _ in range(5)]
    status, body = http(db["addr"], "LIST", f"sys/leases/lookup/{db['mount']}/creds/dyn", token=db["root"])
    assert status == 200 and len(body["data"]["keys"]) == 5, body
    status, _ = http(db["addr"], "PUT", f"sys/leases/revoke-prefix/{db['mount']}/creds/dyn", {"sync": False}, db["root"])
    assert status == 202
    assert wait_for(lambda: not any(role_exists(pg, u) for u in users))
    status, body = http(db["addr"], "LIST", f"sys/leases/lookup/{db['mount']}/creds/dyn", token=db["root"])
    assert status == 404, body


def test_static_role_rotates_on_schedule(db, pg):
    rc, _, err = sql(pg, "DROP ROLE IF EXISTS app_static_e2e; CREATE ROLE app_static_e2e WITH LOGIN PASSWORD 'initial-pw'")
    assert rc == 0, err
    status, body = http(db["addr"], "POST", f"{db['mount']}/static-roles/static1", {
        "db_name": "pg", "username": "app_static_e2e", "rotation_period": "5s"}, db["root"])
    assert status == 204, body
    assert not can_login(pg, "app_static_e2e", "initial-pw"), "creating a static role rotates at once"
    status, body = http(db["addr"], "GET", f"{db['mount']}/static-creds/static1", token=db["root"])
    assert status == 200 and body["lease_id"] == "" and body["data"]["username"] == "app_static_e2e", body
    first = body["data"]["password"]
    assert body["data"]["rotation_period"] == 5 and 0 <= body["data"]["ttl"] <= 5
    assert can_login(pg, "app_static_e2e", first)

    def rotated():
        s, b = http(db["addr"], "GET", f"{db['mount']}/static-creds/static1", token=db["root"])
        return s == 200 and b["data"]["password"] != first

    assert wait_for(rotated, timeout=20), "the password did not change on schedule"
    assert not can_login(pg, "app_static_e2e", first), "the old password still works"
    _, b = http(db["addr"], "GET", f"{db['mount']}/static-creds/static1", token=db["root"])
    assert can_login(pg, "app_static_e2e", b["data"]["password"])
    http(db["addr"], "DELETE", f"{db['mount']}/static-roles/static1", token=db["root"])


def test_rotate_root_locks_out_the_old_password(db, pg):
    assert can_login(pg, db["admin"], db["admin_pw"])
    status, body = http(db["addr"], "POST", f"{db['mount']}/rotate-root/pg", {}, db["root"])
    assert status == 204, body
    assert not can_login(pg, db["admin"], db["admin_pw"])
    # The engine still works with its new password.
    c = creds(db)
    assert can_login(pg, c["data"]["username"], c["data"]["password"])
    status, body = http(db["addr"], "GET", f"{db['mount']}/config/pg", token=db["root"])
    assert status == 200 and "password" not in body["data"]["connection_details"], body


def test_openbaos_errors_for_bad_input(db, pg):
    addr, root, m = db["addr"], db["root"], db["mount"]
    status, body = http(addr, "POST", f"{m}/config/x", {"plugin_name": "nosuch-plugin", "connection_url": "postgresql://a@b/c"}, root)
    assert status == 400 and body["errors"][0].startswith(
        "error creating database object: invalid database version: 2 errors occurred:\n\t* plugin not found in the catalog: nosuch-plugin"), body
    # An unreachable database: refused, bounded by the connect timeout (no hang).
    closed = free_port()
    start = time.time()
    status, body = http(addr, "POST", f"{m}/config/x", {
        "plugin_name": "postgresql-database-plugin", "connection_url": f"postgresql://u:p@127.0.0.1:{closed}/postgres?sslmode=disable"},
        root, timeout=60)
    assert status == 400 and body["errors"][0].startswith("error creating database object: error verifying connection: "), body
    assert time.time() - start < 30
    status, body = http(addr, "GET", f"{m}/creds/nosuch", token=root)
    assert status == 400 and body["errors"] == ["unknown role: nosuch"], body
    status, body = http(addr, "POST", f"{m}/roles/notallowed", {"db_name": "pg", "creation_statements": CREATE}, root)
    assert status == 204
    status, body = http(addr, "GET", f"{m}/creds/notallowed", token=root)
    assert status == 500 and body["errors"] == ['1 error occurred:\n\t* "notallowed" is not an allowed role\n\n'], body
    # Failing SQL: the half-created user is rolled back, nothing is leased.
    status, body = http(addr, "POST", f"{m}/roles/bad", {"db_name": "pg", "creation_statements": [
        "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}';", "GRANT SELECT ON nosuch_table TO \"{{name}}\";"]}, root)
    assert status == 204
    rc, before, _ = sql(pg, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-root-bad-%'")
    status, body = http(addr, "GET", f"{m}/creds/bad", token=root)
    assert status == 500 and body["errors"] == [
        '1 error occurred:\n\t* failed to execute query: ERROR: relation "nosuch_table" does not exist (SQLSTATE 42P01)\n\n'], body
    rc, after, _ = sql(pg, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-root-bad-%'")
    assert after == before
    status, body = http(addr, "LIST", f"sys/leases/lookup/{m}/creds/bad", token=root)
    assert status == 404


def test_hvac_database_methods(db, pg):
    client = hvac.Client(url=db["addr"], token=db["root"])
    m = db["mount"]
    client.secrets.database.create_role("hv", db_name="pg", creation_statements=CREATE, default_ttl="1h", mount_point=m)
    # The connection's allowed_roles does not name it: allow it first.
    status, body = http(db["addr"], "POST", f"{m}/config/pg", {"plugin_name": "postgresql-database-plugin", "allowed_roles": "*"}, db["root"])
    assert status == 204, body
    assert "hv" in client.secrets.database.list_roles(mount_point=m)["data"]["keys"]
    c = client.secrets.database.generate_credentials("hv", mount_point=m)
    assert can_login(pg, c["data"]["username"], c["data"]["password"])
    client.sys.revoke_lease(c["lease_id"])
    assert not role_exists(pg, c["data"]["username"])
    client.secrets.database.reset_connection("pg", mount_point=m)
    assert client.secrets.database.read_connection("pg", mount_point=m)["data"]["plugin_name"] == "postgresql-database-plugin"


def test_sigkill_between_issue_and_revoke_loses_no_lease(sqlite_server, pg):
    s = sqlite_server
    s.init()
    s.unseal()
    root = s.root_token
    admin, admin_pw = "coffer_kill_admin", "Kill-adm1n"
    sql(pg, f"DROP ROLE IF EXISTS {admin}")
    assert sql(pg, f"CREATE ROLE {admin} WITH LOGIN SUPERUSER PASSWORD '{admin_pw}'")[0] == 0
    assert http(s.addr, "POST", "sys/mounts/database", {"type": "database"}, root)[0] == 204
    conn = f"postgresql://{{{{username}}}}:{{{{password}}}}@{pg['host']}:{pg['port']}/postgres?sslmode=disable"
    status, body = http(s.addr, "POST", "database/config/pg", {"plugin_name": "postgresql-database-plugin", "connection_url": conn,
                                                              "username": admin, "password": admin_pw, "allowed_roles": "*"}, root)
    assert status == 204, body
    assert http(s.addr, "POST", "database/roles/k", {"db_name": "pg", "creation_statements": CREATE, "default_ttl": "1h"}, root)[0] == 204
    assert http(s.addr, "POST", "database/roles/k4", {"db_name": "pg", "creation_statements": CREATE, "default_ttl": "4s"}, root)[0] == 204
    status, c = http(s.addr, "GET", "database/creds/k", token=root)
    assert status == 200, c
    status, c4 = http(s.addr, "GET", "database/creds/k4", token=root)
    assert status == 200, c4
    s.kill()
    s.start()
    s.unseal()
    # The short lease expires on time after the restart; the long one is still known and revocable.
    assert wait_for(lambda: not role_exists(pg, c4["data"]["username"])), "the lease issued before the crash was lost"
    assert role_exists(pg, c["data"]["username"])
    status, _ = http(s.addr, "PUT", "sys/leases/revoke", {"lease_id": c["lease_id"]}, root)
    assert status == 204
    assert not role_exists(pg, c["data"]["username"])
    http(s.addr, "DELETE", "sys/mounts/database", token=root)
    sql(pg, f"DROP ROLE IF EXISTS {admin}")


def test_cli_reads_creds_and_revokes_a_prefix(db, pg):
    from conftest import coffer_bin
    env = dict(os.environ, VAULT_ADDR=db["addr"], VAULT_TOKEN=db["root"])
    env.pop("COFFER_ADDR", None)
    env.pop("COFFER_TOKEN", None)
    r = subprocess.run([coffer_bin(), "read", f"{db['mount']}/creds/dyn"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    rows = dict(line.split(None, 1) for line in r.stdout.splitlines()[2:] if line.strip())
    assert rows["lease_id"].startswith(f"{db['mount']}/creds/dyn/") and rows["lease_duration"] == "1h"
    assert rows["lease_renewable"] == "true"
    assert can_login(pg, rows["username"], rows["password"])
    # As bao: -prefix queues the revocation (202); -sync waits for it.
    r = subprocess.run([coffer_bin(), "lease", "revoke", "-prefix", f"{db['mount']}/creds/dyn"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "All revocation operations queued successfully!", r
    assert wait_for(lambda: not role_exists(pg, rows["username"]))
    rows2 = subprocess.run([coffer_bin(), "read", "-format=json", f"{db['mount']}/creds/dyn"], capture_output=True, text=True,
                           timeout=60, env=env)
    user2 = __import__("json").loads(rows2.stdout)["data"]["username"]
    r = subprocess.run([coffer_bin(), "lease", "revoke", "-sync", "-prefix", f"{db['mount']}/creds/dyn"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 0 and r.stdout.strip() == f"Success! Revoked any leases with prefix: {db['mount']}/creds/dyn", r
    assert not role_exists(pg, user2)
