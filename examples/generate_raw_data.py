"""Land raw source files in a lake directory, as upstream systems would drop them.

Writes `DIR/raw/orders/` (CSV exports with the usual dirt: padded text, bad amounts, a duplicate),
`DIR/raw/customers/` (JSON lines from a CRM API), `DIR/raw/payments/` (JSON lines, one of them
corrupt, used by the job that fails on purpose), `DIR/raw/orders_incoming/day=N/` (daily drops for
the appending job) and `DIR/reference/countries/` (a small reference table). Plain Python, no Spark:
the raw zone is produced by systems outside the lake, so it carries no lineage of its own.

Usage: python examples/generate_raw_data.py --lake DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

COUNTRIES = [
    ("ZA", "South Africa", "EMEA"),
    ("DE", "Germany", "EMEA"),
    ("US", "United States", "AMER"),
    ("BR", "Brazil", "AMER"),
    ("JP", "Japan", "APAC"),
]
PRODUCTS = ["widget", "gadget", "gizmo", "doohickey"]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _write_json_lines(path: Path, records: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record if isinstance(record, str) else json.dumps(record))
            handle.write("\n")


def _order(rng: random.Random, order_id: int, day: int) -> list[object]:
    amount = f"{rng.uniform(5, 500):.2f}"
    return [
        order_id,
        f"C{rng.randint(1, 12):03d}",
        f" {rng.choice(PRODUCTS)} ",
        rng.randint(1, 5),
        amount,
        f"2026-11-{day:02d}",
    ]


def generate(lake: Path, seed: int = 7) -> None:
    """Write every raw and reference file under `lake` (deterministic for a given seed)."""
    rng = random.Random(seed)
    header = ["order_id", "customer_id", "product", "quantity", "amount", "order_date"]
    orders = [_order(rng, i, 1 + i % 20) for i in range(1, 41)]
    orders.append(orders[3])  # an exported duplicate
    orders.append([999, "C001", "widget", 1, "n/a", "2026-11-05"])  # an amount that is not a number
    _write_csv(lake / "raw/orders/orders-2026-11.csv", header, orders)

    customers = [
        {
            "customer_id": f"C{i:03d}",
            "name": f"Customer {i}",
            "country_code": COUNTRIES[i % len(COUNTRIES)][0].lower(),
            "signup_date": f"2025-{1 + i % 12:02d}-15",
        }
        for i in range(1, 13)
    ]
    _write_json_lines(lake / "raw/customers/customers.json", customers)

    payments: list[object] = [
        {"payment_id": i, "order_id": i, "paid": f"{rng.uniform(5, 500):.2f}"} for i in range(1, 9)
    ]
    payments.insert(4, '{"payment_id": 5, "order_id": 5, "paid": ')  # truncated by the source
    _write_json_lines(lake / "raw/payments/payments.json", payments)

    # Day 23 arrives after the nightly build: `lineage demo` appends it while following.
    for day in (21, 22, 23):
        rows = [_order(rng, day * 100 + i, day) for i in range(1, 6)]
        _write_csv(lake / f"raw/orders_incoming/day={day}/orders.csv", header, rows)

    _write_csv(
        lake / "reference/countries/countries.csv",
        ["country_code", "country_name", "region"],
        [list(c) for c in COUNTRIES],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, type=Path, help="lake root directory")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.lake.resolve(), args.seed)
    print(f"raw data written under {args.lake.resolve()}")


if __name__ == "__main__":
    main()
