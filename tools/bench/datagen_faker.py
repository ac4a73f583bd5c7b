"""Baseline for the generate_test_data benchmark: the same flat 10-field records made with Python Faker and
written as NDJSON. Prints one JSON line with records, seconds and records_per_second.

usage: datagen_faker.py COUNT OUT_FILE
"""
import json
import random
import sys
import time
from datetime import datetime, timezone

from faker import Faker

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
END = datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    fake = Faker()
    Faker.seed(1)
    random.seed(1)
    started = time.perf_counter()
    with open(out, "w", encoding="utf-8") as f:
        for _ in range(count):
            record = {
                "id": fake.uuid4(),
                "email": fake.email(),
                "first_name": fake.first_name(),
                "last_name": fake.last_name(),
                "age": random.randint(18, 90),
                "city": fake.city(),
                "status": random.choice(["active", "suspended", "closed"]),
                "amount": round(random.uniform(1, 500), 2),
                "created_at": fake.date_time_between(START, END, tzinfo=timezone.utc).isoformat(),
                "active": fake.boolean(),
            }
            f.write(json.dumps(record))
            f.write("\n")
    seconds = time.perf_counter() - started
    print(json.dumps({"records": count, "seconds": seconds, "records_per_second": count / seconds}))


if __name__ == "__main__":
    main()
