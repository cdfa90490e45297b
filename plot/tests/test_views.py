"""The views of newer scenarios and sweeps: latency under load (rate),
placement side by side, fan-in, fan-out. Each draws what the file holds,
says so when the run has nothing for it, and plots the file's own
numbers."""

import copy
import json

import pytest

from conftest import fixture, run_script, write_json
from test_bad_input import assert_clean_failure
from test_charts import check_chart
import fanin_throughput
import fanout_throughput
import ipcbench_results as ir
import placement_compare
import rate_latency

# script, fixture with data for it, file stem, words its SVG must contain
VIEWS = [
    ("rate_latency", "rate.json", "rate_latency",
     ["pipe:block", "shm_ring:block", "fell behind", "p99"]),
    ("placement_compare", "placement.json", "placement_compare",
     ["same (driver CPU 0, peer CPU 0)", "cross (driver CPU 0, peer CPU 1)",
      "Ping-pong, 64 B", "Stream, 4 KiB"]),
    ("fanin_throughput", "fanin.json", "fanin_throughput",
     ["posix_mq:block", "unix_dgram:block", "Jain", "fair share 1/N"]),
    ("fanout_throughput", "fanout.json", "fanout_throughput",
     ["shm_ring:block", "zmq_ipc:block (may drop)", "% lost",
      "p99 dotted", "messages lost"]),
]
NO_DATA = {
    "rate_latency": "has no successful rate benchmarks",
    "placement_compare": "has no successful benchmarks measured under more "
                         "than one placement",
    "fanin_throughput": "has no successful fanin benchmarks",
    "fanout_throughput": "has no successful fanout benchmarks",
}


def load_doc(name):
    with open(fixture(name)) as f:
        return json.load(f)


def records(doc, key=lambda r: r["name"]):
    """The file's ipcbench records, straight from the JSON, by key(record)."""
    return {key(r): r for r in doc["ipcbench"]["benchmarks"]}


def series_of(r):
    return ir.series_label(r["transport"], r["wait"])


@pytest.mark.parametrize("module, results, stem, words", VIEWS)
def test_view_writes_png_and_svg(tmp_path, capsys, module, results, stem,
                                 words):
    main = __import__(module).main
    assert main([fixture(results), "--out-dir", str(tmp_path)]) == 0
    svg = check_chart(tmp_path, stem)
    for w in words + ["AMD EPYC"]:
        assert w in svg
    assert capsys.readouterr().out.split() == [
        str(tmp_path / f"{stem}.png"), str(tmp_path / f"{stem}.svg")]


