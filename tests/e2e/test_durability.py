"""Durability and integrity of the SQLite store, through the real binary."""
import sqlite3
import threading
import time

from conftest import http


def test_acknowledged_writes_survive_sigkill(sqlite_server):
    s = sqlite_server
    s.init()
    s.unseal()
    status, _ = http(s.addr, "POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "1"}}, s.root_token)
    assert status == 204

    acked = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            key = f"w{n}/k{i}"
            try:
                status, _ = http(s.addr, "PUT", "kv/" + key, {"v": f"value-{n}-{i}"}, s.root_token, timeout=5)
            except OSError:
                return
            if status == 204:
                with lock:
                    acked[key] = f"value-{n}-{i}"
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    time.sleep(3)
    s.kill()  # SIGKILL while writes are in flight
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acked) > 50, "too few writes were acknowledged to prove anything"

    s.start()
    status, body = http(s.addr, "GET", "sys/seal-status")
    assert body["initialized"] is True and body["sealed"] is True
    s.unseal()
    missing = []
    for key, value in acked.items():
        status, body = http(s.addr, "GET", "kv/" + key, token=s.root_token)
        if status != 200 or body["data"]["v"] != value:
            missing.append(key)
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"


def test_restart_comes_back_sealed_with_data(sqlite_server):
    s = sqlite_server
    s.init(shares=5, threshold=3)
    s.unseal()
    http(s.addr, "POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}}, s.root_token)
    status, _ = http(s.addr, "POST", "kv/data/app", {"data": {"password": "hunter22"}}, s.root_token)
    assert status == 200
    s.stop()
    s.start()
    status, body = http(s.addr, "GET", "sys/seal-status")
    assert body["initialized"] is True and body["sealed"] is True and body["t"] == 3 and body["n"] == 5
    status, body = http(s.addr, "GET", "kv/data/app", token=s.root_token)
    assert status == 503 and body["errors"] == ["Vault is sealed"]
    s.unseal()
    status, body = http(s.addr, "GET", "kv/data/app", token=s.root_token)
    assert status == 200 and body["data"]["data"] == {"password": "hunter22"}


def test_no_plaintext_on_disk_and_flipped_byte_is_an_error(sqlite_server):
    s = sqlite_server
    s.init()
    s.unseal()
    http(s.addr, "POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "1"}}, s.root_token)
    status, _ = http(s.addr, "PUT", "kv/target", {"marker": "PLAINTEXT-MARKER-1234"}, s.root_token)
    assert status == 204
    s.stop()

    raw = s.db_path.read_bytes()
    for suffix in ("-wal",):
        p = s.db_path.with_name(s.db_path.name + suffix)
        if p.exists():
            raw += p.read_bytes()
    assert b"PLAINTEXT-MARKER-1234" not in raw
    assert b"hunter" not in raw

    db = sqlite3.connect(str(s.db_path))
    tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
    assert tables, "no table in the database"
    table = tables[0]
    rows = db.execute(f"select key, value from {table} where key like 'logical/%/target'").fetchall()
    assert len(rows) == 1, rows
    key, value = rows[0]
    flipped = bytearray(value)
    flipped[len(flipped) // 2] ^= 0x01
    db.execute(f"update {table} set value = ? where key = ?", (bytes(flipped), key))
    db.commit()
    db.close()

    s.start()
    s.unseal()
    status, body = http(s.addr, "GET", "kv/target", token=s.root_token)
    assert status == 500, (status, body)
    assert "PLAINTEXT-MARKER" not in str(body)
