"""The type and range of every field of a results file that the plot scripts
read (and of the per-message CPU costs), checked once, when
ipcbench_results.load() reads the file. Fields the scripts do not read are
not checked (other parts of ipcbench may add some), nor are Google
Benchmark's aggregates other than the median.

Bad values get one of two answers:

- Refused (ipcbench_results turns Malformed into a PlotError: exit 2, one
  line naming the file, the entry and the field): a value of the wrong JSON
  type (a string, null, bool, list or object where a number belongs, a
  number where a string belongs), and a setting or count out of range (a
  message size, repetition index, iteration or sample count, number of
  producers, consumers or pairs that is not a whole number 0 or more; an offered rate
  that is not a finite number 0 or more). Such a file is damaged, and
  these values say what was measured, so nothing can be drawn without them.
- Flagged: a measured figure (latency, throughput, achieved rate, missed
  slots, fairness) that is NaN, infinite or negative. Google Benchmark
  writes NaN and Infinity for a measurement that went wrong (no samples, no
  elapsed time); the benchmark is marked invalid ("invalid figure:
  latency.percentiles_ns["50"] = nan"), left out of every chart, and listed
  in the report and by compare.py, while the rest of the run is drawn.
  (nlohmann::json writes NaN as null: in the "ipcbench" block a NaN arrives
  as null, which is refused like any other wrong type.)
"""

import math


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_whole(v):
    return _is_number(v) and (isinstance(v, int) or v.is_integer())


class Kind:
    """A kind of scalar value: what a message says is expected, and the
    test a value must pass."""

    def __init__(self, expected, fits):
        self.expected, self.fits = expected, fits


NUMBER = Kind("a number", _is_number)  # NaN and infinities too; not drawn
FIGURE = Kind("a number", _is_number)  # measured: NaN, inf or < 0 flags
WHOLE = Kind("a whole number", _is_whole)  # a CPU number (-1: none)
COUNT = Kind("a whole number, 0 or more",
             lambda v: _is_whole(v) and v >= 0)
SETTING = Kind("a finite number, 0 or more",
               lambda v: _is_number(v) and math.isfinite(v) and v >= 0)
STRING = Kind("a string", lambda v: isinstance(v, str))
BOOL = Kind("a bool", lambda v: isinstance(v, bool))
ANY_OBJECT = {}  # an object, whatever it holds
PERCENTILE = "<percentile>"  # in an object spec: keys "0" .. "100"


def bad_figure(value):
    """True for a figure no chart may draw: NaN, infinite or negative."""
    return not math.isfinite(value) or value < 0


def invalid_figure(field, value):
    """How a flagged benchmark is listed: "invalid figure: <field> = nan"."""
    return f"invalid figure: {field} = {value}"


class Malformed(Exception):
    """A value the scripts cannot read; str() says which and why."""


def describe(value):
    """What a JSON value is, for a message: "a string ('abc')", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a bool ({'true' if value else 'false'})"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({text!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a number ({value})"


def _expected(spec):
    if isinstance(spec, tuple):
        return ", or ".join(_expected(s) for s in spec)
    if isinstance(spec, list):
        return "a list"
    if isinstance(spec, dict):
        return "an object"
    return spec.expected


def _fits(value, spec):
    """Whether value is of spec's kind (containers: at the top only)."""
    if isinstance(spec, list):
        return isinstance(value, list)
    if isinstance(spec, dict):
        return isinstance(value, dict)
    return spec.fits(value)


def _join(field, key):
    return f"{field}.{key}" if field else key


def _percentile_key(key):
    try:
        return 0 <= float(key) <= 100
    except ValueError:
        return False


def check(value, spec, field="", flagged=None):
    """Raises Malformed at the first value that does not fit spec (a kind
    above, [item spec], {key: spec}, or a tuple of alternatives); appends
    (field, value) of every bad figure to `flagged`."""
    fitting = [s for s in (spec if isinstance(spec, tuple) else (spec,))
               if _fits(value, s)]
    if not fitting:
        raise Malformed(f"{field or 'the entry'} is {describe(value)}; "
                        f"expected {_expected(spec)}")
    spec = fitting[0]
    if isinstance(spec, list):
        for i, item in enumerate(value):
            check(item, spec[0], f"{field}[{i}]", flagged)
    elif isinstance(spec, dict):
        for key, item in value.items():
            if PERCENTILE in spec:
                if not _percentile_key(key):
                    raise Malformed(f"{field} has a key {key!r}; expected "
                                    "percentiles from 0 to 100")
                check(item, spec[PERCENTILE], f'{field}["{key}"]', flagged)
            elif key in spec:
                check(item, spec[key], _join(field, key), flagged)
    elif spec is FIGURE and flagged is not None and bad_figure(value):
        flagged.append((field, value))


# ---- the ipcbench block (results/results_file.hpp) -------------------------

DISTRIBUTION = {"count": COUNT, "mean_ns": FIGURE, "stddev_ns": FIGURE,
                "min_ns": FIGURE, "max_ns": FIGURE,
                "percentiles_ns": {PERCENTILE: FIGURE}}
