"""`ekslite serve` as a user runs it: health, restarts, signals, every store backend, and bad input."""

import hashlib
import signal
import socket
import sqlite3
import subprocess

import pytest

from conftest import Cluster, create_cluster, http_get, run_ekslite


def test_health_reports_version_store_and_uptime(ekslite):
    server = ekslite()
    status, body = server.health()
    assert status == 200
    assert body["status"] == "ok"
    assert body["version"] == run_ekslite("--version").stdout.split()[1]
    assert body["store"]["backend"] == "sqlite"
    assert body["store"]["revision"] >= 1, "the server's own boot record is a write"
    assert body["server"]["boot"] == 1
    assert body["server"]["pid"] == server.process.pid
    assert body["uptime_seconds"] >= 0
    assert (server.data_dir / "ekslite.db").is_file()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_stop_cleanly(ekslite, sig):
    server = ekslite()
    assert server.stop(sig) == 0
    log = server.log()
    assert "ekslite stopped" in log
    assert "panicked" not in log


def test_restart_keeps_data_and_the_revision_counter(ekslite, tmp_path):
    data_dir = tmp_path / "state"
    first = ekslite(data_dir=data_dir)
    first_health = first.health()[1]
    assert first.stop() == 0

    second = ekslite(data_dir=data_dir)
    second_health = second.health()[1]
    assert second_health["server"]["id"] == first_health["server"]["id"]
    assert second_health["server"]["boot"] == 2, "the boot record written before the restart was read back"
    assert second_health["store"]["revision"] == first_health["store"]["revision"] + 1
    assert second.stop() == 0

    third = ekslite(data_dir=data_dir)
    assert third.health()[1]["server"]["boot"] == 3


def test_sigkill_loses_nothing_acknowledged(ekslite, tmp_path):
    data_dir = tmp_path / "state"
    first = ekslite(data_dir=data_dir)
    revision = first.health()[1]["store"]["revision"]
    first.process.kill()
    first.process.wait()
    second = ekslite(data_dir=data_dir)
    health = second.health()[1]
    assert health["server"]["boot"] == 2
    assert health["store"]["revision"] == revision + 1


def test_memory_store_starts_fresh_every_time(ekslite, tmp_path):
    data_dir = tmp_path / "unused"
    for _ in range(2):
        server = ekslite(data_dir=data_dir, args=["--store", "memory"])
        health = server.health()[1]
        assert health["store"] == {"backend": "memory", "revision": 1, "compacted": 0}
        assert health["server"]["boot"] == 1
        assert server.stop() == 0
    assert not (data_dir / "ekslite.db").exists()


def test_etcd_store_keeps_state_in_etcd(ekslite, etcd, tmp_path):
    args = ["--store", f"etcd://{etcd.endpoint}"]
    first = ekslite(data_dir=tmp_path / "a", args=args)
    health = first.health()[1]
    assert health["store"]["backend"] == "etcd"
    assert health["server"]["boot"] == 1
    assert first.stop() == 0
    again = ekslite(data_dir=tmp_path / "a", args=args)
    health_again = again.health()[1]
    assert health_again["server"]["boot"] == 2
    assert health_again["store"]["revision"] > health["store"]["revision"]


def test_two_servers_share_one_etcd(ekslite, etcd, tmp_path):
    args = ["--store", f"etcd://{etcd.endpoint}"]
    one = ekslite(data_dir=tmp_path / "one", args=args)
    two = ekslite(data_dir=tmp_path / "two", args=args)
    one_health, two_health = one.health()[1], two.health()[1]
    assert one_health["server"]["id"] != two_health["server"]["id"]
    # Both see every write, including the other's boot record: two writes on etcd's initial revision 1.
    assert one_health["store"]["revision"] == two_health["store"]["revision"] == 3
    assert one.stop() == 0
    assert two.health()[0] == 200, "one server stopping leaves the other serving"


def test_unknown_routes_get_a_json_404(ekslite):
    server = ekslite()
    status, body = http_get(f"{server.url}/no/such/thing")
    assert status == 404
    assert "message" in body


