"""results/schema/results-1.schema.json, the one definition of the results
file: real runs of build/ipcbench through every scenario (with skipped and
failed benchmarks) and every fixture validate against it with Debian's
python3-jsonschema; records without the settings that tell them apart do
not; and every field the plot scripts check (results_check.py) is in it.

The real runs need the ipcbench binary: CTest passes it in $IPCBENCH (run
by hand: IPCBENCH=build/ipcbench /usr/bin/python3 -m pytest ...); without
it they are skipped."""

import glob
import json
import os
import subprocess
import sys

import jsonschema
import pytest

from conftest import FIXTURES, fixture
import ipcbench_results as ir
import results_check as rc

sys.path.insert(0, FIXTURES)

with open(ir.SCHEMA_PATH) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
IPCBENCH = os.environ.get("IPCBENCH")
SCENARIOS = ("pingpong", "stream", "oneway", "rate", "fanin", "fanout")


def errors(doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$defs"]["block"]["properties"]["schema_version"][
        "const"] == ir.SCHEMA_VERSION


def run_ipcbench(tmp_path, name, *args):
    out = tmp_path / f"{name}.json"
    done = subprocess.run(
        [IPCBENCH, "--benchmark_min_time=0.01", "--timeout=30", *args,
         f"--out={out}"], capture_output=True, text=True, timeout=600)
    assert out.exists(), done.stderr
    with open(out) as f:
        doc = json.load(f)
    return (done.returncode, [f["error"] for f in doc["ipcbench"][
        "failures"]]), doc


def statuses(doc):
    """{(scenario, status)} of a results document's records."""
    return {(r["scenario"], "skipped" if "skipped" in r else
             "failed" if "error" in r else "ok")
            for r in doc["ipcbench"]["benchmarks"]}


@pytest.mark.skipif(not IPCBENCH, reason="IPCBENCH (the ipcbench binary, "
                    "set by CTest) is not set")
def test_real_runs_of_every_scenario_validate(tmp_path):
    """Every scenario measured (with repetitions, so with aggregates; and
    the memcpy baseline), skipped (fan-in over pipes beyond PIPE_BUF, rate
    and fan-in with --pairs, fan-out over pipes) and failed (a peer that
    crashes). Fan-out measured over shm_ring (lossless) and zmq_ipc (may
    drop)."""
    every = "--scenarios=" + ",".join(SCENARIOS)
    runs = {
        "measured": run_ipcbench(
            tmp_path, "measured", "--transports=pipe,shm_ring,zmq_ipc",
            "--sizes=64,8K", every, "--rate=10K", "--producers=2",
            "--consumers=2", "--benchmark_repetitions=2",
            "--benchmark_filter=^(baseline/memcpy|[a-z]+/pipe)/64(/|$)"
            "|^fanin/pipe/8192/|^fanout/(shm_ring:block|zmq_ipc)/64/"),
        "pairs": run_ipcbench(
            tmp_path, "pairs", "--transports=pipe", "--sizes=64",
            "--scenarios=pingpong,stream,rate", "--pairs=2",
            "--baselines=none"),
        "failed": run_ipcbench(
            tmp_path, "failed", "--transports=pipe,shm_ring", "--sizes=64",
            every, "--rate=10K", "--producers=2", "--consumers=2",
            "--baselines=none", "--inject-peer-fault=crash@run:5",
            "--benchmark_filter=/pipe/|^fanout/shm_ring:block/"),
    }
    assert [status for (status, _), _ in runs.values()] == [0, 0, 1], [
        errors for (_, errors), _ in runs.values()]
    measured, pairs, failed = (doc for _, doc in runs.values())
    assert statuses(measured) == {(s, "ok") for s in SCENARIOS} | {
        ("memcpy", "ok"), ("fanin", "skipped"), ("fanout", "skipped")}
    assert statuses(pairs) == {("pingpong", "ok"), ("stream", "ok"),
                               ("rate", "skipped")}
    assert statuses(failed) == {(s, "failed") for s in SCENARIOS} | {
        ("fanout", "skipped")}
    assert any(b["run_type"] == "aggregate" for b in measured["benchmarks"])
    for name, (_, doc) in runs.items():
        assert errors(doc) == [], name
        ir.Results(name, doc)  # and the plot scripts read it
        # Merged with its side file, each record is whole and still valid.
        whole = ir.load(str(tmp_path / f"{name}.json"))
        assert whole.full_spectra, whole.spectra_note
        assert errors(whole.doc) == [], name
    whole = ir.load(str(tmp_path / "measured.json")).block["benchmarks"]
    ping = next(r for r in whole if r.get("scenario") == "pingpong")
    rate = next(r for r in whole if r.get("scenario") == "rate")
    plain = next(r for r in measured["ipcbench"]["benchmarks"]
                 if r.get("scenario") == "pingpong")
    assert "warmup" not in plain and "user_ns_per_msg" not in plain["cpu"][
        "driver"]
    assert ping["warmup"]["messages"] == ping["warmup_messages"]
    assert set(ping["cpu"]["driver"]) >= {
        "ns_per_msg", "user_ns_per_msg", "system_ns_per_msg", "wall_ns"}
    assert "source" in ping["cpu"] and "driver_topology" in ping["placement"]
    assert {"sender_lag", "latency_from_actual_send", "offered_per_s"} <= set(
        rate["rate"])
    # fan-out: both deliveries; its explanation is kept once, in methods,
    # and the reference to it is among the details
    fanout = [r for r in whole if "fanout" in r]
    assert {r["fanout"]["delivery"] for r in fanout} == {"lossless",
                                                          "may_drop"}
    assert {r["fanout"]["delivered"]["basis"] for r in fanout} == {
        "methods:fanout.delivered.basis"}
    assert "all consumers together" in measured["ipcbench"]["methods"][
        "fanout.delivered.basis"]
    plain = next(r for r in measured["ipcbench"]["benchmarks"]
                 if "fanout" in r)
    assert "basis" not in plain["fanout"]["delivered"]


