"""Every chart script writes a non-empty PNG and SVG, and says where; in a
placement sweep, every benchmark is a line or bar of its own, named with its
placement, while runs of one placement keep their plain labels and styles."""

import copy
import importlib
import json
import os

import pytest

from conftest import fixture, run_script, write_json
import chart_common as cc
import ipcbench_results as ir
import latency_cdf
import latency_vs_size
import ranked_bar
import throughput_vs_size

CHARTS = [
    ("latency_vs_size", [], "latency_vs_size"),
    ("latency_vs_size", ["--p99", "whiskers"], "latency_vs_size"),
    ("throughput_vs_size", [], "throughput_vs_size"),
    ("latency_cdf", [], "latency_cdf_64"),
    ("latency_cdf", ["--size", "4096"], "latency_cdf_4096"),
    ("ranked_bar", [], "ranked_bar_pingpong_64"),
    ("ranked_bar", ["--scenario", "stream", "--size", "4096"],
     "ranked_bar_stream_4096"),
]


def check_chart(directory, stem):
    png = os.path.join(directory, stem + ".png")
    svg = os.path.join(directory, stem + ".svg")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(png) > 10_000
    with open(svg, encoding="utf-8") as f:
        text = f.read()
    assert "<svg" in text and "</svg>" in text
    assert not [n for n in os.listdir(directory) if n.startswith(".tmp-")]
    return text


@pytest.mark.parametrize("module, extra, stem", CHARTS)
@pytest.mark.parametrize("results", ["small.json", "repetitions.json"])
def test_chart_writes_png_and_svg(tmp_path, capsys, module, extra, stem,
                                  results):
    main = importlib.import_module(module).main
    assert main([fixture(results), "--out-dir", str(tmp_path), *extra]) == 0
    svg = check_chart(tmp_path, stem)
    assert "pipe:block" in svg  # the legend names the transport and wait
    assert "AMD EPYC" in svg  # the caption names the machine
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / f"{stem}.png"),
                       str(tmp_path / f"{stem}.svg")]


@pytest.mark.parametrize("scenario", ["pingpong", "stream"])
@pytest.mark.parametrize("results, words", [
    ("small.json", ["pipe:block", "tcp:block", "byte pipes"]),
    ("placement.json", ["pipe:block, same", "shm_ring:block, cross",
                        "shared memory", "placements same, cross"])])
def test_heatmap_writes_png_and_svg(tmp_path, capsys, scenario, results,
                                    words):
    import heatmap
    assert heatmap.main([fixture(results), "--out-dir", str(tmp_path),
                         "--scenario", scenario]) == 0
    svg = check_chart(tmp_path, f"heatmap_{scenario}")
    for w in words + ["AMD EPYC", "relative to the best"]:
        assert w in svg
    assert capsys.readouterr().out.split() == [
        str(tmp_path / f"heatmap_{scenario}.png"),
        str(tmp_path / f"heatmap_{scenario}.svg")]


def test_transport_filter_and_name(tmp_path):
    from latency_vs_size import main
    main([fixture("small.json"), "--out-dir", str(tmp_path),
          "--transports", "tcp", "--name", "only_tcp"])
    svg = check_chart(tmp_path, "only_tcp")
    assert "tcp:block" in svg and "pipe:block" not in svg


def test_default_out_dir_is_beside_the_results(tmp_path):
    results = tmp_path / "results.json"
    results.write_bytes(open(fixture("small.json"), "rb").read())
    from throughput_vs_size import main
    assert main([str(results)]) == 0
    check_chart(tmp_path, "throughput_vs_size")


@pytest.mark.parametrize("script", ["latency_vs_size.py",
                                    "throughput_vs_size.py", "latency_cdf.py",
                                    "ranked_bar.py", "heatmap.py"])
