"""What the demo's agent path costs an agent, measured with its eyes: runs examples/demo_agent.py's walk (the
official Python MCP SDK over stdio) against a server binary and prints, per call, the request and reply sizes in
bytes and estimated tokens, and the total for the walk.

    $PYTHON tools/bench/agent_walk.py --server target/debug/kafka-qa-mcp [--demo examples/demo_agent.py]

Needs the running stack (source .stack/env). Creates three topics of its own, runs the example order processor
(target/debug/examples/order_processor, or --processor) as the system under test, and removes both at the end.

Columns: `request` is the call as JSON ({name, arguments}); `text` is the reply's text content, what a model is
shown; `json` is its structuredContent. Tokens are estimated as bytes / 4 (the estimate the issue's 45,531 bytes
≈ 11k tokens uses; no tokenizer is installed here). The walk's total counts what the model reads and writes:
tools/list (names, descriptions, input schemas), every request and every reply text.
"""

import argparse
import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import time
import uuid

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def compact(v):
    return len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode())


def tokens(n):
    return (n + 3) // 4


class Measured:
    """The SDK client, with every exchange the agent makes counted."""

    def __init__(self, client):
        self.client = client
        self.rows = []
        self.listed = None

    @property
    def server_info(self):
        return self.client.server_info

    async def list_tools(self):
        result = await self.client.list_tools()
        tools = result.tools
        listed = sum(compact({"name": t.name, "description": t.description, "inputSchema": t.input_schema}) for t in tools)
        outputs = sum(compact(t.output_schema or {}) for t in tools)
        self.listed = (len(tools), listed, outputs)
        return result

    async def call_tool(self, name, arguments):
        result = await self.client.call_tool(name, arguments)
        text = sum(len(c.text.encode()) for c in result.content if getattr(c, "type", "") == "text")
        structured = compact(result.structured_content) if result.structured_content is not None else 0
        self.rows.append((name, compact({"name": name, "arguments": arguments}), text, structured))
        return result

    async def read_resource(self, uri):
        result = await self.client.read_resource(uri)
        text = sum(len(getattr(c, "text", "").encode()) for c in result.contents)
        self.rows.append((f"read {uri.split('://')[0]}://", compact({"uri": uri}), text, 0))
        return result


def load_demo(path):
    spec = importlib.util.spec_from_file_location("demo_agent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def topics(action, names):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    if action == "create":
        futures = admin.create_topics([NewTopic(n, num_partitions=3, replication_factor=1) for n in names])
    else:
        futures = admin.delete_topics(names)
    for future in futures.values():
        future.result(timeout=15)


async def walk(a, demo, names):
    env = dict(os.environ, KAFKA_QA_LOG="warn")
    params = StdioServerParameters(command=a.server, args=["serve"], env=env)
    async with Client(params) as client:
        measured = Measured(client)
        listed = [t.name for t in (await measured.list_tools()).tools]
        agent = demo.Agent(measured)
        transcript = io.StringIO()
        failed = None
        with contextlib.redirect_stdout(transcript):
            try:
                await demo.run(agent, listed, names)
            except demo.StepFailed as e:
                failed = str(e)
        if a.transcript:
            print(transcript.getvalue())
        if failed or agent.failures:
            print(transcript.getvalue()[-3000:], file=sys.stderr)
            print(f"the walk failed: {failed or '; '.join(agent.failures)}", file=sys.stderr)
        return measured, agent, failed


def report(label, measured, agent):
    count, listed, outputs = measured.listed
    print(f"## Agent walk: {label}")
    print(f"tools/list: {count} tools, {listed} bytes (~{tokens(listed)} tokens) of names, descriptions and input "
          f"schemas; output schemas {outputs} bytes more")
    print()
    print("| # | call | request B | reply text B | reply JSON B | ~tokens (request + text) |")
    print("|---|---|---|---|---|---|")
    total_req = total_text = total_json = 0
    for i, (name, req, text, js) in enumerate(measured.rows, 1):
        print(f"| {i} | {name} | {req} | {text} | {js} | {tokens(req + text)} |")
        total_req, total_text, total_json = total_req + req, total_text + text, total_json + js
    walk = listed + total_req + total_text
    print(f"| | **total** | {total_req} | {total_text} | {total_json} | {tokens(total_req + total_text)} |")
    print()
    print(f"Walk: {len(measured.rows)} exchanges, {agent.checks} expectations checked, {len(agent.failures)} failed. "
          f"Model-visible total (tools/list + requests + reply texts): {walk} bytes, ~{tokens(walk)} tokens "
          f"(with the structured JSON too: {walk + total_json} bytes, ~{tokens(walk + total_json)} tokens).")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", default=os.path.join(ROOT, "target", "debug", "kafka-qa-mcp"))
    p.add_argument("--demo", default=os.path.join(ROOT, "examples", "demo_agent.py"), help="the agent walk to run")
    p.add_argument("--processor", default=os.path.join(ROOT, "target", "debug", "examples", "order_processor"))
    p.add_argument("--label", default=None)
    p.add_argument("--transcript", action="store_true", help="print the demo agent's transcript too")
    a = p.parse_args()
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "PROMETHEUS_URL", "LOKI_URL"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: source .stack/env (tools/stack up starts the stack)")
    demo = load_demo(a.demo)
    run = uuid.uuid4().hex[:6]
    names = {"input": f"walk.{run}.orders", "output": f"walk.{run}.enriched", "dlq": f"walk.{run}.dlq"}
    export_dir = os.path.join(ROOT, "exports", f"walk-{run}")
    os.makedirs(export_dir, exist_ok=True)
    os.environ["KAFKA_QA_EXPORT_DIR"] = export_dir
    topics("create", list(names.values()))
    processor = subprocess.Popen(
        [a.processor, "--bootstrap", os.environ["KAFKA_BOOTSTRAP_SERVERS"], "--input", names["input"],
         "--output", names["output"], "--dlq", names["dlq"], "--group", f"walk.{run}.processor"],
        stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        measured, agent, failed = anyio.run(walk, a, demo, names)
    finally:
        processor.terminate()
        processor.wait(timeout=15)
        topics("delete", list(names.values()))
    report(a.label or a.server, measured, agent)
    return 1 if failed or agent.failures else 0


if __name__ == "__main__":
    sys.exit(main())
