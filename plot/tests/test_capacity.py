"""--capacity: benchmarks measured under `default` and `equal` buffering
are told apart in headlines, chart labels and comparisons, never matched
with one another; a file older than --capacity reads as `default`.

The runs are compare_a.json with its stream/pipe/64 benchmark measured
twice, once per capacity mode, the equal one's throughput scaled."""

import copy

from conftest import write_json
from derive import load_doc
import chart_common as cc
import comparison
from ipcbench_results import capacity_label, load

NAME = "stream/pipe/64"


def _as(entry, name, old):
    entry = copy.deepcopy(entry)
    for k in ("name", "run_name"):
        if k in entry:
            entry[k] = entry[k].replace(old, name)
    return entry


def swept_doc(equal_factor=1.0):
    """compare_a.json with NAME under default and under equal capacity,
    equal's throughput times equal_factor."""
    doc = load_doc("compare_a.json")
    gb, recs = [], []
    for b in doc["benchmarks"]:
        if b.get("run_name", b["name"]).startswith(NAME):
            gb.append(_as(b, NAME + "/capacity_default", NAME))
            e = _as(b, NAME + "/capacity_equal", NAME)
            for k in ("bytes_per_second", "msgs_per_s"):
                if k in e:
                    e[k] *= equal_factor
            gb.append(e)
        else:
            gb.append(b)
    for r in doc["ipcbench"]["benchmarks"]:
        if r["name"] != NAME:
            recs.append(r)
            continue
        d = _as(r, NAME + "/capacity_default", NAME)
        d["capacity"] = {"mode": "default", "asked_bytes": None,
                         "applied_bytes": 65536}
        e = _as(r, NAME + "/capacity_equal", NAME)
        e["capacity"] = {"mode": "equal", "asked_bytes": 1 << 20,
                         "applied_bytes": 1 << 20}
        for k in ("bytes_per_second", "msgs_per_s"):
            e["throughput"][k] *= equal_factor
        recs += [d, e]
    doc["benchmarks"], doc["ipcbench"]["benchmarks"] = gb, recs
    return doc


def test_labels_of_capacity_modes():
    assert capacity_label(None) == "default"
    assert capacity_label({"mode": "default", "asked_bytes": None}) == \
        "default"
    assert capacity_label({"mode": "equal", "asked_bytes": 1 << 20}) == \
        "equal"
    assert capacity_label({"mode": "equal", "asked_bytes": 4 << 20}) == \
        "equal 4 MiB"


def test_headlines_and_chart_labels_tell_the_modes_apart(tmp_path):
    res = load(write_json(tmp_path / "a.json", swept_doc()))
    heads = [h for h in res.headlines if h["scenario"] == "stream"]
    assert sorted(h["capacity"] for h in heads) == ["default", "equal"]
    variants = cc.Variants(heads)
    assert variants.varying == ("capacity",)
    assert sorted(variants.label(h) for h in heads) == [
        "pipe:block, default capacity", "pipe:block, equal capacity"]
    assert "capacity" in variants.title()


def test_compare_matches_capacity_mode_with_capacity_mode(tmp_path):
    a = load(write_json(tmp_path / "a.json", swept_doc()))
    b = load(write_json(tmp_path / "b.json", swept_doc(equal_factor=2.0)))
    rows, only_a, only_b = comparison.compare_rows(a, b)
    thr = {r["capacity"]: r for r in rows
           if r["scenario"] == "stream" and r["metric"] == "MB/s"}
    assert thr["default"]["ratio"] == 1.0
    assert thr["equal"]["ratio"] == 2.0
    assert thr["default"]["line"] != thr["equal"]["line"]
    assert only_a == only_b == []


def test_a_file_older_than_capacity_matches_default(tmp_path):
    old = load_doc("compare_a.json")
    new = copy.deepcopy(old)
    for r in new["ipcbench"]["benchmarks"]:
        r["capacity"] = {"mode": "default", "asked_bytes": None,
                         "applied_bytes": 65536}
    rows, only_a, only_b = comparison.compare_rows(
        load(write_json(tmp_path / "old.json", old)),
        load(write_json(tmp_path / "new.json", new)))
    assert rows and only_a == only_b == []
    equal = copy.deepcopy(new)
    for r in equal["ipcbench"]["benchmarks"]:
        r["capacity"] = {"mode": "equal", "asked_bytes": 1 << 20,
                         "applied_bytes": 1 << 20}
    rows, only_a, only_b = comparison.compare_rows(
        load(write_json(tmp_path / "old2.json", old)),
        load(write_json(tmp_path / "equal.json", equal)))
    assert rows == [] and len(only_a) == len(only_b) > 0
