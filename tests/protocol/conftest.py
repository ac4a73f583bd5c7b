"""Fixtures for the protocol tests: the server binary, run over stdio or Streamable HTTP, through the
official Python MCP SDK (a client no one on this project wrote)."""

import os
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("KAFKA_QA_BIN", str(ROOT / "target" / "debug" / "kafka-qa-mcp"))


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run tools/stack up and source .stack/env (tools/test does both)")
    return value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(extra=None) -> dict:
    env = {k: v for k, v in os.environ.items()}
    env["KAFKA_QA_LOG"] = "warn"
    env["KAFKA_QA_EXPORT_DIR"] = str(ROOT / "target" / "protocol-exports")
    env.update(extra or {})
    return env


class HttpServer:
    def __init__(self, token=None, extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        args = [BIN, "serve", "--http", f"127.0.0.1:{self.port}"]
        env = server_env(extra_env)
        if token:
            env["KAFKA_QA_AUTH_TOKEN"] = token
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def loki_replay():
    """The stack's real Loki when tools/test runs them (LOKI_URL); else recorded real Loki responses on a
    loopback port. Every server these tests start gets LOKI_URL pointing at it."""
    if os.environ.get("KAFKA_QA_TEST_STACK") and os.environ.get("LOKI_URL"):
        yield os.environ["LOKI_URL"]
        return
    port = free_port()
    replay = ROOT / "target" / "debug" / "examples" / "loki_replay"
    if not replay.exists():
        subprocess.run(["cargo", "build", "--quiet", "--example", "loki_replay"], cwd=ROOT, check=True)
    proc = subprocess.Popen([str(replay), f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    os.environ["LOKI_URL"] = f"http://127.0.0.1:{port}"
    yield os.environ["LOKI_URL"]
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def http_server():
    server = HttpServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_server_with_token():
    token = "tok-" + uuid.uuid4().hex
    server = HttpServer(token=token)
    server.token = token
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kafka_topic():
    """A topic with three partitions and a few JSON orders, made with confluent-kafka (not our code)."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    import json

    bootstrap = require_env("KAFKA_BOOTSTRAP_SERVERS")
    name = f"proto-orders-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])[name].result(timeout=15)
    producer = Producer({"bootstrap.servers": bootstrap, "batch.num.messages": 1, "linger.ms": 0})
    for i in range(30):
        order = {"order_id": f"o-{i}", "amount": 10.5 + i, "status": ["new", "paid", "shipped"][i % 3],
                 "email": f"buyer{i}@example.com"}
        producer.produce(name, key=f"k{i}", value=json.dumps(order))
        producer.flush(10)
    yield name
    admin.delete_topics([name])[name].result(timeout=15)
