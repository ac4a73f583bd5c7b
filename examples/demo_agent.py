"""A scripted agent: drives kafka-qa-mcp over stdio through the official Python MCP SDK, the way a model would,
and prints a transcript. Each step shows the call (→ tool(args)), the start of the reply text, and the agent's
reasoning, built from the structured content the tool returned (no canned values).

Run by tools/demo, which sets up the stack (a real Loki among it), the topics and the order processor, and exports
KAFKA_BOOTSTRAP_SERVERS, PROMETHEUS_URL, NEO4J_*, LOKI_URL and KAFKA_QA_EXPORT_DIR for the server.

    python examples/demo_agent.py --server target/debug/kafka-qa-mcp --input T --output T --dlq T

Exit code 1 when a call returns isError or an expectation fails (e.g. a test case fails against the correct
processor, or the root cause is not broker 2 out of disk).
"""

import argparse
import json
import os
import re
import sys
import time

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

# The incident window of the local scenario (broker 2's disk fills at 03:00:01); the stack's Prometheus and
# Loki hold its metrics and logs.
WINDOW = {"start": "2024-01-15T02:50:00Z", "end": "2024-01-15T03:30:00Z"}
REPLY_LINES = 25
ARGS_CHARS = 400


class StepFailed(Exception):
    pass


class Agent:
    def __init__(self, client):
        self.client = client
        self.step = 0
        self.failures = []
        self.checks = 0

    async def call(self, title, tool, args):
        self.step += 1
        shown = json.dumps(args, ensure_ascii=False)
        if len(shown) > ARGS_CHARS:
            shown = shown[:ARGS_CHARS] + "…"
        print(f"\n━━ Step {self.step}: {title}")
        print(f"→ {tool}({shown})")
        began = time.monotonic()
        result = await self.client.call_tool(tool, args)
        took = time.monotonic() - began
        text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
        lines = text.splitlines()
        for line in lines[:REPLY_LINES]:
            print(f"  │ {line}")
        if len(lines) > REPLY_LINES:
            print(f"  │ … {len(lines) - REPLY_LINES} more lines")
        print(f"  ({took:.1f} s)")
        if result.is_error:
            raise StepFailed(f"{tool} returned isError: {lines[0] if lines else ''}")
        return result.structured_content or {}

    async def read(self, uri):
        print(f"→ read_resource({uri})")
        contents = (await self.client.read_resource(uri)).contents
        return contents[0].text

    def expect(self, ok, what):
        self.checks += 1
        if ok:
            print(f"  ✓ {what}")
        else:
            print(f"  ✗ EXPECTED: {what}")
            self.failures.append(f"step {self.step}: {what}")

    @staticmethod
    def think(line):
        print(f"\n  agent: {line}")


def field(fields, path):
    return next((f for f in fields if f["path"] == path), {})


def span(f):
    """The observed range of an inferred field, as text."""
    if "min" in f:
        return f"{f['min']:g}–{f['max']:g}"
    if "min_length" in f:
        return f"{f['min_length']}–{f['max_length']} chars"
    return "?"


def within(f, value):
    if "min" in f:
        return f["min"] <= value <= f["max"]
    if "min_length" in f:
        return f["min_length"] <= len(value) <= f["max_length"]
    return True


def hhmm(t):
    return t[11:19] if t and len(t) >= 19 else str(t)


HAND_WRITTEN = {
    "order_id": "ord_0000c0ffee01",
    "customer_id": "usr_00000000beef",
    "items": [
        {"product_id": "prd_00000000a001", "quantity": 2, "price": 24.5},
        {"product_id": "prd_00000000b002", "quantity": 1, "price": 51.0},
    ],
    "shipping_address": {"line1": "12 Harbour Street", "city": "Rotterdam", "postal_code": "3011", "country_code": "NL"},
    "payment": {"method": "card", "amount": 100.0},
    "status": "paid",
    "total": 100.0,
    "created_at": "2024-06-01T10:15:00.000Z",
    "note": None,
}


