"""NaN, infinite or negative measured figures (latencies, throughputs,
achieved rates, fairness), as Google Benchmark writes them: the benchmark is
marked invalid, left out of every chart, named in a warning by each chart
script, listed in the report and in compare.py's output as "invalid figure:
<field> = <value>"; everything else is drawn as before."""

import html
import json
import math
import os
from collections import Counter

import pytest

from conftest import fixture, run_script
from test_wrong_values import edited, gb_entry, record, setter
import comparison
from headlines import HEADLINES
import fanin_throughput
import ipcbench_results as ir
import latency_cdf
import latency_vs_size
import placement_compare
import ranked_bar
import rate_latency
import report
import throughput_vs_size


def percentile(name, p, value, index=0):
    return setter(lambda d: record(d, name, index)["latency"][
        "percentiles_ns"], p, value)


# id -> (fixture, edit, flagged benchmark, reason, chart scripts that would
# draw it, with their extra arguments)
FLAGGED = {
    "latency nan": (
        "small.json", percentile("pingpong/pipe/64", "50", math.nan),
        "pingpong/pipe/64",
        'invalid figure: latency.percentiles_ns["50"] = nan',
        [("latency_vs_size.py", []), ("latency_cdf.py", []),
         ("ranked_bar.py", [])]),
    "latency negative": (
        "small.json", percentile("pingpong/tcp/4096", "99", -5),
        "pingpong/tcp/4096",
        'invalid figure: latency.percentiles_ns["99"] = -5',
        [("latency_cdf.py", ["--size", "4096"])]),
    "throughput infinite": (
        "small.json", setter(lambda d: record(d, "stream/pipe/4096")[
            "throughput"], "bytes_per_second", math.inf),
        "stream/pipe/4096",
        "invalid figure: throughput.bytes_per_second = inf",
        [("throughput_vs_size.py", []),
         ("ranked_bar.py", ["--scenario", "stream", "--size", "4096"])]),
    "median aggregate nan": (
        "repetitions.json", setter(lambda d: gb_entry(
            d, "pingpong/pipe/4096", "median"), "rtt_p50_ns", math.nan),
        "pingpong/pipe/4096",
        "invalid figure: Google Benchmark median rtt_p50_ns = nan",
        [("latency_vs_size.py", [])]),
    "one repetition infinite": (
        "repetitions.json", percentile("pingpong/unix_stream/64", "99.9",
                                       math.inf, index=1),
        "pingpong/unix_stream/64",
        'invalid figure: latency.percentiles_ns["99.9"] = inf',
        [("latency_cdf.py", [])]),
    "achieved rate negative": (
        "rate.json", setter(lambda d: record(d, "rate/pipe/64/10000_per_s")[
            "rate"], "achieved_per_s", -1.0),
        "rate/pipe/64/10000_per_s",
        "invalid figure: rate.achieved_per_s = -1.0",
        [("rate_latency.py", [])]),
    "fairness nan": (
        "fanin.json", setter(lambda d: record(
            d, "fanin/unix_dgram/4096/2_producers")["fanin"]["fairness"],
            "jain_index", math.nan),
        "fanin/unix_dgram/4096/2_producers",
        "invalid figure: fanin.fairness.jain_index = nan",
        [("fanin_throughput.py", [])]),
    "pairs aggregate infinite": (
        "pairs_a.json", setter(lambda d: record(d, "stream/pipe/64/2_pairs")[
            "aggregate"], "bytes_per_second", -math.inf),
        "stream/pipe/64/2_pairs",
        "invalid figure: aggregate.bytes_per_second = -inf",
        [("throughput_vs_size.py", [])]),
    "sweep latency infinite": (
        "placement.json", percentile("pingpong/shm_ring:block/64/cross",
                                     "99", math.inf),
        "pingpong/shm_ring:block/64/cross",
        'invalid figure: latency.percentiles_ns["99"] = inf',
        [("placement_compare.py", [])]),
}


def case(name):
    return FLAGGED[name]


def heads_by_name(results):
    return {h["name"]: h for h in results.headlines}


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_loader_marks_the_benchmark_invalid(tmp_path, name):
    fix, edit, bench, reason, _ = case(name)
    results = ir.load(edited(tmp_path, fix, edit))
    heads, before = heads_by_name(results), heads_by_name(ir.load(
        fixture(fix)))
    assert (heads[bench]["status"], heads[bench]["reason"]) == (
        "invalid", reason)
    assert bench not in [h["name"] for h in results.select()]
    for other, h in heads.items():
        if other != bench:
            assert {k: v for k, v in h.items() if k != "runs"} == {
                k: v for k, v in before[other].items() if k != "runs"}