@pytest.mark.parametrize(
    "args, message",
    [
        (["serve", "--store", "postgres"], "unknown store"),
        (["serve", "--store", "etcd://nohost"], "bad etcd endpoint"),
        (["serve", "--listen", "localhost"], "--listen"),
        (["serve", "--listen", "127.0.0.1:99999"], "--listen"),
        (["serve", "--etcd-timeout=-1"], "--etcd-timeout"),
        (["serve", "--etcd-timeout", "forever"], "--etcd-timeout"),
        (["serve", "--eks-create-delay=-1"], "--eks-create-delay"),
        (["serve", "--eks-delete-delay", "soon"], "--eks-delete-delay"),
        (["serve", "--eks-update-delay", "99999"], "--eks-update-delay"),
        (["serve", "--max-clusters", "0"], "--max-clusters"),
        (["serve", "--frobnicate"], "--frobnicate"),
        (["frobnicate"], "frobnicate"),
        (["serve", "extra"], "extra"),
    ],
)
def test_bad_flags_get_one_line_and_exit_2(args, message):
    result = run_ekslite(*args)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ekslite: ")
    assert message in lines[0]
    assert "panicked" not in result.stderr


def test_unreachable_etcd_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = run_ekslite(
        "serve", "--data-dir", str(tmp_path), "--listen", "127.0.0.1:0", "--store", f"etcd://127.0.0.1:{port}",
        "--etcd-timeout", "1",
    )
    assert result.returncode == 1, result
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ekslite: ") and f"127.0.0.1:{port}" in last, result.stderr
    assert "panicked" not in result.stderr


def test_a_port_in_use_is_refused(ekslite, tmp_path):
    server = ekslite()
    result = run_ekslite("serve", "--data-dir", str(tmp_path / "other"), "--listen", f"127.0.0.1:{server.port}")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"ekslite: cannot listen on 127.0.0.1:{server.port}")
    assert server.health()[0] == 200


def test_a_data_dir_in_use_is_refused(ekslite):
    server = ekslite()
    result = run_ekslite("serve", "--data-dir", str(server.data_dir), "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "in use by another ekslite process" in result.stderr
    assert server.health()[0] == 200


def file_digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_foreign_database_is_refused_and_left_alone(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "ekslite.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        connection.execute("INSERT INTO invoices VALUES (1, 9.5)")
    before = file_digest(database)
    result = run_ekslite("serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ekslite: ") and "did not create" in last, result.stderr
    assert file_digest(database) == before


def test_a_garbage_database_is_refused_and_left_alone(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "ekslite.db"
    database.write_bytes(bytes(range(256)) * 64)
    result = run_ekslite("serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "not an SQLite database" in result.stderr
    assert database.read_bytes() == bytes(range(256)) * 64


def test_version_and_help():
    version = run_ekslite("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("ekslite ")
    help_text = run_ekslite("serve", "--help")
    assert help_text.returncode == 0
    for flag in ["--data-dir", "--listen", "--store", "127.0.0.1:4566", "etcd://"]:
        assert flag in help_text.stdout


def test_garbage_requests_do_not_hurt_the_server(ekslite):
    server = ekslite()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")
        sock.settimeout(5)
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400") or reply == b""
    status, _ = http_get(f"{server.url}/_ekslite/health")
    assert status == 200
    request = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", f"{server.url}/_ekslite/health"],
        capture_output=True, text=True, timeout=30,
    )
    assert request.stdout == "405"


def test_a_cluster_on_etcd_serves_kubectl_through_the_watch_cache(ekslite, etcd, tmp_path):
    args = ["--store", f"etcd://{etcd.endpoint}"]
    server = ekslite(data_dir=tmp_path / "a", args=args)
    cluster = create_cluster(server, "on-etcd", tmp_path)
    cluster.kubectl("create", "configmap", "one", "--from-literal=a=b")
    names = cluster.kubectl("get", "configmaps", "-o", "name").stdout.split()
    assert "configmap/one" in names

    # A watch (kubectl wait) sees a change made afterwards from another client.
    waiter = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "wait", "configmap/one",
         "--for=jsonpath={.data.a}=c", "--timeout=60s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    cluster.kubectl("patch", "configmap", "one", "--type=merge", "-p", '{"data":{"a":"c"}}')
    out, err = waiter.communicate(timeout=90)
    assert waiter.returncode == 0, err
    assert "condition met" in out

    # After a restart the cache is loaded from etcd again.
    assert server.stop() == 0
    again = ekslite(data_dir=tmp_path / "a", args=args)
    cluster = Cluster(again, "on-etcd", cluster.kubeconfig)
    data = cluster.kubectl("get", "configmap", "one", "-o", "jsonpath={.data.a}").stdout
    assert data == "c"
