"""Transport families (families.py): every transport lands in one, unknown
names too; a family's best line; figures relative to the best at each
size."""

import os
import re
import subprocess

import pytest

import families
from families import (BYTE_PIPES, MESSAGES, MIDDLEWARE, OTHER, SHARED_MEMORY,
                      family_of)

IPCBENCH = os.environ.get("IPCBENCH")

# The transports ipcbench registers today (transports/registry.cpp).
KNOWN = {
    BYTE_PIPES: ["pipe", "fifo", "unix_stream", "tcp"],
    MESSAGES: ["unix_dgram", "unix_seqpacket", "udp", "posix_mq", "sysv_mq",
               "bipc_mq"],
    SHARED_MEMORY: ["shm_ring", "inproc", "shm_sem", "shm_sysv", "shm_mutex",
                    "mmap_file", "bipc_shm", "eventfd", "signal"],
    MIDDLEWARE: ["zmq_ipc", "zmq_tcp"],
}


@pytest.mark.parametrize("family", list(KNOWN), ids=lambda f: f.key)
def test_known_transports_have_their_family(family):
    for name in KNOWN[family]:
        assert family_of(name) == family, name
        assert family_of(f"{name}:spin") == family, name


@pytest.mark.parametrize("name, family", [
    ("grpc_uds", MIDDLEWARE), ("grpc_tcp", MIDDLEWARE),
    ("redis_pubsub", MIDDLEWARE), ("redis", MIDDLEWARE), ("nats", MIDDLEWARE),
    ("nats_tcp", MIDDLEWARE), ("iceoryx", MIDDLEWARE),
    ("iceoryx2", MIDDLEWARE), ("zmq_inproc", MIDDLEWARE),
    ("shm_futex", SHARED_MEMORY), ("mmap_anon", SHARED_MEMORY),
    ("tcp_loopback", BYTE_PIPES), ("unix_dgram_batch", MESSAGES),
    ("mqueue_something", OTHER), ("quantum_link", OTHER), ("", OTHER),
    ("memcpy", OTHER)])
def test_unknown_names_land_in_a_family(name, family):
    assert family_of(name) == family


def test_grouping_keeps_every_transport():
    names = ["quantum_link", "zmq_tcp", "pipe", "shm_ring", "udp", "tcp"]
    grouped = families.group(names)
    assert [f for f, _ in grouped] == [BYTE_PIPES, MESSAGES, SHARED_MEMORY,
                                       MIDDLEWARE, OTHER]
    assert sorted(n for _, ns in grouped for n in ns) == sorted(names)
    assert dict(grouped)[BYTE_PIPES] == ["pipe", "tcp"]  # order kept


@pytest.mark.skipif(not IPCBENCH, reason="IPCBENCH (the ipcbench binary, "
                    "set by CTest) is not set")
def test_every_transport_of_ipcbench_list_has_a_named_family():
    done = subprocess.run([IPCBENCH, "--list"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    names = listed_transports(done.stdout)
    assert len(names) >= 20
    unnamed = [n for n in names if family_of(n) == OTHER]
    assert unnamed == [], (
        f"{unnamed} fall in 'other': add a rule to plot/families.py")
    assert set(names) >= {n for ns in KNOWN.values() for n in ns}


def listed_transports(text):
    """Transport names of `ipcbench --list`: the first word of each line of
    its transports part."""
    names = []
    for line in text.splitlines():
        m = re.match(r"\s{1,4}([a-z][a-z0-9_]*)\b", line)
        if m and not line.strip().endswith(":"):
            names.append(m.group(1))
    return names


# ---- figures relative to the best at each size (pure) ---------------------

def test_relative_table_latency_is_best_over_value():
    rows = {"a": {64: 10.0, 4096: 40.0}, "b": {64: 20.0, 4096: None},
            "c": {64: 5.0}}
    assert families.relative_table(rows, [64, 4096, 65536], False) == {
        "a": {64: 0.5, 4096: 1.0, 65536: None},
        "b": {64: 0.25, 4096: None, 65536: None},
        "c": {64: 1.0, 4096: None, 65536: None}}


def test_relative_table_throughput_is_value_over_best():
    rows = {"a": {64: 100.0, 4096: 800.0}, "b": {64: 400.0, 4096: 200.0}}
    assert families.relative_table(rows, [64, 4096], True) == {
        "a": {64: 0.25, 4096: 1.0}, "b": {64: 1.0, 4096: 0.25}}


def test_best_line_is_best_at_the_most_sizes():
    lines = {"x": {1: 10, 2: 10, 3: 1}, "y": {1: 5, 2: 5, 3: 0.5},
             "z": {1: 4}}
    # lower is better: y is the best at sizes 2 and 3, z at 1 only
    assert families.best_line(lines, False) == "y"
    assert families.best_line(lines, True) == "x"  # best at all three
    # as many wins: the one with more sizes, then the first by name
    assert families.best_line({"a": {1: 1}, "b": {1: 2, 2: 2}},
                              False) == "b"
    assert families.best_line({"b": {1: 2, 2: 4}, "a": {1: 4, 2: 2}},
                              False) == "a"
    assert families.best_line({"a": {1: None}}, False) is None