async def run(agent, names, topics):
    inp, out, dlq = topics["input"], topics["output"], topics["dlq"]
    prefix = inp.rsplit(".", 1)[0]

    # 1. What is there?
    s = await agent.call("look at the demo topics", "list_topics", {"pattern": f"{prefix}.*"})
    found = {t["name"]: t for t in s["topics"]}
    agent.expect(set(found) == {inp, out, dlq}, f"the three demo topics exist ({len(found)} found)")
    t = found.get(inp, {})
    agent.think(f"{s['topics_matched']} topics on cluster `{s['cluster_id']}` ({len(s['brokers'])} broker); "
                f"`{inp}` has {t.get('partitions')} partitions and {t.get('messages')} messages. "
                f"{s['health']['summary']} The input is empty: I fill it with realistic orders first.")

    # 2. Realistic input.
    s = await agent.call("produce 50 seeded orders to the input topic", "generate_test_data", {
        "entity": "order", "count": 50, "seed": 42, "destination": "topic", "target_topic": inp, "key_field": "order_id"})
    agent.expect(s["count"] == 50 and s["coherent"] == 50, f"50 coherent orders written ({s['coherent']} coherent)")
    agent.think(f"{s['count']} orders ({s['bytes']} bytes, seed {s['seed']}) went to `{s['topic']}` at "
                f"{s['records_per_second']:g} records/s, {s['coherent']}/{s['count']} coherent (totals add up). "
                "Now I learn the message shape from the topic itself, as I would on a topic I did not fill.")

    # 3. Learn the shape.
    s = await agent.call("infer the input topic's schema", "infer_schema", {"topic": inp})
    fields = s["fields"]
    required = s["schema"].get("required", [])
    agent.expect(s["messages_sampled"] >= 50 and "order_id" in required, f"schema inferred from {s['messages_sampled']} messages, order_id required")
    checks = {"total": HAND_WRITTEN["total"], "items[].quantity": 2, "shipping_address.line1": HAND_WRITTEN["shipping_address"]["line1"],
              "shipping_address.city": HAND_WRITTEN["shipping_address"]["city"]}
    fits = [f"{p} {span(field(fields, p))}" + ("" if within(field(fields, p), v) else " (mine is outside!)") for p, v in checks.items()]
    agent.think(f"{s['messages_sampled']} messages sampled, confidence {s['confidence']}; {len(required)} required fields "
                f"({', '.join(required)}). Observed ranges: {'; '.join(fits)}. I hand-write one order inside them "
                f"and let the server validate it against this schema ({s['resource_uri']}) before writing.")

    # 4. One hand-written message, validated and read back.
    s = await agent.call("produce one hand-written order, validated and verified", "produce_test_message", {
        "topic": inp, "validate": "inferred", "verify": True, "messages": [{"key": HAND_WRITTEN["order_id"], "value": HAND_WRITTEN}]})
    r = s["results"][0] if s["results"] else {}
    agent.expect(s["written"] == 1 and s["invalid"] == 0 and r.get("verified") is True, "written, schema-valid and read back identical")
    agent.think(f"Written to partition {r.get('partition')} at offset {r.get('offset')}, read back byte-identical: "
                f"{r.get('verified')}; validation: {s['validation']}. The processor should enrich it. "
                f"Now a real test suite: cases from the order entity, wired to `{out}` and `{dlq}`.")

    # 5. Test cases.
    s = await agent.call("generate test cases for the order processor", "generate_test_cases", {
        "entity": "order", "target": {"input_topic": inp, "output_topic": out, "dlq_topic": dlq, "key_field": "order_id",
                                      "dlq_reason_header": "x-reject-reason"}})
    cov = s["coverage"]
    total = s.get("truncation", {}).get("total", {}).get("cases", len(s["cases"])) if s.get("truncated") else len(s["cases"])
    agent.expect(cov["constraints_covered"] == cov["constraints_total"], f"every constraint covered ({cov['constraints_covered']}/{cov['constraints_total']})")
    agent.think(f"case_set {s['case_set']}: {total} cases covering {cov['fields_covered']}/{cov['fields_total']} fields and "
                f"{cov['constraints_covered']}/{cov['constraints_total']} constraints (the reply lists {len(s['cases'])}; the server "
                "keeps the whole set). Valid orders should come out enriched, broken ones in the DLQ. Running them all.")
    case_set = s["case_set"]

    # 6. Run them.
    s = await agent.call("run the cases against the live processor", "run_test_cases", {"case_set": case_set, "report_formats": ["junit", "markdown"]})
    agent.expect(s["total"] == total and s["failed"] == 0 and s["errored"] == 0,
                 f"all {total} cases ran with 0 failed, 0 errored ({s['passed']} passed, {s['failed']} failed, {s['errored']} errored)")
    report = json.loads(await agent.read(s["resource"]))
    cases = report.get("cases", [])
    by_place = {}
    for c in cases:
        for landed in c.get("landed", []):
            by_place.setdefault((c["type"], landed["topic"]), 0)
            by_place[(c["type"], landed["topic"])] += 1
    junit = next((f for f in s["files"] if f.endswith(".xml")), None)
    if junit:  # the report file, read as a CI system would
        import xml.etree.ElementTree as ET

        root = ET.parse(junit).getroot()
        counts = (root.get("tests"), root.get("failures"), root.get("errors"))
        agent.expect(counts == (str(total), "0", "0"), f"the JUnit file agrees: tests={counts[0]} failures={counts[1]} errors={counts[2]}")
    placed = "; ".join(f"{n} {k} → {topic}" for (k, topic), n in sorted(by_place.items()))
    print(f"  │ where each case's message landed: {placed}")
    reason = next((c["observed"] for c in cases if c["type"] == "negative" and c["status"] == "passed"), "")
    agent.expect(len(cases) == s["total"], f"the testrun resource holds every case ({len(cases)})")
    failing = [c for c in cases if c["status"] != "passed"]
    verdict = ("The processor behaves." if not failing else "The processor is wrong: " + "; ".join(
        f"{c['id']} ({c['title']}) {c['status']}: {c['observed']}" for c in failing[:3]) + ". I would report that first.")
    agent.think(f"{s['passed']}/{s['total']} passed in {s['duration_ms']} ms (p50 {s['latency']['p50_ms']:g} ms, p90 "
                f"{s['latency']['p90_ms']:g} ms): {placed}; e.g. {reason}. Reports: "
                f"{', '.join(os.path.basename(f) for f in s['files'])}. {verdict} "
                "Now the incident: broker alerts overnight on 2024-01-15; metrics first.")
    cases_sent = s["total"]

    # 7. Metrics of the incident.
    s = await agent.call("replication metrics over the incident window", "prom_snapshot", {"presets": ["replication"], **WINDOW})
    handles = [s["handle"]]
    findings = s["findings"]
    agent.expect(any(f["state"] == "under_replicated" for f in findings), "under-replicated partitions in the window")
    first = min(findings, key=lambda f: f["from"]) if findings else {}
    # Under-replicated partitions per leader: the brokers whose series stay at 0 lead none of the lagging partitions.
    per_broker = [x for x in s["series"] if x["query"] == "under_replicated" and "broker" in x["labels"]]
    lagging = sorted(f"broker {x['labels']['broker']}" for x in per_broker if x["states"])
    quiet = sorted(f"broker {x['labels']['broker']}" for x in per_broker if not x["states"])
    count = next((x for x in s["series"] if x["query"] == "brokers"), {})
    drop = next((c for c in count.get("change_points", []) if c["after"] < c["before"]), None)
    agent.think(f"{s['findings_total']} states; first: {first.get('state')} {{{first.get('labels')}}} from {hhmm(first.get('from'))} "
                f"(worst {first.get('worst', 0):g}). Partitions led by {', '.join(lagging)} lost a replica, none led by "
                f"{', '.join(quiet) or 'any other'}; " + (f"the broker count fell {drop['before']:g}→{drop['after']:g} at {hhmm(drop['at'])}. "
                if drop else "") + f"So {', '.join(quiet) or 'one broker'} went missing. What did the brokers log?")

    # 8. Logs of the incident.
    s = await agent.call("Kafka log events over the same window (the stack's real Loki)", "loki_query", {"labels": {"job": "kafka"}, "mode": "summary", **WINDOW})
    events = s["events"]
    handles.append(s["handle"])
    agent.expect(any(e["class"] == "out_of_space" for e in events), "out_of_space events in the logs")
    severe = events[:5]  # most severe first
    earliest = min(severe, key=lambda e: e["first"]) if severe else {}
    chain = ", ".join(f"{e['class']} {hhmm(e['first'])} on broker {','.join(e['sources'])}" for e in sorted(severe, key=lambda e: e["first"]))
    agent.think(f"{s['lines_returned']} lines, {s['patterns_total']} patterns. The {len(severe)} most severe event classes, in time "
                f"order: {chain}. It starts with {earliest.get('class')} on broker {','.join(earliest.get('sources', []))}, before "
                "the metrics moved. Let the graph rank the causes from both replies together, by their handles.")

    # 9. Root cause.
    s = await agent.call("rank root causes from the metrics and logs just read", "graph_rca", {"from": handles})
    top = s["hypotheses"][0] if s["hypotheses"] else {}
    agent.expect(top.get("rule") == "broker_out_of_disk", f"top cause is broker_out_of_disk (got {top.get('rule')} on {top.get('on')})")
    note = await agent.read(s["note"])
    mermaid = re.search(r"```mermaid\n(.*?)```", note, re.S)
    if mermaid:
        print("  │ ```mermaid")
        for line in mermaid.group(1).splitlines():
            print(f"  │ {line}")
        print("  │ ```")
    agent.expect(mermaid is not None, "the incident note has a Mermaid causal chain")
    verification = top.get("verification", [])
    seen = [x for x in s.get("similar", []) if x.get("top_cause")]
    agent.think(f"{s['verdict']}; runner-up: {s['hypotheses'][1]['cause'] + ' on ' + s['hypotheses'][1]['on'] if len(s['hypotheses']) > 1 else 'none'}. "
                f"{len(verification)} verification calls are ready to run; {len(seen)} similar past incident(s) in the store. "
                "Next I would run the verifications, then confirm the cause with graph_rca confirm.")

    # 10. Export for offline analysis.
    if "export_parquet" not in names:
        print("\n━━ Step 10: export_parquet is not listed by this server: skipped")
        return
    s = await agent.call("export the input topic to Parquet", "export_parquet", {
        "source": {"kind": "topic", "topic": inp}, "path": f"{inp}.parquet"})
    sent = 50 + 1 + cases_sent
    agent.expect(s["rows"] == sent, f"every input message exported: {s['rows']} rows = 50 generated + 1 hand-written + {cases_sent} test inputs")
    path = os.path.join(os.environ.get("KAFKA_QA_EXPORT_DIR", "exports"), s["path"])
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    agent.expect(table.num_rows == s["rows"], f"pyarrow reads {table.num_rows} rows back from {path}")
    agent.think(f"{s['rows']} rows, {s['bytes']} bytes, {len(s['columns'])} columns ({', '.join(c['name'] for c in s['columns'][:8])}…) "
                f"in {s['duration_ms']} ms, stopped by {s['stopped_by']}: ready for DuckDB or pandas.")


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True, help="the kafka-qa-mcp binary")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--dlq", required=True)
    a = p.parse_args()
    for var in ("KAFKA_BOOTSTRAP_SERVERS", "PROMETHEUS_URL", "LOKI_URL"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: run tools/demo (it sets up the stack)")
    env = dict(os.environ, KAFKA_QA_LOG=os.environ.get("KAFKA_QA_LOG", "warn"))
    params = StdioServerParameters(command=a.server, args=["serve"], env=env)
    began = time.monotonic()
    async with Client(params) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        print(f"Connected to {client.server_info.name} {client.server_info.version} over stdio; {len(names)} tools: {', '.join(names)}")
        print(f"Kafka {env['KAFKA_BOOTSTRAP_SERVERS']}, Prometheus {env['PROMETHEUS_URL']}, Loki {env['LOKI_URL']}, "
              f"graph {env.get('NEO4J_URI', 'embedded')}, exports in {env.get('KAFKA_QA_EXPORT_DIR', 'exports')}")
        agent = Agent(client)
        try:
            await run(agent, names, {"input": a.input, "output": a.output, "dlq": a.dlq})
        except StepFailed as e:
            agent.failures.append(f"step {agent.step}: {e}")
            print(f"  ✗ {e}")
    took = time.monotonic() - began
    print()
    if agent.failures:
        print(f"FAILED after {took:.1f} s: " + "; ".join(agent.failures))
        return 1
    print(f"Done: {agent.step} tool calls, {agent.checks} expectations held, in {took:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
