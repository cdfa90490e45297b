"""Second runs ("B") for the compare tests, made from a fixture ("A") by
factors each test states next to its assertions: every figure of the named
benchmarks scaled, in the ipcbench records and in Google Benchmark's entries
(every repetition, and the aggregates but cv, which scaling leaves as it
is). Factors that are powers of two keep every ratio exact."""

import copy
import json

from conftest import fixture


def load_doc(name):
    with open(fixture(name)) as f:
        return json.load(f)


def records(doc, name):
    return [r for r in doc["ipcbench"]["benchmarks"] if r["name"] == name]


def gb_entries(doc, name):
    """Google Benchmark's entries of a benchmark whose figures scale."""
    return [b for b in doc["benchmarks"] if b["run_name"] == name
            and b.get("aggregate_name") != "cv"]


def _scale_distribution(dist, factor):
    for k in ("mean_ns", "stddev_ns", "min_ns", "max_ns"):
        dist[k] = dist[k] * factor
    dist["percentiles_ns"] = {p: v * factor
                              for p, v in dist["percentiles_ns"].items()}


def scale_latency(doc, name, factor):
    """Every latency of benchmark `name` times factor (its distributions,
    per-pair percentiles, latency counters; ping-pong's time per round trip
    too), its round trips per second divided by factor."""
    for b in gb_entries(doc, name):
        for k in list(b):
            if k.endswith("_ns") and not k.startswith("cpu_"):
                b[k] = b[k] * factor
        if b["run_name"].startswith(("pingpong/", "oneway/")):
            b["real_time"] = b["real_time"] * factor
        if "round_trips_per_s_total" in b:
            b["round_trips_per_s_total"] /= factor
    for r in records(doc, name):
        _scale_distribution(r["latency"], factor)
        if "oneway" in r:
            _scale_distribution(r["oneway"]["driver_to_peer"], factor)
            _scale_distribution(r["oneway"]["peer_to_driver"], factor)
            r["oneway"]["rtt_half_p50_ns"] *= factor
        for pair in r["pairs"] if isinstance(r.get("pairs"), list) else []:
            for k in ("rtt_p50_ns", "rtt_p99_ns"):
                pair[k] = pair[k] * factor
            pair["round_trips_per_s"] /= factor
        if "round_trips_per_s" in r.get("aggregate", {}):
            r["aggregate"]["round_trips_per_s"] /= factor
    return doc


def scale_throughput(doc, name, factor):
    """Benchmark `name` (stream, fan-in or fan-out) moved factor times as
    many messages and bytes per second: its throughput, or with --pairs its
    aggregate and each pair's; a fan-in's per-producer rates too, a
    fan-out's delivered, slowest and per-consumer rates; Google Benchmark's
    time per message divided by factor."""
    for b in gb_entries(doc, name):
        for k in ("bytes_per_second", "msgs_per_s", "delivered_msgs_per_s",
                  "slowest_msgs_per_s"):
            if k in b:
                b[k] = b[k] * factor
        b["real_time"] = b["real_time"] / factor
    for r in records(doc, name):
        pairs = r["pairs"] if isinstance(r.get("pairs"), list) else []
        for t in [r.get("throughput"), r.get("aggregate")] + pairs:
            for k in ("bytes_per_second", "msgs_per_s"):
                if t and k in t:
                    t[k] = t[k] * factor
            if t and "elapsed_ns" in t:
                t["elapsed_ns"] = t["elapsed_ns"] / factor
        for p in (r.get("fanin") or {}).get("per_producer", []):
            p["msgs_per_s"] = p["msgs_per_s"] * factor
        fanout = r.get("fanout") or {}
        for t in [fanout.get("delivered")] + fanout.get("per_consumer", []):
            for k in ("bytes_per_second", "msgs_per_s"):
                if t and k in t:
                    t[k] = t[k] * factor
    return doc


def scale_rate_load(doc, name, achieved, missed):
    """A rate benchmark that achieved `achieved` times its rate with
    `missed` times the missed slots."""
    for b in gb_entries(doc, name):
        b["achieved_per_s"] = b["achieved_per_s"] * achieved
        b["missed_slots"] = b["missed_slots"] * missed
    for r in records(doc, name):
        r["rate"]["achieved_per_s"] = r["rate"]["achieved_per_s"] * achieved
        r["rate"]["missed_slots"] = int(r["rate"]["missed_slots"] * missed)
    return doc


def keep_only(doc, keep):
    """doc without the benchmarks whose name keep(name) rejects."""
    doc["benchmarks"] = [b for b in doc["benchmarks"]
                         if keep(b["run_name"])]
    ib = doc["ipcbench"]
    for key in ("benchmarks", "failures", "skipped"):
        ib[key] = [r for r in ib[key] if keep(r["name"])]
    return doc


def derived(tmp_path, name, latency=None, throughput=None, rate_load=None,
            drop=(), out=None):
    """Fixture `name` as a B file in tmp_path: latency {benchmark: factor},
    throughput {benchmark: factor}, rate_load {benchmark: (achieved,
    missed)}, without the benchmarks in `drop`. Returns its path."""
    doc = copy.deepcopy(load_doc(name))
    for bench, factor in (latency or {}).items():
        scale_latency(doc, bench, factor)
    for bench, factor in (throughput or {}).items():
        scale_throughput(doc, bench, factor)
    for bench, factors in (rate_load or {}).items():
        scale_rate_load(doc, bench, *factors)
    keep_only(doc, lambda n: n not in drop)
    path = tmp_path / (out or name.replace(".json", "_b.json"))
    path.write_text(json.dumps(doc))
    return str(path)