@pytest.mark.parametrize("module, results, stem, words", VIEWS)
def test_view_runs_standalone(tmp_path, module, results, stem, words):
    assert "usage:" in run_script(module + ".py", "--help").stdout
    done = run_script(module + ".py", fixture(results), "--out-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("module", sorted(NO_DATA))
@pytest.mark.parametrize("results", ["small.json", "repetitions.json"])
def test_view_says_when_the_run_has_nothing_for_it(tmp_path, module, results):
    out = str(tmp_path / "out")
    done = run_script(module + ".py", fixture(results), "--out-dir", out)
    assert_clean_failure(done, out, NO_DATA[module])


def test_other_views_have_nothing_in_each_fixture(tmp_path):
    for module, results, _, _ in VIEWS:
        for other in NO_DATA:
            if other == module:
                continue
            out = str(tmp_path / f"{module}-{other}")
            done = run_script(other + ".py", fixture(results), "--out-dir",
                              out)
            assert_clean_failure(done, out, NO_DATA[other])


# ---- the numbers each chart plots are the file's --------------------------

def test_rate_points_are_the_files_figures():
    doc = load_doc("rate.json")
    points = rate_latency.rate_points(ir.load(fixture("rate.json")))
    assert list(points) == [64]
    lines = points[64]
    assert list(lines) == [("pipe:block", "pipe:block"),
                           ("shm_ring:block", "shm_ring:block")]
    recs = records(doc, lambda r: (series_of(r), r["rate"]["offered_per_s"]))
    for (series, _), pts in lines.items():
        assert [p["offered_per_s"] for p in pts] == [1000, 10000, 50000]
        for p in pts:
            rec = recs[(series, p["offered_per_s"])]
            assert p["achieved_per_s"] == rec["rate"]["achieved_per_s"]
            assert p["missed_slots"] == rec["rate"]["missed_slots"]
            assert p["p50_ns"] == rec["latency"]["percentiles_ns"]["50"]
            assert p["p99_ns"] == rec["latency"]["percentiles_ns"]["99"]
            # hollow markers: where the sender missed slots or fell
            # under 95 % of the offered rate
            assert p["behind"] is (rec["rate"]["missed_slots"] > 0 or rec[
                "rate"]["achieved_per_s"] < 0.95 * p["offered_per_s"])


@pytest.mark.parametrize("achieved, missed, behind", [
    (0.96, 0, False), (0.94, 0, True), (1.0, 1, True)])
def test_falling_behind_is_missed_slots_or_under_95_percent(
        tmp_path, achieved, missed, behind):
    doc = load_doc("rate.json")
    rec = records(doc)["rate/pipe/64/1000_per_s"]
    rec["rate"].update(achieved_per_s=achieved * 1000, missed_slots=missed)
    r = ir.load(write_json(tmp_path / "r.json", doc))
    p = rate_latency.rate_points(r)[64][("pipe:block", "pipe:block")][0]
    assert p["offered_per_s"] == 1000 and p["behind"] is behind


def test_rate_panels_per_size_and_lines_per_placement(tmp_path):
    doc = load_doc("rate.json")
    extra = []
    for rec in doc["ipcbench"]["benchmarks"]:
        big = copy.deepcopy(rec)
        big.update(message_bytes=4096,
                   name=rec["name"].replace("/64/", "/4096/"))
        pinned = copy.deepcopy(rec)
        pinned.update(name=rec["name"] + "/1:0", placement={
            "preset": "custom", "driver_cpu": 1, "peer_cpu": 0})
        extra += [big, pinned]
    doc["ipcbench"]["benchmarks"] += extra
    path = write_json(tmp_path / "r.json", doc)
    points = rate_latency.rate_points(ir.load(path))
    assert sorted(points) == [64, 4096]
    assert [label for _, label in points[64]] == [
        "pipe:block, cpus 1,0", "pipe:block, cross",
        "shm_ring:block, cpus 1,0", "shm_ring:block, cross"]
    # the label names the placement at every size, even with only one there
    assert [label for _, label in points[4096]] == [
        "pipe:block, cross", "shm_ring:block, cross"]
    assert rate_latency.main([path, "--out-dir", str(tmp_path)]) == 0
    svg = check_chart(tmp_path, "rate_latency")
    assert "4 KiB messages" in svg and "pipe:block, cpus 1,0" in svg


def test_placement_values_are_the_files_figures():
    doc = load_doc("placement.json")
    recs = records(doc, lambda r: (r["scenario"], series_of(r),
                                   r["message_bytes"],
                                   r["placement"]["preset"]))
    values = placement_compare.placement_values(
        ir.load(fixture("placement.json")))
    assert list(values) == ["pingpong", "stream"]
    assert list(values["pingpong"]) == [64]
    assert list(values["stream"]) == [64, 4096]
    ping = values["pingpong"][64]
    assert list(ping) == ["pipe:block", "shm_ring:block"]
    assert all(list(by_place) == ["same", "cross"]
               for by_place in ping.values())
    for series, by_place in ping.items():
        for place, (p50, p99) in by_place.items():
            pct = recs[("pingpong", series, 64, place)]["latency"][
                "percentiles_ns"]
            assert (p50, p99) == (pct["50"], pct["99"])
    for size, groups in values["stream"].items():
        for series, by_place in groups.items():
            for place, (value, whisker) in by_place.items():
                thr = recs[("stream", series, size, place)]["throughput"]
                # stream's headline figure (headlines.py): bytes/s
                assert value == thr["bytes_per_second"] and whisker is None


def test_placement_of_rate_uses_p50_to_p99_and_names_custom_cpus(tmp_path):
    doc = load_doc("rate.json")
    pinned = []
    for rec in doc["ipcbench"]["benchmarks"]:
        if rec["transport"] == "pipe":
            p = copy.deepcopy(rec)
            p.update(name=rec["name"] + "/1:0", placement={
                "preset": "custom", "driver_cpu": 1, "peer_cpu": 0})
            p["latency"]["percentiles_ns"]["99"] = 123456
            pinned.append(p)
    doc["ipcbench"]["benchmarks"] += pinned
    path = write_json(tmp_path / "r.json", doc)
    values = placement_compare.placement_values(ir.load(path))
    groups = values["rate"][64]
    # only transports measured under both placements are compared
    assert list(groups) == ["pipe:block\n1k/s", "pipe:block\n10k/s",
                            "pipe:block\n50k/s"]
    # rate's headline figure (headlines.py): p50, a whisker to p99
    pct = records(doc)["rate/pipe/64/50000_per_s"]["latency"][
        "percentiles_ns"]
    assert groups["pipe:block\n50k/s"] == {"cross": (pct["50"], pct["99"]),
                                           "cpus 1,0": (pct["50"], 123456)}
    assert placement_compare.main([path, "--out-dir", str(tmp_path)]) == 0
    assert "cpus 1,0 (driver CPU 1, peer CPU 0)" in check_chart(
        tmp_path, "placement_compare")


def test_fanin_points_are_the_files_figures():
    doc = load_doc("fanin.json")
    recs = records(doc, lambda r: (series_of(r), r["message_bytes"],
                                   r["producers"]))
    points = fanin_throughput.fanin_points(ir.load(fixture("fanin.json")))
    assert list(points) == [64, 4096]
    for size, lines in points.items():
        assert [s for s, _ in lines] == ["posix_mq:block", "unix_dgram:block"]
        for (series, _), pts in lines.items():
            assert [p["producers"] for p in pts] == [1, 2, 4]
            for p in pts:
                rec = recs[(series, size, p["producers"])]
                fair = rec["fanin"]["fairness"]
                assert p == {"producers": rec["fanin"]["producers"],
                             "msgs_per_s": rec["throughput"]["msgs_per_s"],
                             "jain_index": fair["jain_index"],
                             "min_share": fair["min_share"],
                             "max_share": fair["max_share"]}


def test_fanin_shades_oversubscription_from_the_cpus_the_run_had(tmp_path):
    r = ir.load(fixture("fanin.json"))
    assert fanin_throughput.cpus_available(r) == 2
    svg_dir = tmp_path / "two"
    assert fanin_throughput.main([fixture("fanin.json"), "--out-dir",
                                  str(svg_dir)]) == 0
    assert "than the 2 CPUs" in check_chart(svg_dir, "fanin_throughput")
    doc = load_doc("fanin.json")
    doc["ipcbench"]["environment"].update(cpus_online=8,
                                          affinity_cpus=list(range(8)))
    path = write_json(tmp_path / "eight.json", doc)
    assert fanin_throughput.main([path, "--out-dir", str(tmp_path)]) == 0
    assert "than the" not in check_chart(tmp_path, "fanin_throughput")


def test_fanout_points_are_the_files_figures():
    doc = load_doc("fanout.json")
    recs = records(doc, lambda r: (series_of(r), r["message_bytes"],
                                   r["consumers"]))
    points = fanout_throughput.fanout_points(ir.load(fixture("fanout.json")))
    assert list(points) == [64, 4096]
    for size, lines in points.items():
        assert [label for _, label in lines] == [
            "shm_ring:block", "zmq_ipc:block (may drop)"]
        for (series, _), pts in lines.items():
            assert [p["consumers"] for p in pts] == [1, 2]
            for p in pts:
                rec = recs[(series, size, p["consumers"])]
                pct = rec["latency"]["percentiles_ns"]
                assert p == {"consumers": rec["fanout"]["consumers"],
                             "delivery": rec["fanout"]["delivery"],
                             "delivered_msgs_per_s":
                                 rec["fanout"]["delivered"]["msgs_per_s"],
                             "loss_fraction": rec["fanout"]["loss"][
                                 "fraction"],
                             "p50_ns": pct.get("50"),
                             "p99_ns": pct.get("99")}


def _loss_texts(fig):
    return sorted(t.get_text() for ax in fig.axes for t in ax.texts)


@pytest.mark.parametrize("fraction, text", [
    (0.0, "none lost"), (1e-5, "0.001 % lost"), (0.0123, "1.23 % lost"),
    (0.9673, "96.7 % lost"), (1.0, "100.0 % lost")])
def test_fanout_loss_is_written_whatever_its_size(tmp_path, fraction, text):
    """Every point of a transport that may drop has its loss written
    beside it, a tiny one too (it would not show on the axis); a lossless
    one has none to write."""
    import matplotlib.pyplot as plt
    doc = load_doc("fanout.json")
    for rec in doc["ipcbench"]["benchmarks"]:
        if rec["fanout"]["delivery"] == "may_drop":
            rec["fanout"]["loss"]["fraction"] = fraction
    r = ir.load(write_json(tmp_path / "r.json", doc))
    fig, _ = fanout_throughput.make_figure(r, plt)
    may_drop = sum(rec["fanout"]["delivery"] == "may_drop"
                   for rec in doc["ipcbench"]["benchmarks"])
    assert may_drop > 0 and _loss_texts(fig) == [text] * may_drop
    plt.close(fig)


def test_fanout_draws_a_run_where_nothing_arrived(tmp_path):
    """A may-drop transport can lose every timed message (ZeroMQ at 4 KiB
    to 2 consumers did here once): no latency, nothing delivered; the
    chart still draws and says "100.0 % lost"."""
    import matplotlib.pyplot as plt
    doc = load_doc("fanout.json")
    rec = next(r for r in doc["ipcbench"]["benchmarks"]
               if r["fanout"]["delivery"] == "may_drop")
    rec["fanout"]["delivered"].update(messages=0, msgs_per_s=0.0,
                                      bytes_per_second=0.0)
    rec["fanout"]["loss"]["fraction"] = 1.0
    rec["latency"].update(count=0, percentiles_ns={})
    r = ir.load(write_json(tmp_path / "r.json", doc))
    fig, _ = fanout_throughput.make_figure(r, plt)
    assert "100.0 % lost" in _loss_texts(fig)
    plt.close(fig)


def test_fanout_says_may_drop_for_a_transport_that_lost_nothing(tmp_path):
    """A may-drop transport is told apart by what it promises, not by
    whether this run happened to lose something."""
    doc = load_doc("fanout.json")
    for rec in doc["ipcbench"]["benchmarks"]:
        rec["fanout"]["loss"].update(messages=0, fraction=0.0)
    points = fanout_throughput.fanout_points(
        ir.load(write_json(tmp_path / "r.json", doc)))
    assert [label for _, label in points[64]] == [
        "shm_ring:block", "zmq_ipc:block (may drop)"]


def test_fanout_report_table_says_each_loss(tmp_path):
    """The report's table notes each fan-out's delivery and loss."""
    import report_html
    r = ir.load(fixture("fanout.json"))
    html = report_html.table(r)
    for h in r.select("fanout"):
        row = html[html.index(f">{h['name']}<"):]
        row = row[:row.index("</tr>")]
        words = ("lossless, none lost" if h["delivery"] == "lossless" else
                 "may drop, " + fanout_throughput.loss_text(
                     h["loss_fraction"]))
        assert words in row, row


# ---- shared helpers --------------------------------------------------------

@pytest.mark.parametrize("placement, label", [
    (("same", 0, 0), "same"), (("cross", 0, 1), "cross"),
    (("custom", 2, 3), "cpus 2,3"), (("none", -1, -1), "unpinned"),
    ((None, None, None), "unknown")])
def test_placement_label(placement, label):
    assert ir.placement_label(*placement) == label


def test_headlines_carry_placement_and_the_caption_names_the_sweep():
    r = ir.load(fixture("placement.json"))
    h = r.select("pingpong", ["pipe"], 64)
    assert sorted(x["placement"] for x in h) == ["cross", "same"]
    assert r.placements() == ["same", "cross"]
    assert "placements same, cross" in r.machine_caption()
    assert "placement cross: driver CPU 0, peer CPU 1" in ir.load(
        fixture("rate.json")).machine_caption()


def test_placement_legend_ignores_the_memcpy_baselines_missing_peer(tmp_path):
    doc = load_doc("placement.json")
    first = doc["ipcbench"]["benchmarks"][0]
    baseline = {"name": "baseline/memcpy/64", "repetition_index": 0,
                "scenario": "memcpy", "transport": "memcpy", "wait": "none",
                "message_bytes": 64, "placement": {
                    "preset": first["placement"]["preset"],
                    "driver_cpu": first["placement"]["driver_cpu"],
                    "peer_cpu": -1}}
    doc["ipcbench"]["benchmarks"].insert(0, baseline)
    path = write_json(tmp_path / "r.json", doc)
    legend = placement_compare.placement_legend(ir.load(path))
    assert legend["cross"] == "cross (driver CPU 0, peer CPU 1)"
    assert legend["same"] == "same (driver CPU 0, peer CPU 0)"


def test_captions_and_legends_say_what_the_cpus_share(tmp_path):
    """Runs that record what the two CPUs share (ipcbench with hwloc) show
    it beside the CPUs; older runs keep their captions."""
    doc = load_doc("placement.json")
    sharing = {"same": "same CPU", "cross": "same NUMA node"}
    for rec in doc["ipcbench"]["benchmarks"]:
        place = rec["placement"]
        if place["preset"] in sharing:
            place["sharing"] = sharing[place["preset"]]
    legend = placement_compare.placement_legend(
        ir.load(write_json(tmp_path / "r.json", doc)))
    assert legend["cross"] == ("cross (driver CPU 0, peer CPU 1, "
                               "same NUMA node)")
    assert legend["same"] == "same (driver CPU 0, peer CPU 0, same CPU)"

    rate = load_doc("rate.json")
    rate["ipcbench"]["placement"]["sharing"] = "same L3"
    caption = ir.load(write_json(tmp_path / "rate.json",
                                 rate)).machine_caption()
    assert "placement cross: driver CPU 0, peer CPU 1 (same L3)" in caption
