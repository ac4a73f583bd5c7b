"""Baseline for producing test data to a topic: Python confluent-kafka sends the records of an NDJSON file
(keyed by a field) with the producer settings kafka-qa-mcp uses (acks=all, idempotence, librdkafka's own
batching), pipelined as confluent-kafka does (produce, poll, flush at the end). Extra librdkafka properties
after the arguments, e.g. tansu's `batch.num.messages=1 linger.ms=0`. Prints one JSON line with records,
seconds and records_per_second.

usage: produce_confluent.py BOOTSTRAP TOPIC NDJSON_FILE KEY_FIELD [KEY=VALUE ...]
"""
import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, path, key_field = sys.argv[1:5]
    extra = dict(arg.split("=", 1) for arg in sys.argv[5:])
    records = [json.loads(line) for line in open(path, encoding="utf-8")]
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, **extra})
    failures = []
    started = time.perf_counter()
    for r in records:
        while True:
            try:
                producer.produce(topic, key=str(r[key_field]).encode(), value=json.dumps(r, separators=(",", ":")).encode(),
                                 on_delivery=lambda err, msg: err and failures.append(err))
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush(60)
    seconds = time.perf_counter() - started
    print(json.dumps({"records": len(records), "seconds": seconds, "records_per_second": len(records) / seconds, "failures": len(failures)}))


if __name__ == "__main__":
    main()
