"""The server through the official Python MCP SDK, over stdio and Streamable HTTP, with both the
initialize handshake (legacy) and the 2026-07-28 discovery (auto): what a real client sees."""

import json
import os
import urllib.error
import urllib.request

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from conftest import BIN, server_env

# One valid call per tool, in the order an agent would make them; `{topic}` is replaced by the test topic and
# `{case_set}` by what generate_test_cases returned. Every listed tool must appear here, so a new tool without a
# protocol test fails this suite.
EXAMPLES = {
    "generate_test_data": {"entity": "order", "count": 3, "seed": 7},
    "generate_test_cases": {"topic": "{topic}", "max_cases": 4, "kinds": ["positive", "negative"],
                            "target": {"input_topic": "{topic}", "output_topic": "{topic}", "timeout_ms": 3000}},
    "run_test_cases": {"case_set": "{case_set}", "parallelism": 2, "timeout_ms": 3000},
    "list_topics": {"pattern": "proto-*", "include_groups": True},
    "infer_schema": {"topic": "{topic}", "max_messages": 30},
    "loki_query": {"labels": {"job": "kafka"}, "start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z", "limit": 4000},
    "prom_snapshot": {"presets": ["replication"], "start": "2024-01-15T02:30:00Z", "end": "2024-01-15T03:40:00Z"},
    "graph_rca": {"sources": "live", "start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z"},
    "export_parquet": {"source": {"kind": "topic", "topic": "{topic}"}, "path": "protocol/{topic}.parquet", "overwrite": True},
    "produce_test_message": {"topic": "{topic}", "messages": [{"key": "k-new", "value": {"order_id": "o-new", "amount": 12.5, "status": "new", "email": "a@example.com"}}]},
    "peek_messages": {"topic": "{topic}", "tail": 2},
    # The subject is registered by register_compat_subject (not the topic's own subject, so produce stays JSON).
    "check_schema_compatibility": {"subject": "proto-compat-{topic}", "schema": json.dumps(
        {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"},
                                                        {"name": "note", "type": ["null", "string"], "default": None}]})},
}


def register_compat_subject(topic):
    """Registers version 1 of the subject check_schema_compatibility's example checks against."""
    url = os.environ.get("SCHEMA_REGISTRY_URL")
    if not url:
        return
    schema = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]})
    req = urllib.request.Request(f"{url}/subjects/proto-compat-{topic}/versions", method="POST",
                                 data=json.dumps({"schema": schema}).encode(),
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    urllib.request.urlopen(req, timeout=30).read()


def fill(args, topic, case_set=""):
    return json.loads(json.dumps(args).replace("{topic}", topic).replace("{case_set}", case_set))


async def exercise(client, topic):
    assert client.server_info.name == "kafka-qa-mcp"
    assert client.server_info.version

    tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert names, "no tools listed"
    if os.environ.get("KAFKA_QA_TEST_STACK"):
        # Under tools/test every backend is configured, so every tool is offered.
        assert names == set(EXAMPLES), f"tools missing from tools/list: {set(EXAMPLES) - names}"
    assert names <= set(EXAMPLES), f"tools without a protocol example: {names - set(EXAMPLES)}"
    for t in tools:
        assert t.description and len(t.description) > 40, t.name
        assert t.input_schema["type"] == "object" and "properties" in t.input_schema, t.name
        # tools/list leaves the common budget and rare arguments out; the full schema resource has them all.
        full = json.loads((await client.read_resource(f"schema://tools/{t.name}")).contents[0].text)
        assert "max_output_bytes" in full["properties"], t.name
        assert set(t.input_schema["properties"]) <= set(full["properties"]), t.name
        assert t.output_schema and t.output_schema.get("type") == "object", t.name
        assert t.annotations is not None and t.annotations.read_only_hint is not None, t.name

    # What tools/list costs an agent, as this SDK received it (tests/it/tools_list_size.rs holds the per-tool figures).
    listed = sum(len(json.dumps({"name": t.name, "description": t.description, "inputSchema": t.input_schema},
                                separators=(",", ":")).encode()) for t in tools)
    assert listed <= 16 * 1024, f"tools/list is {listed} bytes of names, descriptions and input schemas"

    register_compat_subject(topic)
    case_set = ""
    for name in sorted(names, key=list(EXAMPLES).index):
        result = await client.call_tool(name, fill(EXAMPLES[name], topic, case_set))
        text = result.content[0].text
        assert not result.is_error, f"{name}: {text}"
        assert result.structured_content is not None and "truncated" in result.structured_content, name
        # Every reply ends with the step an agent would take next, in the text and the JSON.
        assert "\n\nNext: " in text and result.structured_content["next"]["why"] in text.rsplit("Next: ", 1)[1], name
        if name == "generate_test_cases":
            case_set = result.structured_content["case_set"]

    # Bad input: an error result naming the argument, and the server still answers.
    bad = await client.call_tool("list_topics", {"limit": 0})
    assert bad.is_error and "limit" in bad.content[0].text
    wrong_type = await client.call_tool("infer_schema", {"topic": 42})
    assert wrong_type.is_error and "topic" in wrong_type.content[0].text
    assert not (await client.call_tool("list_topics", {"limit": 1})).is_error

    resources = (await client.list_resources()).resources
    uris = {str(r.uri) for r in resources}
    assert "kafka://cluster" in uris
    cluster = await client.read_resource("kafka://cluster")
    assert json.loads(cluster.contents[0].text)
    schema_uri = f"kafka://topics/{topic}/schema"
    assert schema_uri in uris, "infer_schema should have stored the topic's schema as a resource"
    schema = json.loads((await client.read_resource(schema_uri)).contents[0].text)
    assert "order_id" in json.dumps(schema)
    templates = (await client.list_resource_templates()).resource_templates
    assert any(t.uri_template == "kafka://topics/{name}" for t in templates)

    prompts = (await client.list_prompts()).prompts
    assert {"test_topic_end_to_end", "review_topic_schema"} <= {p.name for p in prompts}
    for p in prompts:
        args = {a.name: f"value-of-{a.name}" for a in (p.arguments or [])}
        got = await client.get_prompt(p.name, args)
        assert got.messages and all(v in got.messages[0].content.text for v in args.values() if "topic" in v)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_stdio(kafka_topic, mode):
    params = StdioServerParameters(command=BIN, args=["serve"], env=server_env())

    async def run():
        async with Client(params, mode=mode) as client:
            await exercise(client, kafka_topic)

    anyio.run(run)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_streamable_http(http_server, kafka_topic, mode):
    async def run():
        async with Client(http_server.url, mode=mode) as client:
            await exercise(client, kafka_topic)

    anyio.run(run)


INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}).encode()