@pytest.mark.parametrize("path", sorted(glob.glob(fixture("*.json"))),
                         ids=os.path.basename)
def test_every_fixture_validates(path):
    with open(path) as f:
        assert errors(json.load(f)) == []


def load_doc(name):
    with open(fixture(name)) as f:
        return json.load(f)


def first(doc, scenario, status):
    return next(r for r in doc["ipcbench"]["benchmarks"]
                if r["scenario"] == scenario and (
                    status == "skipped") == ("skipped" in r) and (
                    status == "failed") == ("error" in r))


@pytest.mark.parametrize("fixture_name, scenario, status, key", [
    ("pairs_a.json", "rate", "skipped", "offered_rate_per_s"),
    ("rate.json", "rate", "ok", "offered_rate_per_s"),
    ("with_failures.json", "fanin", "failed", "producers"),
    ("with_failures.json", "fanin", "skipped", "producers"),
    ("fanin.json", "fanin", "ok", "producers"),
    ("fanout.json", "fanout", "ok", "consumers"),
    ("fanout.json", "fanout", "ok", "fanout"),
    ("with_failures.json", "pingpong", "failed", "verify"),
    ("small.json", "stream", "ok", "pairs"),
    ("small.json", "pingpong", "ok", "placement"),
    ("small.json", "pingpong", "ok", "message_bytes"),
])
def test_every_record_needs_the_settings_that_tell_it_apart(
        fixture_name, scenario, status, key):
    doc = load_doc(fixture_name)
    del first(doc, scenario, status)[key]
    assert any(f"'{key}' is a required property" in e for e in errors(doc))


@pytest.mark.parametrize("edit, words", [
    (lambda d: d["ipcbench"].update(schema_version=2), "1 was expected"),
    (lambda d: first(d, "pingpong", "ok").pop("latency"),
     "'latency' is a required property"),
    (lambda d: first(d, "stream", "ok")["throughput"].update(
        msgs_per_s="fast"), "'fast' is not of type 'number'"),
    (lambda d: first(d, "pingpong", "ok").update(skipped="why"),
     "should not be valid"),
    (lambda d: first(d, "pingpong", "ok")["latency"]["percentiles_ns"]
     .update({"p50": 1}), "'p50' does not match"),
])
def test_the_schema_refuses_what_ipcbench_never_writes(edit, words):
    doc = load_doc("small.json")
    edit(doc)
    assert any(words in e for e in errors(doc)), errors(doc)


