"""Token leases: expiry on time, cascading to children, catch-up after a restart, and a burst of 10,000
simultaneous expiries that must not stall other requests."""
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import Server, free_port, http


@pytest.fixture
def fresh_dev_server(tmp_path):
    port = free_port()
    s = Server(["server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
               f"http://127.0.0.1:{port}", tmp_path / "server.log").start()
    yield {"addr": s.addr, "token": "root"}
    s.stop()


def create(addr, token, **body):
    status, resp = http(addr, "POST", "auth/token/create", body, token)
    assert status == 200, resp
    return resp["auth"]["client_token"], resp["auth"]["accessor"]


def alive(addr, token):
    status, _ = http(addr, "GET", "auth/token/lookup-self", token=token)
    return status == 200


def test_short_ttl_token_and_children_stop_working(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    parent, _ = create(addr, root, ttl="2s")
    child, _ = create(addr, parent, ttl="1h")
    assert alive(addr, parent) and alive(addr, child)
    time.sleep(2.5)
    assert not alive(addr, parent)
    assert not alive(addr, child), "a child must die with its parent"


def test_lease_endpoints_for_tokens(coffer_server):
    addr, root = coffer_server["addr"], coffer_server["token"]
    tok, _ = create(addr, root, ttl="1h")
    status, body = http(addr, "LIST", "sys/leases/lookup/auth/token/create/", token=root)
    assert status == 200, body
    ids = ["auth/token/create/" + k for k in body["data"]["keys"]]
    found = None
    for lease_id in ids:
        s, b = http(addr, "PUT", "sys/leases/lookup", {"lease_id": lease_id}, root)
        if s == 200 and 3500 < b["data"]["ttl"] <= 3600:
            found = lease_id
    assert found, "the new token's lease was not listed"
    s, b = http(addr, "PUT", "sys/leases/renew", {"lease_id": found, "increment": "2h"}, root)
    assert s == 200 and b["lease_duration"] == 7200 and b["lease_id"] == found, b
    s, _ = http(addr, "PUT", "sys/leases/revoke", {"lease_id": found}, root)
    assert s == 204
    # Revoking a lease that does not exist is not an error.
    s, _ = http(addr, "PUT", "sys/leases/revoke", {"lease_id": found}, root)
    assert s == 204
    s, b = http(addr, "PUT", "sys/leases/lookup", {"lease_id": found}, root)
    assert s == 400 and b["errors"] == ["invalid lease"]
    # Tidy takes no fields and answers as OpenBao does.
    s, b = http(addr, "PUT", "sys/leases/tidy", {}, root)
    assert s == 202 and b["warnings"][0].startswith("Tidy operation successfully started"), b


def test_leases_from_before_a_restart_expire_on_time_after_it(sqlite_server):
    s = sqlite_server
    s.init()
    s.unseal()
    short, _ = create(s.addr, s.root_token, ttl="4s")
    longer, _ = create(s.addr, s.root_token, ttl="1h")
    s.kill()
    s.start()
    s.unseal()
    assert alive(s.addr, short) and alive(s.addr, longer)
    time.sleep(4.5)
    assert not alive(s.addr, short)
    assert alive(s.addr, longer)
    # The sweeper removed it from storage too, not only from use.
    status, body = http(s.addr, "LIST", "sys/leases/lookup/auth/token/create/", token=s.root_token)
    assert status == 200 and len(body["data"]["keys"]) == 1


def test_ten_thousand_tokens_expiring_together(fresh_dev_server):
    addr, root = fresh_dev_server["addr"], fresh_dev_server["token"]
    parent, _ = create(addr, root, ttl="10m")  # keeps the burst's tokens apart from other tests' tokens
    count = 10_000
    target = time.time() + 40

    def make(_):
        ttl = max(1, math.ceil(target - time.time()))
        status, body = http(addr, "POST", "auth/token/create", {"ttl": f"{ttl}s"}, parent, timeout=30)
        assert status == 200, body

    started = time.time()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(make, range(count)))
    assert time.time() < target - 2, f"creating {count} tokens took {time.time() - started:.1f}s, too slow to test a burst"

    latencies = []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            t0 = time.time()
            status, _ = http(addr, "GET", "auth/token/lookup-self", token=root, timeout=30)
            latencies.append(time.time() - t0)
            assert status == 200
            time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(max(0, target - time.time()))
    deadline = target + 15
    remaining = None
    while time.time() < deadline:
        status, body = http(addr, "LIST", "sys/leases/lookup/auth/token/create/", token=root, timeout=30)
        keys = body["data"]["keys"] if status == 200 else []
        status, me = http(addr, "GET", "auth/token/lookup-self", token=parent)
        remaining = len(keys) - (1 if status == 200 else 0)
        if remaining <= 0:
            break
        time.sleep(0.5)
    all_revoked_after = time.time() - target
    stop.set()
    prober.join()
    assert remaining is not None and remaining <= 0, f"{remaining} tokens still present 15s after they expired"
    assert all_revoked_after < 10, f"revoking the burst took {all_revoked_after:.1f}s"
    assert max(latencies) < 2.0, f"a request took {max(latencies):.2f}s during the burst"
