"""Load, validate and flatten an ipcbench results file.

The file is Google Benchmark's JSON document, unchanged, plus a top-level
"ipcbench" block; results/schema/results-1.schema.json defines every field
(SCHEMA_PATH). load() refuses a schema_version other than the one these
scripts read, checks the whole file before anything is drawn and returns a
Results object whose rows are flat dicts, one per benchmark run (one per
repetition), joining the ipcbench record with Google Benchmark's own entry
of the same name.

No statistic the C++ side computed is recomputed here: percentiles, means and
rates are copied from the file. The one choice made here is the headline
figure of a benchmark run with repetitions: Google Benchmark's own "median"
aggregate when the file has it, otherwise the median across repetitions of
the recorded values (the median of the per-repetition p50s, for example).
Each headline says which one it is; the aggregate's counter for a figure
depends on the scenario (HEADLINE_FIELDS, SCENARIO_COUNTERS: a rate or
fan-in p50 is lat_p50_ns, a ping-pong one rtt_p50_ns). Settings of a
benchmark (scenario, transport, wait, size, placement, offered rate, number
of producers or consumers, number of pairs) come from its record's own
keys, never from its name (a label); they are the same in every repetition
and are copied from the first. A record of only a name and an error (a
benchmark the driver abandoned when it stayed stuck) has no settings: it
is no row, and is listed with the failures.

Runs with --pairs N > 1 record each pair's figures in "pairs" (a list) and
in "aggregate" all pairs' messages over the span of their timed phases
(older files: the sum of the pairs' rates): a row's pairs is N (1 for a run without --pairs),
and its throughput (msgs_per_s, bytes_per_second; round_trips_per_s for
ping-pong) is the aggregate over all pairs.

Every field the scripts read is checked here, once (results_check.py says
how): a wrong type, or a setting or count out of range, raises PlotError
naming the file, the entry and the field; a NaN, infinite or negative
figure (in a record, or in the median aggregate a headline takes) gives its
benchmark the status "invalid" and the reason "invalid figure: <field> =
<value>", so that no chart draws it (select() returns "ok" benchmarks
only) and the report and compare.py list it.
"""

import gzip
import json
import os
import statistics
import zlib

import results_check as rc
from headlines import HEADLINES

SCHEMA_VERSION = 1  # the major version these scripts read
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           os.pardir, "results", "schema",
                           f"results-{SCHEMA_VERSION}.schema.json")
GENERATE_HINT = "run ./run_all.sh or build/ipcbench --out=FILE to make one"
DAMAGED = ("the file is damaged or was not written by ipcbench; run the "
           "benchmarks again")
_SEP = " \u2014 "  # " — " between what went wrong and how to fix it


class PlotError(Exception):
    """A problem the user can fix: one line, "<what> — <how to fix>"."""

    def __init__(self, what, fix, exit_code=2):
        super().__init__(what + _SEP + fix)
        self.exit_code = exit_code


def normalize_name(name):
    """Benchmark name without Google Benchmark's "/manual_time" suffix."""
    return name.replace("/manual_time", "")


def series_label(transport, wait):
    """The name a transport and wait strategy go by in legends: "pipe:block"."""
    return f"{transport}:{wait}" if wait else transport


def cpus_text(h):
    """"driver CPU 0, peer CPU 1" and, when the run recorded it, what the
    two CPUs share: "driver CPU 0, peer CPU 1, same L3"."""
    text = f"driver CPU {h['driver_cpu']}, peer CPU {h['peer_cpu']}"
    if h.get("placement_sharing"):
        text += f", {h['placement_sharing']}"
    return text


def capacity_label(capacity):
    """How a record's capacity (--capacity) goes by in legends and keys:
    "default" (also for files older than --capacity), "equal" (the 1 MiB
    budget), "equal 4 MiB" for a budget of its own."""
    capacity = capacity or {}
    if capacity.get("mode", "default") == "default":
        return "default"
    asked = capacity.get("asked_bytes")
    if asked in (None, 1 << 20):
        return "equal"
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if asked >= scale:
            return f"equal {asked / scale:g} {unit}"
    return f"equal {asked} B"


