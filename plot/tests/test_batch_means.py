"""Batch means (a ping-pong timed with the clock timer in batches,
latency.kind "batch_mean"): their p50 is shown, labelled; their tails
(p90 .. p99.9, min, max) are left out of every tail chart and comparison,
since a batch's mean compresses them by up to the batch size."""

import copy

from conftest import write_json
from derive import load_doc
import chart_common as cc
import comparison
import latency_cdf
import latency_vs_size
import ranked_bar
from ipcbench_results import BATCH_MEANS, load

MEANS = ("pingpong/tcp/64", "pingpong/tcp/4096")


def with_batch_means(doc, names=MEANS, batch=8):
    """doc with the named ping-pongs recorded as ipcbench records batch
    means: kind batch_mean, the batch, counters rtt_batch_mean_*."""
    doc = copy.deepcopy(doc)
    for r in doc["ipcbench"]["benchmarks"]:
        if r["name"] in names:
            r["latency"].update(kind="batch_mean", batch=batch,
                                timer="clock_monotonic")
    for b in doc["benchmarks"]:
        if b.get("run_name") in names:
            for k in [k for k in b if k.startswith("rtt_")]:
                b["rtt_batch_mean_" + k[4:]] = b.pop(k)
    return doc


def means_run(tmp_path, name="means.json"):
    return load(write_json(tmp_path / name, with_batch_means(
        load_doc("small.json"))))


def heads_by_name(results):
    return {h["name"]: h for h in results.headlines}


def test_batch_means_keep_p50_and_lose_their_tails(tmp_path):
    heads = heads_by_name(means_run(tmp_path))
    tcp, pipe = heads["pingpong/tcp/64"], heads["pingpong/pipe/64"]
    assert tcp["batch_means"] and not pipe["batch_means"]
    assert tcp["p50_ns"] is not None
    assert (tcp["p90_ns"], tcp["p99_ns"], tcp["p999_ns"]) == (None,) * 3
    assert pipe["p99_ns"] is not None
    run = tcp["runs"][0]
    assert max(run["percentiles_ns"]) == 50.0
    assert run["max_ns"] is None and run["latency_batch"] == 8


def test_latency_cdf_leaves_batch_means_out(tmp_path):
    lines = latency_cdf.cdf_lines(means_run(tmp_path), size=64)
    names = [h["name"] for _, h in lines]
    assert names == ["pingpong/pipe/64"]


def test_ranked_bar_marks_no_tail_of_batch_means(tmp_path):
    results = means_run(tmp_path)
    heads = heads_by_name(results)
    kind = ranked_bar.HEADLINES["pingpong"]
    assert BATCH_MEANS in ranked_bar.bar_text(kind, heads["pingpong/tcp/64"])
    assert "p99" not in ranked_bar.bar_text(
        kind, heads["pingpong/tcp/64"]).replace(BATCH_MEANS, "")
    plt = cc.import_pyplot()
    fig, _ = ranked_bar.make_figure(results, plt, scenario="pingpong",
                                    size=64)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(BATCH_MEANS in t for t in texts)
    plt.close(fig)


def test_latency_vs_size_draws_no_band_for_batch_means(tmp_path):
    results = means_run(tmp_path)
    plt = cc.import_pyplot()
    fig, _ = latency_vs_size.make_figure(results, plt)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(l.startswith("tcp") and "batch means" in l for l in labels)
    assert any(l.startswith("pipe") and "batch means" not in l
               for l in labels)
    plt.close(fig)


def test_comparison_leaves_tails_of_batch_means_out(tmp_path):
    a = load_doc("small.json")
    b = with_batch_means(a, names=("pingpong/tcp/64",))
    rows, _, _ = comparison.compare_rows(
        load(write_json(tmp_path / "a.json", a)),
        load(write_json(tmp_path / "b.json", b)))
    by = {(r["name"], r["metric"]): r for r in rows}
    tail = by[("pingpong/tcp/64", "p99")]
    assert tail["ratio"] is None and tail["a"] is None and tail["b"] is None
    assert tail["significance"] == comparison.BATCH_TAILS
    assert by[("pingpong/tcp/64", "p50")]["ratio"] is not None
    assert by[("pingpong/pipe/64", "p99")]["ratio"] is not None


def test_report_table_shows_p50_of_batch_means_labelled(tmp_path):
    import report_html
    results = means_run(tmp_path)
    page = report_html.table(results)
    row = next(r for r in page.split("<tr") if "pingpong/tcp/64" in r)
    assert BATCH_MEANS in row


def test_report_names_the_round_trip_timer(tmp_path):
    import report_html
    doc = load_doc("small.json")
    doc["ipcbench"]["environment"]["timer"] = {
        "source": "clock_monotonic", "read_cost_ns": 20.0,
        "reason": "--timer=clock"}
    env = report_html.environment(load(write_json(tmp_path / "t.json", doc)))
    assert "Round-trip timer" in env
    assert "clock_monotonic" in env and "--timer=clock" in env
    assert "batch means" in env
    doc["ipcbench"]["environment"]["timer"] = {
        "source": "tsc", "tsc_hz": 2.096e9, "read_cost_ns": 20.0,
        "calibration": {"spread": 1e-7}}
    env = report_html.environment(load(write_json(tmp_path / "u.json", doc)))
    assert "tsc, 2.096000 GHz" in env
