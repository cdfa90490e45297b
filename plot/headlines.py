"""Each scenario's headline figure, in one place: the field of a benchmark's
headline (ipcbench_results) it is read from, the figure shown beside it,
its unit, which way is better, and the words that name it. Every chart, the
report's ranking and table, and compare.py take a scenario's figure from
HEADLINES; results/schema/results-1.schema.json defines the fields.

memcpy, the copy baseline, has no headline: it is not a transport, so it is
neither ranked nor compared.
"""

from typing import NamedTuple, Optional


class Headline(NamedTuple):
    key: str  # headline field of the figure
    tail: Optional[str]  # field shown beside it (a whisker, p99), or None
    unit: str  # of the field: "ns", "B/s" or "msgs/s" (UNITS)
    higher_is_better: bool
    title: str  # names the figure in chart titles
    quantity: str  # names it on a value axis, before the unit
    swept: str  # the setting it is drawn against across benchmarks


HEADLINES = {
    # p50 round trip, p99 beside it: the median is what a request-reply
    # exchange costs, and unlike the mean it is not moved by a few
    # preemptions; p99 shows those.
    "pingpong": Headline("p50_ns", "p99_ns", "ns", False,
                         "Ping-pong round-trip latency",
                         "round-trip latency", "message_bytes"),
    # p50 driver -> peer, p99 beside it: the scenario exists to time each
    # direction on its own (its round trip is ping-pong's figure).
    "oneway": Headline("oneway_p50_ns", "oneway_p99_ns", "ns", False,
                       "One-way latency driver\u2192peer",
                       "one-way latency driver\u2192peer", "message_bytes"),
    # bytes per second: a stream moves bulk data at sizes up to MiBs, where
    # bytes/s is the figure comparable across sizes (messages/s falls as
    # messages grow); at one size it ranks exactly as messages/s does.
    "stream": Headline("bytes_per_second", None, "B/s", True,
                       "Stream throughput", "throughput", "message_bytes"),
    # p50 latency from the intended send time, p99 beside it: as for
    # ping-pong, the median with its tail; the tail is where a transport
    # that falls behind the offered rate shows first.
    "rate": Headline("p50_ns", "p99_ns", "ns", False,
                     "Latency from the intended send time at an offered "
                     "rate", "latency from intended send time",
                     "offered_per_s"),
    # messages per second received, all producers together: fan-in sizes
    # are small (capped at what arrives whole from concurrent senders), and
    # the question is how many messages one consumer takes from N senders;
    # at one size it ranks exactly as bytes/s does.
    "fanin": Headline("msgs_per_s", None, "msgs/s", True,
                      "Fan-in aggregate throughput",
                      "fan-in throughput, all\nproducers", "producers"),
    # messages per second delivered, all consumers together, over the time
    # until the last consumer's last arrival: what reached the subscribers,
    # not what the producer sent (a transport that may drop can send fast
    # into the void). Its loss fraction is never left out beside it
    # (fanout_throughput, compare's context figures, the report's table).
    "fanout": Headline("delivered_msgs_per_s", None, "msgs/s", True,
                       "Fan-out delivered throughput",
                       "fan-out throughput delivered,\nall consumers",
                       "consumers"),
}


class Unit(NamedTuple):
    scale: float  # from the field's unit to the axis unit
    axis: str  # the axis unit


UNITS = {"ns": Unit(1e-3, "\u00b5s"),
         "B/s": Unit(1e-6, "MB/s = 10\u2076 bytes/s"),
         "msgs/s": Unit(1, "messages/s")}

# How compare.py's table and the charts' legends name a field.
METRICS = {"p50_ns": "p50", "p99_ns": "p99", "oneway_p50_ns": "p50",
           "oneway_p99_ns": "p99", "bytes_per_second": "MB/s",
           "msgs_per_s": "msgs/s",
           "delivered_msgs_per_s": "delivered msgs/s"}


def headline(scenario):
    """The Headline of a scenario, or None (memcpy)."""
    return HEADLINES.get(scenario)


def axis_label(h, log=False, tail_as="whisker"):
    """"round-trip latency (µs)", with the tail: "...: bar p50, | p99"
    (tail_as "mark") or ":\\nbar p50, whisker to p99" ("whisker")."""
    text = f"{h.quantity} ({UNITS[h.unit].axis}{', log scale' if log else ''})"
    if h.tail and tail_as == "mark":
        text += f": bar {METRICS[h.key]}, | {METRICS[h.tail]}"
    elif h.tail and tail_as == "whisker":
        text += (f":\nbar {METRICS[h.key]}, whisker to "
                 f"{METRICS[h.tail]}")
    return text


def best_first(h, heads):
    """heads sorted best first by h's figure (None last)."""
    return sorted(heads, key=lambda x: (
        x[h.key] is None, -(x[h.key] or 0) if h.higher_is_better
        else (x[h.key] or 0)))