def cpu_cost(cpu):
    """A record's cpu in a row: CPU ns per unit (cpu_per: round_trip or
    message) of the driver, the peer (all peers together) and the
    transport's broker or daemon (None where it has none)."""
    cpu = cpu if isinstance(cpu, dict) else {}

    def per(side):
        v = (cpu.get(side) or {}).get("ns_per_msg")
        return v if isinstance(v, (int, float)) else None
    return dict(cpu_per=cpu.get("per"), cpu_driver_ns=per("driver"),
                cpu_peer_ns=per("peer"), cpu_daemon_ns=per("daemon"))


def observed_peers(observed):
    """The CPUs the peer processes ran on, as cpus_observed records them:
    one peer ("peer"), or a list of fan-in producers or fan-out consumers
    (an entry is null where a process could not say)."""
    if observed.get("peer") is not None:
        return (observed["peer"],)
    many = observed.get("producers") or observed.get("consumers") or []
    return tuple(c for c in many if c is not None)


def placement_label(preset, driver_cpu=None, peer_cpu=None):
    """How a placement goes by in legends: "same", "cross", "cpus 2,3" for
    a custom one (--placement=2,3), "unpinned" for none."""
    if preset == "none" or (driver_cpu is not None and driver_cpu < 0):
        return "unpinned"
    if preset == "custom":
        return f"cpus {driver_cpu},{peer_cpu}"
    return str(preset) if preset else "unknown"


def _read_json(path):
    if not os.path.exists(path):
        raise PlotError(f"{path} does not exist", GENERATE_HINT)
    if os.path.isdir(path):
        raise PlotError(f"{path} is a directory",
                        "pass the results.json file inside it")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except UnicodeDecodeError:
        raise PlotError(f"{path} is not JSON (not UTF-8 text)",
                        "pass a results.json written by ipcbench") from None
    except json.JSONDecodeError as e:
        raise PlotError(
            f"{path} is not JSON (line {e.lineno} column {e.colno}: {e.msg})",
            "pass a results.json written by ipcbench") from None
    except OSError as e:
        raise PlotError(f"cannot read {path} ({e.strerror})",
                        "check the path and its permissions") from None


def _check_block(path, doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("ipcbench"), dict):
        raise PlotError(
            f'{path} has no "ipcbench" block (plain Google Benchmark output?)',
            "pass a results.json written by build/ipcbench --out=FILE")
    block = doc["ipcbench"]
    version = block.get("schema_version")
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise PlotError(
            f"{path} has schema_version {json.dumps(version)}; these scripts "
            f"read version {SCHEMA_VERSION} (results/schema/results-"
            f"{SCHEMA_VERSION}.schema.json)",
            "use the plot/ scripts from the ipcbench version that wrote it")
    records = block.get("benchmarks")
    if not isinstance(records, list):
        raise PlotError(f'{path}: "ipcbench.benchmarks" is not a list',
                        "the file is damaged; run the benchmarks again")
    if not records:
        raise PlotError(
            f"{path} contains no benchmarks (an empty run)",
            "check ipcbench's --transports, --scenarios, --sizes and "
            "--benchmark_filter, then run again")
    return block


SIDE_FORMAT = "ipcbench-distributions"
# What a record lacks when its side file cannot be read (the warning says).
DETAILS_MISSING = ("records lack the details kept in the side file (CPU-time "
                   "breakdown, run delays, warm-up, rate's sender lag, "
                   "topology indexes, missing-percentile tables) and have "
                   "their figures rounded to 7 significant digits")


def _resolve(record, pointer):
    """The object at JSON pointer `pointer` (RFC 6901) inside `record`."""
    node = record
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node if isinstance(node, dict) else None


