"""Results files with values of the wrong type or out of range, for every
entry point. A wrong type anywhere the scripts read (a string, null, bool,
list or object where a number belongs; a number where a string belongs),
and a setting or count that is not a whole number 0 or more, is refused:
exit 2, one line "plot: <file>: ... <field> is ...; expected ...", no
traceback, nothing written."""

import glob
import json
import math
import os

import pytest

from conftest import PLOT_DIR, fixture, run_script
from test_bad_input import SCRIPTS, assert_clean_failure
import ipcbench_results as ir


def load_doc(name):
    with open(fixture(name)) as f:
        return json.load(f)


def record(doc, name, index=0):
    """The index-th ipcbench record called `name` (repetitions share it)."""
    return [r for r in doc["ipcbench"]["benchmarks"] if r["name"] == name][
        index]


def gb_entry(doc, name, aggregate=None):
    """Google Benchmark's iteration entry (or named aggregate) of `name`."""
    return next(b for b in doc["benchmarks"] if b["run_name"] == name
                and b.get("aggregate_name") == aggregate)


def edited(tmp_path, name, edit):
    """Fixture `name` with edit(doc) applied, as tmp_path/in/results.json
    (NaN and Infinity written as the JSON literals Google Benchmark uses)."""
    doc = load_doc(name)
    edit(doc)
    path = tmp_path / "in" / "results.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc))
    return str(path)


def setter(get, key, value):
    def edit(doc):
        get(doc)[key] = value
    return edit