def test_an_abandoned_record_is_a_name_and_an_error():
    """The driver's watchdog records the benchmark it abandoned with only
    its name and the error (bench/reporter.cpp, save_abandoned)."""
    doc = load_doc("small.json")
    doc["ipcbench"]["benchmarks"].append(
        {"name": "pingpong/pipe/64", "error": "the driver stayed stuck"})
    assert errors(doc) == []
    doc["ipcbench"]["benchmarks"][-1]["iterations"] = 1
    assert errors(doc) != []


# ---- results_check.py checks a subset of the schema ------------------------

def _schema_at(node, key):
    """The subschema of property `key` of object schema `node` (following
    $ref and allOf), or None."""
    node = _resolve(node)
    if key in node.get("properties", {}):
        return _resolve(node["properties"][key])
    for sub in node.get("allOf", []):
        found = _schema_at(sub, key)
        if found is not None:
            return found
    extra = node.get("additionalProperties")
    return _resolve(extra) if isinstance(extra, dict) else None


def _resolve(node):
    while "$ref" in node and set(node) <= {"$ref", "description"}:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if "$ref" in node:  # a $ref beside other keywords: both apply
        ref = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
        node = dict(ref, **{k: v for k, v in node.items() if k != "$ref"})
    return node


def _types(node):
    """The JSON types a subschema allows."""
    node = _resolve(node)
    if "oneOf" in node:
        return set().union(*(_types(n) for n in node["oneOf"]))
    if "enum" in node or "const" in node:
        values = node.get("enum", [node.get("const")])
        return {"string" if isinstance(v, str) else "integer"
                for v in values}
    kind = node.get("type", "object")
    return set(kind) if isinstance(kind, list) else {kind}


KIND_TYPES = {rc.NUMBER: {"number", "integer"}, rc.FIGURE: {"number",
              "integer"}, rc.WHOLE: {"integer"}, rc.COUNT: {"integer"},
              rc.SETTING: {"number", "integer"}, rc.STRING: {"string"},
              rc.BOOL: {"boolean"}}


def _check_against(spec, node, where):
    """Every field of a results_check spec is in the schema node, of a type
    the spec accepts."""
    if isinstance(spec, tuple):
        assert _types(node) <= set().union(*(
            {"array"} if isinstance(s, list) else {"object"}
            if isinstance(s, dict) else KIND_TYPES[s] for s in spec)), where
        for s in spec:
            if isinstance(s, list):
                array = next(n for n in _resolve(node)["oneOf"]
                             if n.get("type") == "array")
                _check_against(s[0], array["items"], where + "[]")
        return
    if isinstance(spec, list):
        assert _types(node) == {"array"}, where
        _check_against(spec[0], _resolve(node)["items"], where + "[]")
    elif isinstance(spec, dict):
        assert "object" in _types(node), where
        for key, sub in spec.items():
            if key == rc.PERCENTILE:
                key = "50"
            found = _schema_at(node, key)
            assert found is not None, f"{where}.{key} is not in the schema"
            _check_against(sub, found, f"{where}.{key}")
    else:
        assert _types(node) <= KIND_TYPES[spec], (where, _types(node))


@pytest.mark.parametrize("spec, node, where", [
    (rc.RECORD, SCHEMA["$defs"]["record"], "record"),
    (rc.BLOCK, SCHEMA["$defs"]["block"], "ipcbench"),
    (rc.CONTEXT, SCHEMA["$defs"]["gb_context"], "context"),
    (rc.gbench_entry(ir.GB_COUNTERS), SCHEMA["$defs"]["gb_entry"],
     "Google Benchmark entry"),
])
def test_what_the_plot_scripts_check_is_in_the_schema(spec, node, where):
    _check_against(spec, node, where)


def test_the_fixtures_are_real_runs_of_the_current_format():
    """No fixture is edited by hand: each says how it was run."""
    for path in glob.glob(fixture("*.json")):
        with open(path) as f:
            line = json.load(f)["ipcbench"]["command_line"]
        assert line[0] == "build/ipcbench", path
        assert line[-1] == "--out=results.json", path