def _read_side(path, entry):
    """The side file's document, or raises ValueError saying why it is not
    the one `entry` (ipcbench.distributions) names."""
    name = entry.get("file")
    if (not isinstance(name, str) or not name or "/" in name
            or name in (".", "..")):
        raise ValueError(f"its name {name!r} is not a file name")
    side = os.path.join(os.path.dirname(os.path.abspath(path)), name)
    try:
        with open(side, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise ValueError(f"{name} is missing") from None
    except OSError as e:
        raise ValueError(f"cannot read {name} ({e.strerror})") from None
    if len(data) != entry.get("bytes") or (
            zlib.crc32(data) != entry.get("crc32")):
        raise ValueError(f"{name} does not belong to this results file "
                         "(its size or CRC-32 differs)")
    try:
        doc = json.loads(gzip.decompress(data))
    except (OSError, EOFError, ValueError) as e:
        raise ValueError(f"{name} is damaged ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != SIDE_FORMAT or (
            not isinstance(doc.get("benchmarks"), list)):
        raise ValueError(f"{name} is not an ipcbench distributions file")
    return name, doc


def merge_details(record, patch):
    """Merges a record's details (a JSON merge patch, RFC 7386, from the
    side file) into it: objects key by key, other values replace; a null
    removes the key (ipcbench never writes one)."""
    for key, value in patch.items():
        if value is None:
            record.pop(key, None)
        elif isinstance(value, dict) and isinstance(record.get(key), dict):
            merge_details(record[key], value)
        else:
            record[key] = value


def attach_distributions(path, doc):
    """Puts the full percentile spectra of the side file that `doc`'s
    ipcbench.distributions names (distributions.json.gz beside `path`)
    back into the records' "percentiles_ns", and merges each record's
    details (fields no chart reads: the CPU-time breakdown, run delays,
    warm-up, rate's sender lag, topology indexes, percentiles_missing)
    back into it. Returns (full, note): full is True when every record is
    whole (also for a file without a side file, which keeps everything
    inline); note says why not, for charts that then draw the percentiles
    results.json keeps. A side file that is missing, damaged or not this
    file's is not read: the records then lack their details."""
    block = doc.get("ipcbench") if isinstance(doc, dict) else None
    entry = block.get("distributions") if isinstance(block, dict) else None
    if not isinstance(entry, dict):
        return True, ""
    records = block.get("benchmarks")
    try:
        name, side = _read_side(path, entry)
        moves, details = [], []
        for item in side["benchmarks"]:
            index = item.get("index") if isinstance(item, dict) else None
            if (not isinstance(index, int) or isinstance(index, bool)
                    or not isinstance(records, list)
                    or not 0 <= index < len(records)
                    or not isinstance(records[index], dict)
                    or records[index].get("name") != item.get("name")
                    or not isinstance(item.get("spectra", {}), dict)
                    or not isinstance(item.get("details", {}), dict)):
                raise ValueError(f"{name} names a benchmark this results "
                                 "file does not have")
            if item.get("details"):
                details.append((records[index], item["details"]))
            for pointer, spectrum in item.get("spectra", {}).items():
                target = _resolve(records[index], pointer)
                if target is None or not isinstance(spectrum, dict):
                    raise ValueError(f"{name} names a distribution this "
                                     "results file does not have")
                moves.append((target, spectrum))
    except ValueError as e:
        return False, (f"{e}: drawn from the percentiles results.json "
                       "keeps")
    for record, patch in details:
        merge_details(record, patch)
    for target, spectrum in moves:
        target["percentiles_ns"] = spectrum
    return True, ""


def _checked(path, where, value, spec, field="", flagged=None):
    """rc.check(), its Malformed as a PlotError: "<path>: <where><field> is
    a string ('abc'); expected a number"."""
    try:
        rc.check(value, spec, field, flagged)
    except rc.Malformed as e:
        raise PlotError(f"{path}: {where}{e}", DAMAGED) from None


def _check_gbench(path, doc):
    """Google Benchmark's context and the entries the scripts read."""
    if "context" in doc:
        _checked(path, "", doc["context"], rc.CONTEXT, "context")
    if "benchmarks" not in doc:
        return
    _checked(path, "", doc["benchmarks"], [rc.ANY_OBJECT], "benchmarks")
    spec = rc.gbench_entry(GB_COUNTERS)
    for i, entry in enumerate(doc["benchmarks"]):
        name = entry.get("name")
        where = (f"Google Benchmark entry #{i} is malformed: "
                 + (f'"{name}": ' if isinstance(name, str) else ""))
        try:
            if rc.read_by_scripts(entry):
                rc.check(entry, spec)
        except rc.Malformed as e:
            raise PlotError(f"{path}: {where}{e}", DAMAGED) from None


def _check_record(path, index, rec):
    """Refuses a record with a wrong value (results_check); returns the
    [(field, value)] of its NaN, infinite or negative figures."""
    name = rec.get("name") if isinstance(rec, dict) else None
    where = (f"benchmark #{index} is malformed: "
             + (f'"{name}": ' if isinstance(name, str) else ""))
    flagged = []
    _checked(path, where, rec, rc.RECORD, flagged=flagged)
    return flagged


def _gbench_entries(doc):
    """Google Benchmark's entries by (name, repetition) and median aggregates."""
    iterations, medians = {}, {}
    entries = doc.get("benchmarks")
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict) or "name" not in e:
            continue
        run_name = normalize_name(e.get("run_name", e["name"]))
        if e.get("run_type") == "aggregate":
            if e.get("aggregate_name") == "median":
                medians[run_name] = e
        else:
            iterations[(run_name, e.get("repetition_index", 0))] = e
    return iterations, medians