# id -> (fixture, edit, words the one line must contain)
WRONG = {
    "record percentile string": (
        "small.json", setter(lambda d: record(d, "pingpong/pipe/64")[
            "latency"]["percentiles_ns"], "50", "abc"),
        ['"pingpong/pipe/64"',
         'latency.percentiles_ns["50"] is a string (\'abc\'); expected a '
         'number']),
    "record throughput null": (
        "small.json", setter(lambda d: record(d, "stream/pipe/64")[
            "throughput"], "bytes_per_second", None),
        ['"stream/pipe/64"',
         "throughput.bytes_per_second is null; expected a number"]),
    "record size bool": (
        "small.json", setter(lambda d: record(d, "pingpong/tcp/64"),
                             "message_bytes", True),
        ['"pingpong/tcp/64"', "message_bytes is a bool (true)"]),
    "record sample count list": (
        "small.json", setter(lambda d: record(d, "pingpong/pipe/4096")[
            "latency"], "count", [529]),
        ["latency.count is a list"]),
    "record transport number": (
        "small.json", setter(lambda d: record(d, "stream/tcp/64"),
                             "transport", 5),
        ["transport is a number (5); expected a string"]),
    "record name number": (
        "small.json", setter(lambda d: d["ipcbench"]["benchmarks"][0],
                             "name", 5),
        ["benchmark #0", "name is a number (5); expected a string"]),
    "record latency string": (
        "small.json", setter(lambda d: record(d, "pingpong/pipe/64"),
                             "latency", "fast"),
        ["benchmark #0 is malformed",
         "latency is a string ('fast'); expected an object"]),
    "record iterations string": (
        "rate.json", setter(lambda d: record(d, "rate/pipe/64/1000_per_s"),
                            "iterations", "76"),
        ["iterations is a string ('76')"]),
    "rate offered string": (
        "rate.json", setter(lambda d: record(d, "rate/pipe/64/1000_per_s")[
            "rate"], "offered_per_s", "fast"),
        ['"rate/pipe/64/1000_per_s"', "rate.offered_per_s is a string"]),
    "rate achieved null": (
        "rate.json", setter(lambda d: record(
            d, "rate/shm_ring:block/64/10000_per_s")["rate"],
            "achieved_per_s", None), ["rate.achieved_per_s is null"]),
    "rate missed slots object": (
        "rate.json", setter(lambda d: record(d, "rate/pipe/64/50000_per_s")[
            "rate"], "missed_slots", {}),
        ["rate.missed_slots is an object; expected a number"]),
    "fanin producers string": (
        "fanin.json", setter(lambda d: record(
            d, "fanin/unix_dgram/64/2_producers"), "producers", "2"),
        ['"fanin/unix_dgram/64/2_producers"', "producers is a string"]),
    "fanin jain bool": (
        "fanin.json", setter(lambda d: record(
            d, "fanin/unix_dgram/64/2_producers")["fanin"]["fairness"],
            "jain_index", False),
        ["fanin.fairness.jain_index is a bool (false)"]),
    "fanin share string": (
        "fanin.json", setter(lambda d: record(
            d, "fanin/posix_mq:block/64/2_producers")["fanin"][
            "per_producer"][1], "share", "half"),
        ["fanin.per_producer[1].share is a string ('half')"]),
    "pairs string": (
        "pairs_a.json", setter(lambda d: record(d, "pingpong/pipe/64"),
                               "pairs", "2"),
        ["pairs is a string ('2'); expected a whole number, 0 or more, "
         "or a list"]),
    "pair latency bool": (
        "pairs_a.json", setter(lambda d: record(
            d, "pingpong/pipe/64/2_pairs")["pairs"][1], "rtt_p50_ns", True),
        ["pairs[1].rtt_p50_ns is a bool (true)"]),
    "aggregate list": (
        "pairs_a.json", setter(lambda d: record(
            d, "stream/pipe/64/2_pairs")["aggregate"], "msgs_per_s", [1]),
        ["aggregate.msgs_per_s is a list"]),
    "cpu cost string": (
        "pairs_a.json", setter(lambda d: record(d, "stream/pipe/4096")[
            "cpu"]["driver"], "user_ns_per_msg", "x"),
        ["cpu.driver.user_ns_per_msg is a string ('x'); expected a number"]),
    "gb real time string": (
        "small.json", setter(lambda d: gb_entry(d, "pingpong/pipe/64"),
                             "real_time", "abc"),
        ["Google Benchmark entry #0", '"pingpong/pipe/64"',
         "real_time is a string ('abc'); expected a number"]),
    "gb counter null": (
        "small.json", setter(lambda d: gb_entry(d, "pingpong/tcp/4096"),
                             "rtt_p50_ns", None),
        ['"pingpong/tcp/4096"', "rtt_p50_ns is null; expected a number"]),
    "gb repetition index list": (
        "small.json", setter(lambda d: gb_entry(d, "stream/tcp/64"),
                             "repetition_index", [0]),
        ["repetition_index is a list"]),
    "gb median counter string": (
        "repetitions.json", setter(lambda d: gb_entry(
            d, "pingpong/pipe/64", "median"), "rtt_p50_ns", "x"),
        ['"pingpong/pipe/64_median"', "rtt_p50_ns is a string ('x')"]),
    "gb label number": (
        "small.json", setter(lambda d: gb_entry(d, "stream/pipe/64"),
                             "label", 7),
        ["label is a number (7); expected a string"]),
    "environment cpus string": (
        "small.json", setter(lambda d: d["ipcbench"]["environment"],
                             "cpus_online", "2"),
        ["ipcbench.environment.cpus_online is a string ('2')"]),
    "environment cpus bool": (
        "small.json", setter(lambda d: d["ipcbench"]["environment"],
                             "cpus_online", True),
        ["ipcbench.environment.cpus_online is a bool (true); expected a "
         "whole number, 0 or more"]),
    "environment hypervisor number": (
        "fanin.json", setter(lambda d: d["ipcbench"]["environment"],
                             "hypervisor", 1),
        ["ipcbench.environment.hypervisor is a number (1); expected a bool"]),
    "environment affinity string": (
        "fanin.json", setter(lambda d: d["ipcbench"]["environment"],
                             "affinity_cpus", "0-1"),
        ["ipcbench.environment.affinity_cpus is a string ('0-1'); expected "
         "a list"]),
    "clock cost string": (
        "small.json", setter(lambda d: d["ipcbench"]["environment"][
            "clock"], "read_cost_ns", "fast"),
        ["ipcbench.environment.clock.read_cost_ns is a string"]),
    "placement cpu string": (
        "small.json", setter(lambda d: d["ipcbench"]["placement"],
                             "driver_cpu", "0"),
        ["ipcbench.placement.driver_cpu is a string ('0'); expected a whole "
         "number"]),
    "complete string": (
        "small.json", setter(lambda d: d["ipcbench"], "complete", "yes"),
        ["ipcbench.complete is a string ('yes'); expected a bool"]),
    "warning number": (
        "small.json", setter(lambda d: d["ipcbench"], "warnings", [3]),
        ["ipcbench.warnings[0] is a number (3); expected a string"]),
    "failure name null": (
        "with_failures.json", setter(lambda d: d["ipcbench"]["failures"][0],
                                     "name", None),
        ["ipcbench.failures[0].name is null; expected a string"]),
    "context date number": (
        "small.json", setter(lambda d: d["context"], "date", 20261124),
        ["context.date is a number (20261124); expected a string"]),
    # settings and counts out of range: refused, like a wrong type
    "size negative": (
        "small.json", setter(lambda d: record(d, "stream/pipe/4096"),
                             "message_bytes", -4096),
        ["message_bytes is a number (-4096); expected a whole number, 0 or "
         "more"]),
    "sample count infinite": (
        "small.json", setter(lambda d: record(d, "pingpong/tcp/64")[
            "latency"], "count", math.inf),
        ["latency.count is a number (inf)"]),
    "offered rate nan": (
        "rate.json", setter(lambda d: record(d, "rate/pipe/64/10000_per_s")[
            "rate"], "offered_per_s", math.nan),
        ["rate.offered_per_s is a number (nan); expected a finite number, "
         "0 or more"]),
    "producers fraction": (
        "fanin.json", setter(lambda d: record(
            d, "fanin/posix_mq:block/4096/4_producers")["fanin"],
            "producers", 2.5),
        ["fanin.producers is a number (2.5); expected a whole number"]),
    "percentile key": (
        "small.json", lambda d: record(d, "pingpong/pipe/64")["latency"][
            "percentiles_ns"].update({"p50": 1}),
        ["latency.percentiles_ns has a key 'p50'; expected percentiles "
         "from 0 to 100"]),
}