def drawn(results):
    """Counter of (chart, scenario, series, size, setting) of every point or
    bar the charts take from results."""
    out = Counter()
    sizes = sorted({r["message_bytes"] for r in results.rows})
    for (s, _), pts in latency_vs_size.latency_lines(results).items():
        out.update(("latency_vs_size", "pingpong", s, p[0], None)
                   for p in pts)
    for (s, _), pts in throughput_vs_size.throughput_lines(results).items():
        out.update(("throughput_vs_size", "stream", s, p[0], None)
                   for p in pts)
    for size in sizes:
        out.update(("latency_cdf", "pingpong", h["series"], size, None)
                   for _, h in latency_cdf.cdf_lines(results, size=size))
        for scenario in HEADLINES:
            out.update(("ranked_bar", scenario, h["series"], size, None)
                       for _, h in ranked_bar.ranked_bars(
                           results, scenario=scenario, size=size))
    for size, lines in rate_latency.rate_points(results).items():
        for (s, _), pts in lines.items():
            out.update(("rate_latency", "rate", s, size, p["offered_per_s"])
                       for p in pts)
    for size, lines in fanin_throughput.fanin_points(results).items():
        for (s, _), pts in lines.items():
            out.update(("fanin_throughput", "fanin", s, size, p["producers"])
                       for p in pts)
    for scenario, by_size in placement_compare.placement_values(
            results).items():
        for size, groups in by_size.items():
            for label, by_place in groups.items():
                out.update(("placement_compare", scenario,
                            label.split("\n")[0], size, place)
                           for place in by_place)
    return out


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_charts_leave_the_benchmark_out(tmp_path, name):
    fix, edit, bench, _, _ = case(name)
    results = ir.load(edited(tmp_path, fix, edit))
    before, after = drawn(ir.load(fixture(fix))), drawn(results)
    removed = before - after
    assert after - before == Counter()
    h = heads_by_name(results)[bench]
    assert removed and all(k[1:4] == (h["scenario"], h["series"],
                                      h["message_bytes"]) for k in removed)


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_chart_scripts_draw_the_rest_and_say_what_they_left_out(tmp_path,
                                                                name):
    fix, edit, bench, reason, charts = case(name)
    path = edited(tmp_path, fix, edit)
    for script, extra in charts:
        out = tmp_path / script
        done = run_script(script, path, "--out-dir", out, *extra)
        assert done.returncode == 0, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("plot: warning: ")
        assert f"{bench} is left out" in lines[0] and reason in lines[0]
        written = sorted(os.listdir(out))
        assert len(written) == 2 and [n[-4:] for n in written] == [
            ".png", ".svg"]


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_report_lists_the_benchmark_as_invalid(tmp_path, capsys, name):
    fix, edit, bench, reason, _ = case(name)
    out = tmp_path / "out"
    assert report.main([edited(tmp_path, fix, edit), "--out-dir",
                        str(out)]) == 0
    assert capsys.readouterr().err == ""
    page = (out / "report.html").read_text(encoding="utf-8")
    box = page[page.index("Invalid figures (1)"):]
    box = box[:box.index("</div>")]
    assert f"<code>{bench}</code>: {html.escape(reason)}" in box
    table = page[page.index("<tbody>"):]
    row = next(r for r in table.split("<tr ") if f">{bench}<" in r)
    assert row.startswith('class="invalid"') and html.escape(reason) in row
    assert "with an invalid figure" in page


def test_report_of_valid_files_has_no_invalid_box(tmp_path, capsys):
    out = tmp_path / "out"
    assert report.main([fixture("small.json"), "--out-dir", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Invalid figures" not in page and 'class="invalid"' not in page
    assert "invalid figure" not in page


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_compare_lists_the_benchmark_as_invalid(tmp_path, name):
    fix, edit, bench, reason, _ = case(name)
    path = edited(tmp_path, fix, edit)
    out = tmp_path / "out"
    done = run_script("compare.py", path, fixture(fix), "--out-dir", out)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [line for line in done.stdout.splitlines()
            if line.startswith(bench + " ")]
    assert rows and all(f"A invalid: {reason}" in r for r in rows)
    assert sorted(os.listdir(out)) == ["compare.png", "compare.svg"]
    swapped = run_script("compare.py", fixture(fix), path)
    assert any(line.startswith(bench + " ") and f"B invalid: {reason}" in line
               for line in swapped.stdout.splitlines())


def test_compare_rows_of_an_invalid_benchmark_have_no_ratio(tmp_path):
    fix, edit, bench, reason, _ = case("latency nan")
    rows, _, _ = comparison.compare_rows(ir.load(edited(tmp_path, fix, edit)),
                                      ir.load(fixture(fix)))
    mine = [r for r in rows if r["name"] == bench]
    assert [r["metric"] for r in mine] == ["p50", "p99"]
    assert all(r["ratio"] is None and r["a"] is None for r in mine)
    assert all(r["significance"] == f"A invalid: {reason}" for r in mine)


def test_nan_reaches_the_loader_as_a_float(tmp_path):
    """The fixtures' edits write the literals Google Benchmark writes."""
    path = edited(tmp_path, *FLAGGED["latency nan"][:2])
    with open(path) as f:
        assert '"50": NaN' in f.read()
    with open(path) as f:
        assert math.isnan(json.load(f)["ipcbench"]["benchmarks"][0][
            "latency"]["percentiles_ns"]["50"])