def _percentile_lookup(percentiles):
    """{"99.9": v} -> {99.9: v}, keeping the file's order."""
    return {float(k): v for k, v in percentiles.items()}


def _status(rec, gb, failed_names, skipped_reasons):
    """ok / failed / skipped and why; the record itself decides first."""
    if "skipped" in rec:
        return "skipped", str(rec["skipped"])
    if "error" in rec:
        return "failed", str(rec["error"])
    if gb and (gb.get("error_occurred") or gb.get("skipped")):
        return "failed", str(gb.get("error_message", "failed"))
    if "latency" in rec or "throughput" in rec or "aggregate" in rec:
        return "ok", ""
    name = rec["name"]
    if name in skipped_reasons:
        return "skipped", str(skipped_reasons[name])
    return "failed", str(failed_names.get(name, "no measurement recorded"))


def pairs_of(value):
    """The number of concurrent pairs a record ran with: its "pairs" is
    --pairs (an int) or, once measured with more than one, one object per
    pair; 1 when the record has none (files from before --pairs)."""
    if isinstance(value, list):
        return len(value)
    if value is None:
        return 1
    return int(value)


def _flatten(path, index, rec, gb, failed, skipped, flagged=()):
    if not isinstance(rec, dict) or not isinstance(rec.get("name"), str):
        raise PlotError(f"{path}: benchmark #{index} has no name",
                        "the file is damaged; run the benchmarks again")
    name = normalize_name(rec["name"])
    rec = dict(rec, name=name)
    if "scenario" not in rec and "error" in rec:
        return None  # abandoned: listed with the failures
    row = {"name": name, "repetition_index": rec.get("repetition_index", 0)}
    for key in ("scenario", "transport", "wait", "message_bytes"):
        if rec.get(key) is None:
            raise PlotError(f"{path}: benchmark {name} has no {key!r}",
                            "the file is damaged or not written by ipcbench")
        row[key] = rec[key]
    row["series"] = series_label(row["transport"], row["wait"])
    row["status"], row["reason"] = _status(rec, gb, failed, skipped)
    if row["status"] == "ok" and flagged:
        row["status"], row["reason"] = "invalid", rc.invalid_figure(
            *flagged[0])
    placement = rec.get("placement", {})
    observed = rec.get("cpus_observed", {})
    row.update(placement_preset=placement.get("preset"),
               placement_sharing=placement.get("sharing"),
               driver_cpu=placement.get("driver_cpu"),
               peer_cpu=placement.get("peer_cpu"),
               observed_driver_cpu=observed.get("driver"),
               observed_peer_cpu=observed.get("peer"),
               observed_peer_cpus=observed_peers(observed),
               iterations=rec.get("iterations"),
               warmup_messages=rec.get("warmup_messages"),
               applied=rec.get("applied", {}),
               capacity=capacity_label(rec.get("capacity")),
               capacity_applied_bytes=(rec.get("capacity") or {}).get(
                   "applied_bytes"))
    row.update(cpu_cost(rec.get("cpu")))
    lat = rec.get("latency")
    pct = _percentile_lookup(lat.get("percentiles_ns", {})) if lat else {}
    # Batch means (pingpong timed with the clock, latency.batch > 1): their
    # percentiles above p50, min, max and spread are of means, compressed by
    # up to the batch size, not a round trip's: left out (BATCH_MEANS).
    means = bool(lat) and lat.get("kind") == "batch_mean"
    if means:
        pct = {p: v for p, v in pct.items() if p <= 50}
    row.update(batch_means=means,
               latency_batch=lat.get("batch") if lat else None,
               latency_timer=lat.get("timer") if lat else None)
    row.update(latency_kind=lat.get("kind") if lat else None,
               latency_count=lat.get("count") if lat else None,
               mean_ns=lat.get("mean_ns") if lat else None,
               stddev_ns=lat.get("stddev_ns") if lat and not means else None,
               min_ns=lat.get("min_ns") if lat and not means else None,
               max_ns=lat.get("max_ns") if lat and not means else None,
               percentiles_ns=pct,
               p50_ns=pct.get(50.0), p90_ns=pct.get(90.0),
               p99_ns=pct.get(99.0), p999_ns=pct.get(99.9),
               p9999_ns=pct.get(99.99))
    thr = rec.get("throughput") or {}
    # --pairs N > 1: "pairs" lists the pairs, "aggregate" sums their rates
    # (a multi-pair stream has no "throughput" of its own).
    per_pair = rec.get("pairs")
    agg = rec.get("aggregate") or {}
    row.update(pairs=pairs_of(per_pair),
               per_pair=per_pair if isinstance(per_pair, list) else [],
               msgs_per_s=agg.get("msgs_per_s", thr.get("msgs_per_s")),
               bytes_per_second=agg.get("bytes_per_second",
                                        thr.get("bytes_per_second")),
               round_trips_per_s=agg.get("round_trips_per_s"),
               messages=thr.get("messages"), elapsed_ns=thr.get("elapsed_ns"))
    one = _percentile_lookup(((rec.get("oneway") or {}).get(
        "driver_to_peer") or {}).get("percentiles_ns", {}))
    row.update(oneway_p50_ns=one.get(50.0), oneway_p99_ns=one.get(99.0))
    rate = rec.get("rate") or {}
    # (files written before records had offered_rate_per_s have the
    # offered rate of measured rate benchmarks in their rate block only)
    # --rate=50%: the percentage asked (the setting) and the stream figure
    # its offered rate is that share of (None for absolute rates)
    relative = rate.get("relative") or {}
    row.update(offered_per_s=rec.get("offered_rate_per_s",
                                     rate.get("offered_per_s")),
               offered_percent=rec.get("offered_rate_percent"),
               stream_msgs_per_s=relative.get("stream_msgs_per_s"),
               achieved_per_s=rate.get("achieved_per_s"),
               missed_slots=rate.get("missed_slots"))
    fanin = rec.get("fanin") or {}
    fair = fanin.get("fairness") or {}
    row.update(producers=rec.get("producers"), verify=rec.get("verify"),
               per_producer=fanin.get("per_producer", []),
               jain_index=fair.get("jain_index"),
               min_share=fair.get("min_share"),
               max_share=fair.get("max_share"))
    fanout = rec.get("fanout") or {}
    delivered = fanout.get("delivered") or {}
    loss = fanout.get("loss") or {}
    per_consumer = fanout.get("per_consumer", [])
    slowest = fanout.get("slowest_consumer")
    row.update(consumers=rec.get("consumers"),
               delivery=fanout.get("delivery"),
               per_consumer=per_consumer,
               delivered_msgs_per_s=delivered.get("msgs_per_s"),
               delivered_bytes_per_second=delivered.get("bytes_per_second"),
               loss_fraction=loss.get("fraction"),
               lost_messages=loss.get("messages"),
               slowest_msgs_per_s=next(
                   (c.get("msgs_per_s") for c in per_consumer
                    if c.get("consumer") == slowest), None))
    gb = gb or {}
    row.update(gb_real_time=gb.get("real_time"), gb_cpu_time=gb.get("cpu_time"),
               gb_time_unit=gb.get("time_unit"), gb_label=gb.get("label"))
    return row