def post(url, headers):
    request = urllib.request.Request(url, data=INIT, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_http_refuses_foreign_origin_and_host(http_server):
    assert post(http_server.url, {}) == 200
    assert post(http_server.url, {"Origin": "http://localhost:3000"}) == 200
    assert 400 <= post(http_server.url, {"Origin": "http://evil.example.com"}) < 500
    assert 400 <= post(http_server.url, {"Host": "evil.example.com"}) < 500


def test_http_token(http_server_with_token):
    s = http_server_with_token
    assert post(s.url, {}) == 401
    assert post(s.url, {"Authorization": "Bearer wrong"}) == 401
    assert post(s.url, {"Authorization": f"Bearer {s.token}"}) == 200


def test_mcp_json_works_as_written(tmp_path):
    """The mcp.json users copy: its stdio entry starts the server with its args and env."""
    from conftest import ROOT

    config = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]
    stdio = config["kafka-qa"]
    assert stdio["command"] == "kafka-qa-mcp"
    env = server_env(stdio["env"])
    env["KAFKA_QA_EXPORT_DIR"] = str(tmp_path)
    params = StdioServerParameters(command=BIN, args=stdio["args"], env=env)

    async def run():
        async with Client(params, mode="legacy") as client:
            assert client.server_info.name == "kafka-qa-mcp"
            assert (await client.list_tools()).tools

    anyio.run(run)
    assert config["kafka-qa-http"]["url"].startswith("http://127.0.0.1:")


def test_long_work_reports_progress_over_the_protocol(tmp_path):
    """A large generation job sends progress notifications to a client that asked for them."""
    params = StdioServerParameters(command=BIN, args=["serve"], env=server_env({"KAFKA_QA_EXPORT_DIR": str(tmp_path)}))
    seen = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    async def run():
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool(
                "generate_test_data",
                {"entity": "user", "count": 50000, "seed": 1, "destination": "file", "path": "users.ndjson"},
                progress_callback=on_progress,
            )
            assert not result.is_error, result.content[0].text

    anyio.run(run)
    assert seen, "no progress notification arrived"
    assert all(total == 50000 for _, total, _ in seen)
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen), "progress must increase"
    assert (tmp_path / "users.ndjson").exists()


def test_cancelled_work_stops_and_leaves_no_partial_file(tmp_path):
    """Cancelling a large generation job (the client's notifications/cancelled) stops it; its file never
    appears, and the server goes on answering."""
    params = StdioServerParameters(command=BIN, args=["serve"], env=server_env({"KAFKA_QA_EXPORT_DIR": str(tmp_path)}))

    async def run():
        async with Client(params, mode="legacy") as client:
            started = anyio.Event()

            async def on_progress(progress, total, message):
                started.set()

            async def big_job():
                await client.call_tool(
                    "generate_test_data",
                    {"entity": "order", "count": 10_000_000, "seed": 1, "destination": "file", "path": "big.ndjson"},
                    progress_callback=on_progress,
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(big_job)
                with anyio.fail_after(60):
                    await started.wait()
                tg.cancel_scope.cancel()
            # The job notices the cancellation between batches: on a loaded machine that can take a few
            # seconds, so wait (bounded) for its partial file to go; the final file must never appear.
            partial = []
            for _ in range(150):
                await anyio.sleep(0.1)
                assert not (tmp_path / "big.ndjson").exists(), "a cancelled job must not leave its file"
                partial = [p for p in tmp_path.iterdir() if p.name.startswith(".big")]
                if not partial:
                    break
            assert not partial, f"nor a partial file, 15 s after cancelling: {partial}"
            after = await client.call_tool("generate_test_data", {"entity": "user", "count": 1, "seed": 2})
            assert not after.is_error

    anyio.run(run)
