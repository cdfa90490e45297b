"""Transport families (families.py): every transport lands in one, unknown
names too; a family's best line; figures relative to the best at each
size."""

import os
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
    """Transport names of `ipcbench --list`, read as tests/docs_test.py
    reads them: after the header, the first word of each line that is not
    indented (indented lines hold the limits)."""
    lines = text.splitlines()
    assert lines[0].split()[0] == "transport", lines[0]
    return [line.split()[0] for line in lines[1:]
            if line and not line[0].isspace()]