def check_line(line, path, words):
    assert line.startswith(f"plot: {path}: "), line
    for w in words:
        assert w in line, line
    assert " \u2014 " in line and "\n" not in line


@pytest.mark.parametrize("case", sorted(WRONG))
def test_loader_refuses_wrong_values(tmp_path, case):
    name, edit, words = WRONG[case]
    path = edited(tmp_path, name, edit)
    with pytest.raises(ir.PlotError) as e:
        ir.load(path)
    assert e.value.exit_code == 2
    check_line(f"plot: {e.value}", path, words)


# A string, null and bool at the levels of the file (a record, a list in
# it, Google Benchmark's entries, the ipcbench block), and a NaN setting,
# for every entry point.
LEVELS = ["record percentile string", "pair latency bool", "gb counter null",
          "gb median counter string", "environment cpus bool",
          "offered rate nan"]


@pytest.mark.parametrize("case", LEVELS)
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_entry_point_refuses_wrong_values(tmp_path, script, case):
    name, edit, words = WRONG[case]
    path = edited(tmp_path, name, edit)
    out = str(tmp_path / "out")
    done = run_script(script.split(":")[0], *SCRIPTS[script](path, out))
    assert_clean_failure(done, out, words[-1])
    check_line(done.stderr.strip(), path, words)
    assert "Traceback" not in done.stderr and done.stdout == ""


def valid_files():
    examples = glob.glob(os.path.join(PLOT_DIR, os.pardir, "results", "*",
                                      "results.json"))
    return sorted(glob.glob(fixture("*.json"))) + sorted(examples)


@pytest.mark.parametrize("path", valid_files(), ids=lambda p: os.path.relpath(
    p, os.path.join(PLOT_DIR, os.pardir)))
def test_valid_files_load_as_before(path):
    """Every fixture and example run passes the checks: nothing refused,
    no benchmark marked invalid."""
    r = ir.load(path)
    assert {h["status"] for h in r.headlines} <= {"ok", "failed", "skipped"}


def test_fields_the_scripts_do_not_read_are_not_checked(tmp_path):
    """Google Benchmark's cv aggregate is NaN when a mean is 0, and fields
    other parts of ipcbench add later are not the plot scripts' business."""
    def edit(doc):
        gb_entry(doc, "pingpong/pipe/64", "cv")["rtt_p50_ns"] = math.nan
        gb_entry(doc, "pingpong/pipe/64", "stddev")["real_time"] = "n/a"
        rec = record(doc, "pingpong/pipe/64")
        rec["future_field"] = {"anything": [None, "x"]}
        rec["latency"]["batch"] = "n/a"
        doc["ipcbench"]["high_variability"] = [{"name": 1, "cv": None}]
        doc["ipcbench"]["environment"]["limits"]["tcp_wmem"] = None
    r = ir.load(edited(tmp_path, "repetitions.json", edit))
    before = ir.load(fixture("repetitions.json"))
    assert [(h["status"], h["p50_ns"]) for h in r.headlines] == [
        (h["status"], h["p50_ns"]) for h in before.headlines]
