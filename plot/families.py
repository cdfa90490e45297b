"""Transport families, in one place: which family each transport belongs to,
by name patterns, so that charts with 26+ transports can draw one panel per
family and a transport added later lands somewhere sensible (a family whose
pattern matches it, else "other") and is never left out.

Pure Python (no matplotlib): the family charts (latency_vs_size,
throughput_vs_size, rate_latency), the heatmaps and the report's summary
take families from here.
"""

import fnmatch
import math
from typing import NamedTuple


class Family(NamedTuple):
    key: str  # short, for code and file names
    title: str  # what panels, legends and the report call it


BYTE_PIPES = Family("byte_pipes", "byte pipes")
MESSAGES = Family("messages", "message sockets and queues")
SHARED_MEMORY = Family("shared_memory", "shared memory")
MIDDLEWARE = Family("middleware", "middleware")
OTHER = Family("other", "other")

# Panel order: kernel byte streams, kernel messages, shared memory,
# middleware, then anything no rule names.
FAMILIES = (BYTE_PIPES, MESSAGES, SHARED_MEMORY, MIDDLEWARE, OTHER)

# (fnmatch pattern of a transport name, family); the first match wins.
# Middleware comes first: its names embed a socket kind (zmq_tcp, grpc_uds)
# that would otherwise match a kernel family.
RULES = (
    *((p, MIDDLEWARE) for p in (
        "zmq*", "grpc*", "redis*", "nats*", "iceoryx*", "dbus*", "mqtt*",
        "kafka*", "nng*", "nanomsg*", "aeron*", "dds*", "ros*", "capnp*",
        "thrift*")),
    *((p, BYTE_PIPES) for p in (
        "pipe", "pipe_*", "fifo*", "unix_stream*", "tcp*", "vsock*")),
    *((p, MESSAGES) for p in (
        "unix_dgram*", "unix_seqpacket*", "udp*", "*_mq", "*_mq_*",
        "sctp*", "netlink*", "tipc*")),
    *((p, SHARED_MEMORY) for p in (
        "shm_*", "mmap_*", "bipc_shm*", "inproc*", "eventfd*", "signal*",
        "futex*", "memfd*")),
)


def family_of(transport):
    """The Family of a transport name ("pipe", or "pipe:spin": the wait
    strategy is ignored); OTHER when no rule matches."""
    name = str(transport).partition(":")[0]
    for pattern, family in RULES:
        if fnmatch.fnmatchcase(name, pattern):
            return family
    return OTHER


def group(items, transport=lambda x: x):
    """[(Family, [item, ...])] of the families present among items, in
    FAMILIES order, items keeping their order; transport(item) names the
    item's transport."""
    out = {}
    for item in items:
        out.setdefault(family_of(transport(item)), []).append(item)
    return [(f, out[f]) for f in FAMILIES if f in out]


def relative(value, best, higher_is_better):
    """How close value comes to best, in (0, 1], 1 = the best: best/value
    when lower is better (latency), value/best when higher is (throughput);
    None when either is missing or not positive."""
    if value is None or best is None or value <= 0 or best <= 0:
        return None
    return value / best if higher_is_better else best / value


def relative_table(rows, columns, higher_is_better):
    """{row: {column: relative figure or None}} of rows = {row: {column:
    value}}: each value against the best value of its column (relative()).
    A missing or None value, or a column with no value at all, gives None."""
    best = {}
    for col in columns:
        values = [r[col] for r in rows.values()
                  if r.get(col) is not None and r[col] > 0]
        best[col] = (max if higher_is_better else min)(values) \
            if values else None
    return {row: {col: relative(values.get(col), best[col], higher_is_better)
                  for col in columns}
            for row, values in rows.items()}


def best_line(lines, higher_is_better):
    """The key of the best of lines = {key: {x: value}} (a family's lines
    against size or offered rate): the one best at the most x values, then
    the one with the most values, then the highest geometric mean of its
    relative figures (relative_table), then the first key in sorted order.
    None when no line has a value."""
    lines = {k: {x: v for x, v in pts.items() if v is not None and v > 0}
             for k, pts in lines.items()}
    lines = {k: pts for k, pts in lines.items() if pts}
    if not lines:
        return None
    xs = sorted({x for pts in lines.values() for x in pts})
    rel = relative_table(lines, xs, higher_is_better)

    def score(key):
        mine = [r for r in rel[key].values() if r is not None]
        wins = sum(r == 1.0 for r in mine)
        gmean = math.exp(sum(map(math.log, mine)) / len(mine))
        return (-wins, -len(mine), -gmean)
    return min(sorted(lines, key=str), key=score)