# Headline fields: (row key, Google Benchmark counter in the median aggregate)
# as ping-pong and stream name them (None: no counter, the median of the
# repetitions); SCENARIO_COUNTERS has the exceptions.
HEADLINE_FIELDS = (("p50_ns", "rtt_p50_ns"), ("p90_ns", "rtt_p90_ns"),
                   ("p99_ns", "rtt_p99_ns"), ("p999_ns", "rtt_p999_ns"),
                   ("msgs_per_s", "msgs_per_s"),
                   ("bytes_per_second", "bytes_per_second"),
                   ("round_trips_per_s", "round_trips_per_s_total"),
                   ("oneway_p50_ns", "oneway_a2b_p50_ns"),
                   ("oneway_p99_ns", "oneway_a2b_p99_ns"),
                   ("achieved_per_s", "achieved_per_s"),
                   ("missed_slots", "missed_slots"),
                   ("jain_index", "jain_index"),
                   ("min_share", None), ("max_share", None),
                   ("delivered_msgs_per_s", "delivered_msgs_per_s"),
                   ("slowest_msgs_per_s", "slowest_msgs_per_s"),
                   ("loss_fraction", "loss_fraction"))
# Counters of scenarios whose latency is not a round trip: rate's (from the
# intended send time), fan-in's and fan-out's (send to receive) are lat_*,
# with no p90; one-way's record latency is a round trip with no counter of
# its own (its oneway_* figures have theirs). None: the median of the
# repetitions.
_LAT_COUNTERS = {"p50_ns": "lat_p50_ns", "p90_ns": None,
                 "p99_ns": "lat_p99_ns", "p999_ns": "lat_p999_ns"}
