"""Rate runs offered as a percentage of each transport's own stream capacity
(--rate=10%,50%,90%): rows keep the percentage as their setting, the
latency-under-load chart draws it on a linear percent axis, and compare.py
matches such runs by percentage (as their names do), whatever stream
figure each run measured."""

import copy

from conftest import fixture, write_json
from derive import load_doc
import chart_common as cc
import compare_chart
import comparison
import ipcbench_results as ir
import rate_latency

# rate.json's absolute rates -> the percentages they stand for here, with a
# stream figure per transport that makes them exact.
PERCENT = {1000: 10, 10000: 50, 50000: 90}
STREAM = {"pipe": 100000.0, "shm_ring": 200000.0}


def as_percent(doc, stream_scale=1.0):
    """rate.json as a percentage run: names "rate/pipe/64/10pct", records
    with offered_rate_percent and rate.relative, offered rates (and so
    achieved ones) the percentage of STREAM times stream_scale."""
    doc = copy.deepcopy(doc)
    renamed = {}
    for rec in doc["ipcbench"]["benchmarks"]:
        old = rec["name"]
        rate = int(rec["offered_rate_per_s"])
        pct = PERCENT[rate]
        stream = STREAM[rec["transport"]] * stream_scale
        offered = stream * pct / 100
        rec["name"] = old.rsplit("/", 1)[0] + f"/{pct}pct"
        renamed[old] = rec["name"]
        rec["offered_rate_percent"] = float(pct)
        rec["offered_rate_per_s"] = offered
        rec["rate"]["achieved_per_s"] *= offered / rec["rate"]["offered_per_s"]
        rec["rate"]["offered_per_s"] = offered
        rec["rate"]["relative"] = {
            "asked": "percent", "percent": float(pct),
            "stream_msgs_per_s": stream,
            "stream_source": "calibration: a stream run"}
    for b in doc["benchmarks"]:
        for key in ("name", "run_name"):
            for old, new in renamed.items():
                if b[key].startswith(old + "/") or b[key] == old:
                    b[key] = new + b[key][len(old):]
                    break
    return doc


def load_percent(tmp_path, name="pct.json", stream_scale=1.0):
    return ir.load(write_json(tmp_path / name,
                              as_percent(load_doc("rate.json"), stream_scale)))


def test_rows_keep_the_percentage_and_the_stream_figure(tmp_path):
    r = load_percent(tmp_path)
    heads = {h["name"]: h for h in r.select("rate")}
    h = heads["rate/pipe/64/50pct"]
    assert h["offered_percent"] == 50
    assert h["offered_per_s"] == 50000
    assert h["stream_msgs_per_s"] == 100000
    assert heads["rate/shm_ring:block/64/90pct"]["offered_per_s"] == 180000
    # absolute runs have none
    plain = ir.load(fixture("rate.json")).select("rate")
    assert all(h["offered_percent"] is None for h in plain)


def test_lines_are_told_apart_by_percentage(tmp_path):
    r = load_percent(tmp_path)
    variants = cc.variants_of(r, "rate")
    assert variants.varying == ("offered_percent",)
    lines = variants.by_line(r.select("rate"))
    assert [label for _, label in lines] == [
        f"{s}, {p}% of capacity" for s in ("pipe:block", "shm_ring:block")
        for p in (10, 50, 90)]


def test_chart_draws_latency_against_percent_of_capacity(tmp_path):
    r = load_percent(tmp_path)
    plt = cc.import_pyplot()
    fig, _ = rate_latency.make_figure(r, plt)
    axes = [ax for ax in fig.axes if ax.get_lines()]
    xs = {tuple(line.get_xdata()) for ax in axes for line in ax.get_lines()
          if not line.get_label().startswith(cc.REFERENCE_PREFIX)
          and len(line.get_xdata()) > 1}
    label = axes[-1].get_xlabel()
    scale = axes[0].get_xscale()
    plt.close(fig)
    assert xs == {(10.0, 50.0, 90.0)}
    assert "% of each transport's own stream capacity" in label
    assert scale == "linear"


def test_absolute_chart_keeps_its_log_rate_axis():
    plt = cc.import_pyplot()
    fig, _ = rate_latency.make_figure(ir.load(fixture("rate.json")), plt)
    axes = [ax for ax in fig.axes if ax.get_lines()]
    label, scale = axes[-1].get_xlabel(), axes[0].get_xscale()
    plt.close(fig)
    assert label.startswith("offered rate (messages/s")
    assert scale == "log"


def test_compare_matches_percentages_whatever_capacity_each_run_measured(
        tmp_path):
    a = load_percent(tmp_path, "a.json")
    b = load_percent(tmp_path, "b.json", stream_scale=2.0)
    rows, only_a, only_b = comparison.compare_rows(a, b)
    assert only_a == only_b == []
    names = {r["name"] for r in rows}
    assert names == {h["name"] for h in a.headlines}
    assert all(r["offered_percent"] in (10, 50, 90) for r in rows)
    plt = cc.import_pyplot()
    fig = compare_chart.make_figure(rows, a, b, plt)
    xs = {tuple(line.get_xdata()) for ax in fig.axes
          for line in ax.get_lines() if not line.get_label().startswith("_")}
    plt.close(fig)
    assert xs == {(10.0, 50.0, 90.0)}


def test_percentage_and_absolute_runs_do_not_match(tmp_path):
    a = load_percent(tmp_path)
    b = ir.load(fixture("rate.json"))
    rows, only_a, only_b = comparison.compare_rows(a, b)
    assert rows == []
    assert len(only_a) == len(only_b) == 6


def test_schema_takes_a_percentage_as_the_rate_setting(tmp_path):
    from test_schema import errors
    doc = as_percent(load_doc("rate.json"))
    rec = doc["ipcbench"]["benchmarks"][0]
    del rec["offered_rate_per_s"]  # as when the calibration failed
    assert errors(doc) == []
    del rec["offered_rate_percent"]
    assert any("'offered_rate_per_s' is a required property" in e
               for e in errors(doc))
    rec["offered_rate_percent"] = 150
    assert any("150" in e for e in errors(doc))


def test_a_rate_run_too_short_for_a_p99_is_drawn_without_it(tmp_path):
    """A short run (fewer than 100 samples) records no p99: the chart leaves
    that point out of the dashed line instead of failing."""
    doc = load_doc("rate.json")
    rec = doc["ipcbench"]["benchmarks"][0]
    for p in [k for k in rec["latency"]["percentiles_ns"]
              if float(k) >= 99]:
        del rec["latency"]["percentiles_ns"][p]
    results = ir.load(write_json(tmp_path / "short.json", doc))
    points = rate_latency.rate_points(results)
    tails = [p[rate_latency.HEADLINE.tail] for lines in points.values()
             for pts in lines.values() for p in pts]
    assert None in tails
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, _ = rate_latency.make_figure(results, plt)
    plt.close(fig)
