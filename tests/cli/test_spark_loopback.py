"""A local rebuild's Spark listens on loopback only: nothing of it is reachable from the network.

The session `lineage rebuild` (and `lineage verify`) start runs in a fresh Python process, so
its JVM is its own; that process runs a tiny job (which starts the block manager and the
shuffle service ports) and lists every socket its JVM listens on, from /proc.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs.entrypoint import LOOPBACK_SPARK_CONF, local_session_conf

TESTS = Path(__file__).resolve().parent


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process `pid` listens on (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_ip, hex_port = local.split(":")
            raw = bytes.fromhex(hex_ip)
            # /proc prints each 32-bit word in host (little-endian) order.
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            address: ipaddress.IPv4Address | ipaddress.IPv6Address
            if len(packed) == 4:
                address = ipaddress.IPv4Address(packed)
            else:
                address = ipaddress.IPv6Address(packed)
                address = address.ipv4_mapped or address
            found.append((str(address), int(hex_port, 16)))
    return found


def _child() -> None:
    """Run in the subprocess: start the rebuild's session, use it, report what it listens on."""
    from glue_jobs.local_spark import local_spark

    spark = local_spark("local[1]", "1g")
    assert spark.range(100).repartition(2).count() == 100  # starts shuffle and block manager
    conf = {key: spark.conf.get(key) for key in LOOPBACK_SPARK_CONF}
    jvm_pid = spark.sparkContext._gateway.proc.pid
    print(json.dumps({"conf": conf, "listening": listening_addresses(jvm_pid)}))
    spark.stop()


@pytest.mark.spark
def test_local_rebuild_session_listens_on_loopback_only() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r}); "
        "import test_spark_loopback as t; t._child()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["conf"] == LOOPBACK_SPARK_CONF
    listening = report["listening"]
    # The driver RPC, the block manager and the Python gateway at least.
    assert len(listening) >= 3, listening
    exposed = [(a, p) for a, p in listening if not ipaddress.ip_address(a).is_loopback]
    assert exposed == [], f"Spark listens beyond loopback: {exposed}"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("master", "expected"),
    [
        ("local[*]", LOOPBACK_SPARK_CONF),
        ("local[2]", LOOPBACK_SPARK_CONF),
        ("local", LOOPBACK_SPARK_CONF),
        ("spark://head:7077", {}),
        ("yarn", {}),
        ("k8s://https://api:6443", {}),
    ],
)
def test_only_local_masters_are_bound_to_loopback(master: str, expected: dict[str, str]) -> None:
    assert local_session_conf(master) == expected