SCENARIO_COUNTERS = {"rate": _LAT_COUNTERS, "fanin": _LAT_COUNTERS,
                     "fanout": _LAT_COUNTERS,
                     "oneway": {"p50_ns": None, "p90_ns": None,
                                "p99_ns": None, "p999_ns": None}}
# Every counter of Google Benchmark's entries that a headline may read.
GB_COUNTERS = sorted({c for _, c in HEADLINE_FIELDS if c} | {
    c for counters in SCENARIO_COUNTERS.values()
    for c in counters.values() if c})
# What a chart says of a benchmark whose samples are batch means: its p50
# is shown, labelled so; its tails are not (they are left out of every tail
# chart and comparison).
BATCH_MEANS = "p50 of batch means (clock timer), tails not shown"
# Fields that are settings of the benchmark, the same in every repetition.
SETTING_FIELDS = ("placement_preset", "driver_cpu", "peer_cpu",
                  "offered_per_s", "offered_percent", "stream_msgs_per_s",
                  "producers", "consumers", "delivery", "pairs", "verify",
                  "capacity")


def median_counter(scenario, key):
    """The counter of Google Benchmark's median aggregate that holds a
    headline field of a scenario's benchmark, or None if none does."""
    default = dict(HEADLINE_FIELDS)[key]
    return SCENARIO_COUNTERS.get(scenario, {}).get(key, default)