def test_script_runs_standalone(tmp_path, script):
    assert "usage:" in run_script(script, "--help").stdout
    done = run_script(script, fixture("small.json"), "--out-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# ---- placement sweeps: a line (or bar) per transport:wait and placement ----

PLACEMENT = fixture("placement.json")
SWEEP_LABELS = ["pipe:block, same", "pipe:block, cross",
                "shm_ring:block, same", "shm_ring:block, cross"]


def sweep_records():
    """placement.json's records by (scenario, series, size, preset)."""
    with open(PLACEMENT) as f:
        doc = json.load(f)
    return {(r["scenario"], ir.series_label(r["transport"], r["wait"]),
             r["message_bytes"], r["placement"]["preset"]): r
            for r in doc["ipcbench"]["benchmarks"]}


def labelled_lines(ax):
    """{legend label: Line2D} of the lines drawn with a label."""
    return {line.get_label(): line for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_latency_vs_size_draws_a_line_per_placement():
    lines = latency_vs_size.latency_lines(ir.load(PLACEMENT))
    assert [label for _, label in lines] == SWEEP_LABELS
    recs = sweep_records()
    for (series, label), points in lines.items():
        pct = recs[("pingpong", series, 64, label.split(", ")[1])][
            "latency"]["percentiles_ns"]
        assert points == [(64, pct["50"], pct["99"])]


@pytest.mark.parametrize("module", ["latency_vs_size", "throughput_vs_size"])
def test_line_charts_of_a_sweep_never_join_placements(module):
    """The defect: both placements on one line, a vertical zigzag per size."""
    r = ir.load(PLACEMENT)
    plt = cc.import_pyplot()
    fig, _ = importlib.import_module(module).make_figure(r, plt)
    fig.canvas.draw()
    lines, texts = {}, []
    for ax in fig.axes:  # a row of panels per family (pipe; shm_ring)
        lines.update({label: line for label, line in labelled_lines(
            ax).items() if not label.startswith(cc.REFERENCE_PREFIX)})
        legend = ax.get_legend()
        if legend:
            # each row's legend, right of its panels (off the data), lists
            # every line of the row (and the other families' best)
            assert legend.get_window_extent().x0 > ax.get_window_extent().x1
            texts += [t.get_text() for t in legend.get_texts()
                      if not t.get_text().startswith(cc.REFERENCE_PREFIX)]
    plt.close(fig)
    assert texts == SWEEP_LABELS
    assert sorted(lines) == sorted(SWEEP_LABELS)
    for line in lines.values():
        x = list(line.get_xdata())
        assert len(set(x)) == len(x)  # one point per size
    for series in ("pipe:block", "shm_ring:block"):
        same, cross = lines[f"{series}, same"], lines[f"{series}, cross"]
        # a line style per placement (run order), one colour per series
        assert (same.get_linestyle(), cross.get_linestyle()) == ("-", "--")
        assert same.get_color() == cross.get_color()


def test_throughput_vs_size_plots_each_placements_figures():
    r = ir.load(PLACEMENT)
    recs = sweep_records()
    lines = throughput_vs_size.throughput_lines(r)
    assert [label for _, label in lines] == SWEEP_LABELS
    for (series, label), points in lines.items():
        place = label.split(", ")[1]
        assert points == [
            (size, recs[("stream", series, size, place)]["throughput"][
                "bytes_per_second"],
             recs[("stream", series, size, place)]["throughput"][
                 "msgs_per_s"]) for size in (64, 4096)]
    plt = cc.import_pyplot()
    fig, _ = throughput_vs_size.make_figure(r, plt)
    drawn = labelled_lines(fig.axes[1])  # messages/s
    plt.close(fig)
    assert list(drawn["pipe:block, cross"].get_ydata()) == [
        recs[("stream", "pipe:block", size, "cross")]["throughput"][
            "msgs_per_s"] for size in (64, 4096)]


def test_ranked_bar_has_a_bar_per_placement_named_by_it():
    r = ir.load(PLACEMENT)
    recs = sweep_records()
    bars = ranked_bar.ranked_bars(r, scenario="pingpong", size=64)
    # best first: lowest p50 of the file's records
    expected = []
    for (scenario, series, _, place), rec in recs.items():
        if scenario == "pingpong":
            pct = rec["latency"]["percentiles_ns"]
            expected.append((f"{series}, {place}", pct["50"], pct["99"]))
    assert [(label, h["p50_ns"], h["p99_ns"]) for label, h in bars] == sorted(
        expected, key=lambda bar: bar[1])
    stream = ranked_bar.ranked_bars(r, scenario="stream", size=4096)
    # best first: highest throughput
    assert [label for label, _ in stream] == [
        f"{series}, {place}" for (_, series, _, place), _ in sorted(
            ((k, r) for k, r in recs.items()
             if k[0] == "stream" and k[2] == 4096),
            key=lambda kr: -kr[1]["throughput"]["bytes_per_second"])]
    for label, h in stream:
        series, place = label.split(", ")
        assert h["bytes_per_second"] == recs[("stream", series, 4096, place)][
            "throughput"]["bytes_per_second"]
    plt = cc.import_pyplot()
    fig, _ = ranked_bar.make_figure(r, plt, scenario="pingpong", size=64)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    hatches = [p.get_hatch() for p in ax.patches]
    plt.close(fig)
    assert ticks == [label for label, _ in bars]
    # hatched per placement: plain same, /// cross
    assert [h or "" for h in hatches] == [
        "" if label.endswith(", same") else "///" for label, _ in bars]


def test_latency_cdf_names_the_placement_of_each_line():
    r = ir.load(PLACEMENT)
    recs = sweep_records()
    lines = latency_cdf.cdf_lines(r, size=64)
    # fastest p50 first
    assert [label for label, _ in lines] == [
        f"{series}, {place}" for (_, series, _, place), _ in sorted(
            ((k, r) for k, r in recs.items() if k[0] == "pingpong"),
            key=lambda kr: kr[1]["latency"]["percentiles_ns"]["50"])]
    for label, h in lines:
        series, place = label.split(", ")
        rec = recs[("pingpong", series, 64, place)]
        assert h["name"] == rec["name"]
        assert h["runs"][0]["latency_count"] == rec["latency"]["count"]
    plt = cc.import_pyplot()
    fig, _ = latency_cdf.make_figure(r, plt, size=64)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert legend == [
        f"{label} (n={h['runs'][0]['latency_count']})" for label, h in lines]


@pytest.mark.parametrize("module, extra, stem", [
    c for c in CHARTS if c[2] != "latency_cdf_4096"])  # ping-pong at 64 B only
def test_sweep_charts_name_each_placement(tmp_path, capsys, module, extra,
                                          stem):
    main = importlib.import_module(module).main
    assert main([PLACEMENT, "--out-dir", str(tmp_path), *extra]) == 0
    svg = check_chart(tmp_path, stem)
    for words in ("pipe:block, same", "pipe:block, cross",
                  "shm_ring:block, same", "shm_ring:block, cross",
                  "same (driver CPU 0, peer CPU 0)",
                  "cross (driver CPU 0, peer CPU 1)",
                  "placements same, cross"):
        assert words in svg


def test_custom_placement_gets_its_cpus_and_a_third_style(tmp_path):
    with open(PLACEMENT) as f:
        doc = json.load(f)
    pinned = copy.deepcopy(next(r for r in doc["ipcbench"]["benchmarks"]
                                if r["name"] == "pingpong/pipe/64/cross"))
    pinned.update(name="pingpong/pipe/64/1:0", placement={
        "preset": "custom", "driver_cpu": 1, "peer_cpu": 0})
    pinned["latency"]["percentiles_ns"].update({"50": 30000, "99": 90000})
    doc["ipcbench"]["benchmarks"].append(pinned)
    r = ir.load(write_json(tmp_path / "r.json", doc))
    lines = latency_vs_size.latency_lines(r)
    assert [label for _, label in lines] == [
        "pipe:block, same", "pipe:block, cross", "pipe:block, cpus 1,0",
        "shm_ring:block, same", "shm_ring:block, cross"]
    assert lines[("pipe:block", "pipe:block, cpus 1,0")] == [
        (64, 30000, 90000)]
    plt = cc.import_pyplot()
    fig, _ = latency_vs_size.make_figure(r, plt)
    drawn = labelled_lines(fig.axes[0])
    plt.close(fig)
    assert drawn["pipe:block, cpus 1,0"].get_linestyle() == "-."


@pytest.mark.parametrize("results", ["small.json", "repetitions.json"])
def test_single_placement_runs_keep_plain_labels_and_styles(results):
    r = ir.load(fixture(results))
    lines = latency_vs_size.latency_lines(r)
    assert [key for key in lines] == [(s, s) for s in r.all_series()]
    assert [label for label, h in ranked_bar.ranked_bars(r)] == [
        h["series"] for _, h in ranked_bar.ranked_bars(r)]
    plt = cc.import_pyplot()
    fig, _ = latency_vs_size.make_figure(r, plt)
    drawn = labelled_lines(fig.axes[0])
    plt.close(fig)
    styles = cc.series_styles(r.all_series())
    for series, line in drawn.items():
        assert line.get_linestyle() == styles[series]["linestyle"]
        assert line.get_color() == styles[series]["color"]


def test_offered_rates_and_producer_counts_are_never_one_line():
    """Should benchmarks differing by rate or producers reach a chart, each
    is a line of its own, labelled with its setting."""
    rate = ir.load(fixture("rate.json"))
    lines = cc.variants_of(rate, "rate").by_line(rate.select("rate"))
    assert [label for _, label in lines] == [
        f"{s}, {r}/s" for s in ("pipe:block", "shm_ring:block")
        for r in ("1k", "10k", "50k")]
    assert all(len(heads) == 1 for heads in lines.values())
    fanin = ir.load(fixture("fanin.json"))
    variants = cc.variants_of(fanin, "fanin")
    lines = variants.by_line(fanin.select("fanin", size=64))
    assert [label for _, label in lines] == [
        f"{s}, {n}" for s in ("posix_mq:block", "unix_dgram:block")
        for n in ("1 producer", "2 producers", "4 producers")]
    assert variants.title() == "transport:wait, producers"


def test_pair_counts_are_never_one_line():
    """--pairs 1 and 2 at one size: two lines, each labelled with its
    count (they were one line with two points per size)."""
    r = ir.load(fixture("pairs_a.json"))
    lines = latency_vs_size.latency_lines(r)
    assert list(lines) == [("pipe:block", "pipe:block, 1 pair"),
                           ("pipe:block", "pipe:block, 2 pairs")]
    heads = {(h["pairs"], h["message_bytes"]): h
             for h in r.select("pingpong")}
    for (_, label), points in lines.items():
        pairs = int(label.split(", ")[1].split()[0])
        assert points == [(size, heads[(pairs, size)]["p50_ns"],
                           heads[(pairs, size)]["p99_ns"])
                          for size in (64, 4096)]
    assert "pairs" in cc.variants_of(r, "stream").title()