LATENCY = dict(DISTRIBUTION, kind=STRING)
CPUS = {"driver": WHOLE, "peer": WHOLE}
CPU_COST = dict.fromkeys(("user_ns_per_msg", "system_ns_per_msg",
                          "voluntary_switches_per_msg",
                          "involuntary_switches_per_msg"), NUMBER)
PAIR = {"round_trips_per_s": FIGURE, "rtt_p50_ns": FIGURE,
        "rtt_p99_ns": FIGURE, "msgs_per_s": FIGURE, "bytes_per_second": FIGURE}
LOCATION = dict.fromkeys(("core", "l3", "numa", "package"), WHOLE)
PLACEMENT = {"preset": STRING, "driver_cpu": WHOLE, "peer_cpu": WHOLE,
             "unavailable": STRING, "shares": STRING, "sharing": STRING,
             "driver_topology": LOCATION, "peer_topology": LOCATION}
RECORD = {
    "name": STRING, "repetition_index": COUNT, "scenario": STRING,
    "transport": STRING, "wait": STRING, "message_bytes": COUNT,
    "placement": PLACEMENT,
    "cpus_observed": CPUS, "iterations": COUNT, "warmup_messages": COUNT,
    "error": STRING, "skipped": STRING,
    "latency": LATENCY,
    "throughput": {"messages": COUNT, "elapsed_ns": NUMBER,
                   "msgs_per_s": FIGURE, "bytes_per_second": FIGURE},
    "pairs": (COUNT, [PAIR]),
    "aggregate": {"msgs_per_s": FIGURE, "bytes_per_second": FIGURE,
                  "round_trips_per_s": FIGURE},
    "oneway": {"driver_to_peer": DISTRIBUTION},
    "rate": {"offered_per_s": SETTING, "achieved_per_s": FIGURE,
             "missed_slots": FIGURE},
    "producers": COUNT,
    "fanin": {"producers": COUNT,
              "per_producer": [{"producer": COUNT, "messages": COUNT,
                                "share": FIGURE, "msgs_per_s": FIGURE}],
              "fairness": {"jain_index": FIGURE, "min_share": FIGURE,
                           "max_share": FIGURE}},
    "consumers": COUNT,
    "fanout": {"consumers": COUNT, "delivery": STRING,
               "delivered": {"messages": COUNT, "msgs_per_s": FIGURE,
                             "bytes_per_second": FIGURE},
               "loss": {"messages": COUNT, "fraction": FIGURE},
               "slowest_consumer": COUNT,
               "per_consumer": [{"consumer": COUNT, "received": COUNT,
                                 "lost": COUNT, "msgs_per_s": FIGURE}]},
    "cpu": {"driver": CPU_COST, "peer": CPU_COST},
}
BLOCK = {
    "command_line": [STRING], "complete": BOOL, "warnings": [STRING],
    "failures": [{"name": STRING, "error": STRING}],
    "skipped": [{"name": STRING, "reason": STRING}],
    "placement": PLACEMENT,
    "malloc": {"policy": STRING, "mmap_threshold_bytes": WHOLE,
               "trim_threshold_bytes": WHOLE, "not_applied": STRING},
    "environment": {
        "hostname": STRING, "kernel": STRING, "kernel_version": STRING,
        "machine": STRING, "cpu_model": STRING, "cpus_online": COUNT,
        "affinity_cpus": [WHOLE], "hypervisor": BOOL,
        "scaling_governor": STRING,
        "build": dict.fromkeys(("compiler", "cxx_flags", "build_type",
                                "git_commit"), STRING),
        "clock": {"api": STRING, "source": STRING, "read_cost_ns": NUMBER,
                  "resolution_ns": NUMBER, "min_step_ns": NUMBER},
        "limits": ANY_OBJECT},
}

# ---- Google Benchmark's part -----------------------------------------------

CONTEXT = {"date": STRING, "library_build_type": STRING}
# An iteration entry or the median aggregate; `counters` (numbers) are
# added by gbench_entry().
GB_ENTRY = {"name": STRING, "run_name": STRING, "run_type": STRING,
            "aggregate_name": STRING, "repetition_index": COUNT,
            "real_time": NUMBER, "cpu_time": NUMBER,
            "time_unit": STRING, "label": STRING, "error_occurred": BOOL,
            "error_message": STRING, "skipped": BOOL}


def gbench_entry(counters):
    """The spec of a Google Benchmark entry whose counters the scripts read."""
    return dict(GB_ENTRY, **dict.fromkeys(counters, NUMBER))


def read_by_scripts(entry):
    """True for the Google Benchmark entries the scripts read: iterations
    and the median aggregate (not mean, stddev, cv, BigO, ...)."""
    check(entry, {"run_type": STRING, "aggregate_name": STRING})
    return (entry.get("run_type") != "aggregate"
            or entry.get("aggregate_name") == "median")