def _unmeasured(head, status, reason):
    """head of a benchmark with no figure to show, and why."""
    head.update(status=status, reason=reason, source="",
                **{k: None for k, _ in HEADLINE_FIELDS})
    return head


def _headline(runs, median_entry):
    """One benchmark's figures from its repetitions (see module docstring)."""
    first = runs[0]
    ok = [r for r in runs if r["status"] == "ok"]
    head = {k: first[k] for k in ("name", "scenario", "transport", "wait",
                                  "series", "message_bytes", *SETTING_FIELDS)}
    head["placement"] = placement_label(first["placement_preset"],
                                        first["driver_cpu"], first["peer_cpu"])
    head["placement_sharing"] = first.get("placement_sharing")
    head["runs"] = runs
    head["repetitions"] = len(ok)
    head["batch_means"] = any(r.get("batch_means") for r in ok)
    invalid = [r for r in runs if r["status"] == "invalid"]
    if invalid:  # one bad repetition and the benchmark is not drawn
        return _unmeasured(head, "invalid", invalid[0]["reason"])
    if not ok:
        return _unmeasured(head, first["status"], first["reason"])
    head.update(status="ok", reason="")
    if len(ok) == 1:
        head["source"] = "single run"
        head.update({k: ok[0][k] for k, _ in HEADLINE_FIELDS})
        return head
    use_gb = median_entry is not None
    head["source"] = (f"Google Benchmark median of {len(ok)} repetitions"
                      if use_gb else f"median of {len(ok)} repetitions")
    for key, _ in HEADLINE_FIELDS:
        values = [r[key] for r in ok if r[key] is not None]
        counter = median_counter(first["scenario"], key)
        if use_gb and counter in median_entry:
            head[key] = median_entry[counter]
            if rc.bad_figure(head[key]):
                return _unmeasured(head, "invalid", rc.invalid_figure(
                    f"Google Benchmark median {counter}", head[key]))
        else:
            head[key] = statistics.median(values) if values else None
    return head


def representative(runs):
    """The successful repetition whose headline figure (HEADLINES; memcpy:
    bytes/s) is the median one."""
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return None
    kind = HEADLINES.get(ok[0]["scenario"])
    key = kind.key if kind else "bytes_per_second"
    ranked = sorted(ok, key=lambda r: (r[key] is None, r[key] or 0))
    return ranked[(len(ranked) - 1) // 2]


def _list(block, key):
    value = block.get(key)
    return value if isinstance(value, list) else []


class Results:
    """A validated results file: environment, rows and headlines."""

    def __init__(self, path, doc):
        self.path = path
        self.doc = doc
        block = _check_block(path, doc)
        # Full spectra from the side file, before anything is checked.
        self.full_spectra, self.spectra_note = attach_distributions(path, doc)
        _checked(path, "", {k: v for k, v in block.items()
                            if k != "benchmarks"}, rc.BLOCK, "ipcbench")
        _check_gbench(path, doc)
        flagged = [_check_record(path, i, rec)
                   for i, rec in enumerate(block["benchmarks"])]
        self.block = block
        self.environment = block.get("environment") or {}
        self.placement = block.get("placement") or {}
        self.context = doc.get("context") or {}
        self.complete = bool(block.get("complete", False))
        self.warnings = [str(w) for w in _list(block, "warnings")]
        self.failures = [f for f in _list(block, "failures")
                         if isinstance(f, dict)]
        self.skipped = [s for s in _list(block, "skipped")
                        if isinstance(s, dict)]
        failed = {normalize_name(f.get("name", "")): f.get("error", "")
                  for f in self.failures}
        skipped = {normalize_name(s.get("name", "")): s.get("reason", "")
                   for s in self.skipped}
        iterations, self._medians = _gbench_entries(doc)
        self.rows = []
        for i, rec in enumerate(block["benchmarks"]):
            gb = None
            if isinstance(rec, dict):
                gb = iterations.get((normalize_name(str(rec.get("name", ""))),
                                     rec.get("repetition_index", 0)))
            try:
                row = _flatten(path, i, rec, gb, failed, skipped, flagged[i])
            except (AttributeError, TypeError, ValueError) as e:
                raise PlotError(f"{path}: benchmark #{i} is malformed ({e})",
                                "the file is damaged or not written by "
                                "ipcbench") from None
            if row is not None:
                self.rows.append(row)
        self.headlines = self._make_headlines()

    def _make_headlines(self):
        groups = {}
        for row in self.rows:
            groups.setdefault(row["name"], []).append(row)
        return [_headline(runs, self._medians.get(name))
                for name, runs in groups.items()]

    def select(self, scenario=None, series=None, size=None, ok_only=True):
        """Headlines filtered by scenario, series (list) and size."""
        out = []
        for h in self.headlines:
            if scenario and h["scenario"] != scenario:
                continue
            if series and h["series"] not in series and (
                    h["transport"] not in series):
                continue
            if size is not None and h["message_bytes"] != size:
                continue
            if ok_only and h["status"] != "ok":
                continue
            out.append(h)
        return out

    def invalid(self):
        """Headlines of benchmarks with a NaN, infinite or negative figure:
        in no chart, listed with the figure ("invalid figure: ... = nan")."""
        return [h for h in self.headlines if h["status"] == "invalid"]

    def all_series(self):
        """Every transport:wait of the run, in a stable (sorted) order."""
        return sorted({r["series"] for r in self.rows})

    def sizes(self, scenario=None):
        return sorted({h["message_bytes"] for h in self.select(scenario)})

    def placements(self, scenario=None):
        """Placement labels of the successful benchmarks, in run order."""
        return list(dict.fromkeys(h["placement"]
                                  for h in self.select(scenario)))

    def max_repetitions(self):
        return max((h["repetitions"] for h in self.headlines), default=0)

    def placement_text(self):
        swept = self.placements()
        if len(swept) > 1:
            return "placements " + ", ".join(swept)
        p = self.placement
        preset = p.get("preset", "?")
        if p.get("driver_cpu", -1) is None or p.get("driver_cpu", -1) < 0:
            return f"placement {preset} (not pinned)"
        shared = f" ({p['sharing']})" if p.get("sharing") else ""
        return (f"placement {preset}: driver CPU {p.get('driver_cpu')}, "
                f"peer CPU {p.get('peer_cpu')}{shared}")

    def machine_caption(self):
        """CPU model, kernel, placement, host and date, on one line."""
        env = self.environment
        cpu = env.get("cpu_model") or "unknown CPU"
        ncpu = env.get("cpus_online")
        if ncpu:
            cpu += f" ({ncpu} CPUs{', VM' if env.get('hypervisor') else ''})"
        parts = [cpu, env.get("kernel") or "unknown kernel",
                 self.placement_text()]
        if env.get("hostname"):
            parts.append(f"host {env['hostname']}")
        if self.context.get("date"):
            parts.append(str(self.context["date"])[:16].replace("T", " "))
        reps = self.max_repetitions()
        if reps > 1:
            parts.append(f"median of {reps} repetitions")
        if not self.complete:
            parts.append("INCOMPLETE RUN")
        return " \u00b7 ".join(parts)


def load(path):
    """Reads and validates a results file; raises PlotError on bad input."""
    return Results(path, _read_json(path))
