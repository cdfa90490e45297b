"""compare.py: exact ratios, significance, environment warnings, chart, and
compatibility with Google Benchmark's own compare.py; placement sweeps
matched placement by placement, offered rates, producer counts and pair
counts one to one; rate and fan-in rows (headline and context figures).

Run B of each comparison is run A (a fixture) with figures scaled by the
factors the test states (derive.py), so every ratio is known."""

import copy
import json
import os
import subprocess
import sys

import pytest

from conftest import fixture, run_script, write_json
from derive import derived, keep_only, load_doc
import chart_common as cc
import compare_chart
import comparison
from ipcbench_results import load
from scipy.stats import mannwhitneyu

GB_COMPARE = "/usr/share/benchmark/compare.py"


def rows_by(a, b, test=None):
    rows, only_a, only_b = comparison.compare_rows(load(a), load(b), 0.05,
                                                   test)
    return {(r["name"], r["metric"]): r for r in rows}, only_a, only_b


def records(name):
    """A fixture's records by name, straight from the JSON."""
    return {r["name"]: r for r in load_doc(name)["ipcbench"]["benchmarks"]}


def p(rec, percentile):
    return rec["latency"]["percentiles_ns"][percentile]


def row(lines, name, metric):
    """The printed row of benchmark `name` and `metric`, split in words."""
    return next(x.split() for x in lines
                if x.startswith(name + " ") and x.split()[1] == metric)


def compare_b(tmp_path):
    """compare_a.json with ping-pong latency of pipe x1.5 and of tcp x0.5,
    stream throughput of pipe x2."""
    return derived(tmp_path, "compare_a.json",
                   latency={"pingpong/pipe/64": 1.5, "pingpong/tcp/64": 0.5},
                   throughput={"stream/pipe/64": 2.0})


def test_ratios_are_exact_on_the_scaled_pair(tmp_path):
    rows, only_a, only_b = rows_by(fixture("compare_a.json"),
                                   compare_b(tmp_path))
    assert {k: r["ratio"] for k, r in rows.items()} == {
        ("pingpong/pipe/64", "p50"): 1.5, ("pingpong/pipe/64", "p99"): 1.5,
        ("pingpong/tcp/64", "p50"): 0.5, ("pingpong/tcp/64", "p99"): 0.5,
        ("stream/pipe/64", "MB/s"): 2.0}
    assert rows[("stream/pipe/64", "MB/s")]["a"] == records(
        "compare_a.json")["stream/pipe/64"]["throughput"]["bytes_per_second"]
    assert only_a == only_b == []
    assert all(r["significance"] == "n/a (no repetitions)"
               for r in rows.values())


def test_printed_table(tmp_path):
    done = run_script("compare.py", fixture("compare_a.json"),
                      compare_b(tmp_path))
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    a = p(records("compare_a.json")["pingpong/pipe/64"], "50")
    assert row(lines, "pingpong/pipe/64", "p50")[2:8] == [
        *cc.fmt_ns(a).split(), *cc.fmt_ns(a * 1.5).split(), "1.500", "n/a"]
    assert row(lines, "stream/pipe/64", "MB/s")[4] == "2.000"
    assert "chart:" not in done.stdout  # no --out-dir, no chart


def rep5_b(tmp_path, factor=4.0):
    """rep5_a.json with every repetition's ping-pong latency x factor."""
    return derived(tmp_path, "rep5_a.json",
                   latency={"pingpong/pipe/64": factor})


def test_significance_with_repetitions(tmp_path):
    a_p50s = [p(r, "50") for r in load_doc("rep5_a.json")["ipcbench"][
        "benchmarks"] if r["name"] == "pingpong/pipe/64"]
    # x4 puts every B repetition above every A one (the fixture's p50s
    # spread less than 4x)
    assert len(a_p50s) == 5 and max(a_p50s) < 4 * min(a_p50s)
    rows, _, _ = rows_by(fixture("rep5_a.json"), rep5_b(tmp_path),
                         mannwhitneyu)
    p50 = rows[("pingpong/pipe/64", "p50")]
    assert p50["ratio"] == 4.0
    # 5 vs 5 with no overlap: the exact two-sided p is 2 / C(10, 5)
    assert p50["p"] == pytest.approx(2 / 252)
    assert p50["significance"].startswith("significant (p=0.00794, 5 vs 5")
    same = rows[("stream/pipe/64", "MB/s")]
    assert same["ratio"] == 1.0 and same["p"] == 1.0
    assert same["significance"].startswith("not significant")


def test_three_repetitions_cannot_be_significant():
    rows, _, _ = rows_by(fixture("repetitions.json"),
                         fixture("repetitions.json"), mannwhitneyu)
    for r in rows.values():
        assert r["significance"].startswith("not significant")
        assert "3 vs 3 reps cannot reach p<0.05" in r["significance"]


def test_chart_and_warnings_for_different_environments(tmp_path, small_doc):
    a = write_json(tmp_path / "a.json", small_doc)
    env = small_doc["ipcbench"]["environment"]
    env.update(hostname="other", cpu_model="Other CPU", kernel="Linux 7.0")
    env["build"]["git_commit"] = "0123abc-dirty"
    small_doc["ipcbench"]["placement"]["preset"] = "same"
    b = write_json(tmp_path / "b.json", small_doc)
    out = tmp_path / "out"
    done = run_script("compare.py", a, b, "--out-dir", out)
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.splitlines()
    assert all(w.startswith("plot: warning: ") for w in warnings)
    text = "\n".join(warnings)
    host, cpu = (load(a).environment[k] for k in ("hostname", "cpu_model"))
    for words in ("different machines", f"hostname {host} vs other",
                  f"CPU {cpu} vs Other CPU", "different kernels",
                  "different builds", "0123abc-dirty",
                  "B was built from a modified tree", "different placements"):
        assert words in text
    assert sorted(os.listdir(out)) == ["compare.png", "compare.svg"]
    assert (out / "compare.png").stat().st_size > 10_000
    assert f"chart: {out / 'compare.png'}" in done.stdout


def test_same_environment_gives_no_warning():
    done = run_script("compare.py", fixture("small.json"),
                      fixture("small.json"))
    assert done.returncode == 0 and done.stderr == ""


def test_benchmarks_in_one_run_only_and_failures(tmp_path):
    rows, only_a, only_b = rows_by(fixture("small.json"),
                                   fixture("with_failures.json"))
    assert rows[("pingpong/pipe/64", "p50")]["significance"].startswith(
        "B failed: peer was killed by signal 11")
    assert only_b == ["fanin/pipe/64/2_producers", "fanin/tcp/64/2_producers"]
    assert "stream/tcp/65536" in only_a


def test_no_common_benchmark_is_an_error(tmp_path, small_doc):
    ib = small_doc["ipcbench"]
    ib["benchmarks"] = [r for r in ib["benchmarks"] if r["transport"] == "tcp"]
    tcp_only = write_json(tmp_path / "tcp.json", small_doc)
    done = run_script("compare.py", tcp_only, fixture("rep5_a.json"),
                      "--out-dir", tmp_path / "out")
    assert done.returncode == 2 and done.stdout == ""
    assert "have no benchmark in common" in done.stderr
    assert not (tmp_path / "out").exists()


def test_nothing_measured_in_common_draws_no_chart(tmp_path):
    done = run_script("compare.py", fixture("compare_a.json"),
                      fixture("with_failures.json"), "--out-dir",
                      tmp_path / "none")
    assert done.returncode == 2
    assert "no successful benchmark in common" in done.stderr
    assert not (tmp_path / "none").exists()


def test_scipy_missing(tmp_path):
    shim = tmp_path / "shim" / "scipy"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('simulated')\n")
    out = tmp_path / "out"
    done = run_script("compare.py", fixture("rep5_a.json"),
                      rep5_b(tmp_path), "--out-dir", out,
                      env={"PYTHONPATH": str(shim.parent)})
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("plot: scipy is not importable")
    assert len(done.stderr.splitlines()) == 1 and not out.exists()


@pytest.mark.skipif(not os.path.exists(GB_COMPARE),
                    reason="libbenchmark-tools is not installed")
def test_google_benchmark_compare_reads_our_files(tmp_path):
    done = subprocess.run([sys.executable, GB_COMPARE, "benchmarks",
                           fixture("rep5_a.json"), rep5_b(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pingpong/pipe/64" in done.stdout
    assert "stream/pipe/64" in done.stdout


# ---- placement sweeps, offered rates, producer counts ----------------------

# placement.json -> placement_b: a second sweep with the ping-pong latency
# of pipe x2 under same and x0.5 under cross, the 4 KiB stream throughput
# of shm_ring x4 under same and x0.25 under cross, and no shm_ring
# ping-pong under cross
PLACEMENT_B = dict(latency={"pingpong/pipe/64/same": 2.0,
                            "pingpong/pipe/64/cross": 0.5},
                   throughput={"stream/shm_ring:block/4096/same": 4.0,
                               "stream/shm_ring:block/4096/cross": 0.25},
                   drop={"pingpong/shm_ring:block/64/cross"})
SWEEP_RATIOS = {
    ("pingpong/pipe/64/same", "p50"): 2.0,
    ("pingpong/pipe/64/same", "p99"): 2.0,
    ("pingpong/pipe/64/cross", "p50"): 0.5,
    ("pingpong/pipe/64/cross", "p99"): 0.5,
    ("pingpong/shm_ring:block/64/same", "p50"): 1.0,
    ("pingpong/shm_ring:block/64/same", "p99"): 1.0,
    ("stream/pipe/64/same", "MB/s"): 1.0,
    ("stream/pipe/64/cross", "MB/s"): 1.0,
    ("stream/pipe/4096/same", "MB/s"): 1.0,
    ("stream/pipe/4096/cross", "MB/s"): 1.0,
    ("stream/shm_ring:block/64/same", "MB/s"): 1.0,
    ("stream/shm_ring:block/64/cross", "MB/s"): 1.0,
    ("stream/shm_ring:block/4096/same", "MB/s"): 4.0,
    ("stream/shm_ring:block/4096/cross", "MB/s"): 0.25}


def placement_b(tmp_path):
    return derived(tmp_path, "placement.json", **PLACEMENT_B)


def test_two_sweeps_are_matched_placement_by_placement(tmp_path):
    b = placement_b(tmp_path)
    rows, only_a, only_b = rows_by(fixture("placement.json"), b)
    assert {k: r["ratio"] for k, r in rows.items()} == SWEEP_RATIOS
    # same with same, cross with cross: each side's figure is that of the
    # benchmark of the row's placement in its own file
    a_recs = records("placement.json")
    with open(b) as f:
        b_recs = {r["name"]: r for r in json.load(f)["ipcbench"][
            "benchmarks"]}
    for (name, metric), r in rows.items():
        assert r["placement"] == name.rsplit("/", 1)[1]
        for side, recs in (("a", a_recs), ("b", b_recs)):
            rec = recs[name]
            assert rec["placement"]["preset"] == r["placement"]
            expected = (rec["throughput"]["bytes_per_second"]
                        if metric == "MB/s" else p(rec, metric[1:]))
            assert r[side] == expected
    # placement_b has no shm_ring ping-pong under cross: only in A, and
    # never compared with the one under same
    assert only_a == ["pingpong/shm_ring:block/64/cross"] and only_b == []


def test_printed_table_of_two_sweeps(tmp_path):
    done = run_script("compare.py", fixture("placement.json"),
                      placement_b(tmp_path))
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    recs = records("placement.json")
    for place, factor, ratio in (("same", 2, "2.000"),
                                 ("cross", 0.5, "0.500")):
        a = p(recs[f"pingpong/pipe/64/{place}"], "50")
        assert row(lines, f"pingpong/pipe/64/{place}", "p50")[2:8] == [
            *cc.fmt_ns(a).split(), *cc.fmt_ns(a * factor).split(), ratio,
            "n/a"]
    assert "only in A: pingpong/shm_ring:block/64/cross" in lines
    assert sum(x.startswith("stream/shm_ring:block/4096/") for x in lines) == 2


def one_placement(tmp_path, preset):
    """placement_b as a run of one placement: only `preset`'s benchmarks,
    named without the placement, as ipcbench names them."""
    with open(placement_b(tmp_path)) as f:
        doc = keep_only(json.load(f), lambda n: n.endswith("/" + preset))
    for b in doc["benchmarks"] + doc["ipcbench"]["benchmarks"]:
        b["name"] = b["name"].rsplit("/", 1)[0]
        if "run_name" in b:
            b["run_name"] = b["name"]
    doc["ipcbench"]["placement"].update(
        doc["ipcbench"]["benchmarks"][0]["placement"])
    return write_json(tmp_path / f"{preset}.json", doc)


def test_sweep_against_a_run_of_one_placement(tmp_path):
    cross = one_placement(tmp_path, "cross")
    rows, only_a, only_b = rows_by(fixture("placement.json"), cross)
    # the sweep's cross benchmarks only; the name of the run of one
    # placement says which placement it was matched under
    assert {k: r["ratio"] for k, r in rows.items()} == {
        (f"{name.rsplit('/', 1)[0]} (cross)", metric): ratio
        for (name, metric), ratio in SWEEP_RATIOS.items()
        if name.endswith("/cross")}
    assert only_a == ["pingpong/pipe/64/same",
                      "pingpong/shm_ring:block/64/cross",
                      "pingpong/shm_ring:block/64/same",
                      "stream/pipe/4096/same", "stream/pipe/64/same",
                      "stream/shm_ring:block/4096/same",
                      "stream/shm_ring:block/64/same"]
    assert only_b == []
    # and the other way round
    rows, only_a, only_b = rows_by(cross, fixture("placement.json"))
    assert {k: r["ratio"] for k, r in rows.items()}[
        ("pingpong/pipe/64/cross", "p50")] == 2.0  # A x 0.5 back to A
    assert "pingpong/pipe/64/same" in only_b and only_a == []


def test_runs_of_one_placement_each_match_whatever_the_placement(tmp_path,
                                                                 small_doc):
    """As before sweeps existed: --cpus=same against --cpus=cross compares
    every benchmark (and warns about the placements)."""
    ib = small_doc["ipcbench"]
    ib["placement"].update(preset="same", driver_cpu=0, peer_cpu=0)
    for r in ib["benchmarks"]:
        r["placement"] = {"preset": "same", "driver_cpu": 0, "peer_cpu": 0}
    same = write_json(tmp_path / "same.json", small_doc)
    rows, only_a, only_b = rows_by(fixture("small.json"), same)
    plain, _, _ = rows_by(fixture("small.json"), fixture("small.json"))
    assert rows.keys() == plain.keys() and only_a == only_b == []
    assert all(r["ratio"] == 1.0 and r.get("placement") is None
               for r in rows.values())
    done = run_script("compare.py", fixture("small.json"), same)
    assert done.returncode == 0
    assert "used different placements" in done.stderr
    assert "(same)" not in done.stdout and "(cross)" not in done.stdout


def test_custom_placements_match_only_on_the_same_cpus(tmp_path):
    def with_custom(name, driver, peer):
        doc = load_doc("placement.json")
        for where in (doc["benchmarks"], doc["ipcbench"]["benchmarks"]):
            rec = copy.deepcopy(next(
                r for r in where if r["name"] == "pingpong/pipe/64/cross"))
            rec["name"] = f"pingpong/pipe/64/{driver}:{peer}"
            if "run_name" in rec:
                rec["run_name"] = rec["name"]
            if "placement" in rec:
                rec["placement"] = {"preset": "custom", "driver_cpu": driver,
                                    "peer_cpu": peer}
            where.append(rec)
        return write_json(tmp_path / name, doc)
    a = with_custom("a.json", 1, 0)
    rows, only_a, only_b = rows_by(a, with_custom("b.json", 0, 1))
    assert only_a == ["pingpong/pipe/64/1:0"]
    assert only_b == ["pingpong/pipe/64/0:1"]
    rows, only_a, only_b = rows_by(a, a)
    assert rows[("pingpong/pipe/64/1:0", "p50")]["placement"] == "cpus 1,0"
    assert only_a == only_b == []


@pytest.mark.parametrize("name, dropped", [
    ("rate.json", "/50000_per_s"), ("fanin.json", "/4_producers")])
def test_offered_rates_and_producer_counts_are_matched_one_to_one(
        tmp_path, name, dropped):
    r = load(fixture(name))
    assert len({comparison.key_of(h) for h in r.headlines}) == len(r.headlines)
    fewer = write_json(tmp_path / name, keep_only(
        load_doc(name), lambda n: not n.endswith(dropped)))
    _, only_a, only_b = comparison.compare_rows(r, load(fewer))
    assert only_a == sorted(h["name"] for h in r.headlines
                            if h["name"].endswith(dropped))
    assert len(only_a) in (2, 4) and only_b == []


def test_chart_of_two_sweeps_has_a_line_per_placement(tmp_path):
    a, b = load(fixture("placement.json")), load(placement_b(tmp_path))
    rows, _, _ = comparison.compare_rows(a, b)
    plt = cc.import_pyplot()
    fig = compare_chart.make_figure(rows, a, b, plt)
    drawn = {line.get_label(): line for ax in fig.axes
             for line in ax.get_lines()
             if not line.get_label().startswith("_")}
    plt.close(fig)
    assert sorted(drawn) == sorted(
        ["pipe:block, same p50", "pipe:block, cross p50",
         "shm_ring:block, same p50", "pipe:block, same p99",
         "pipe:block, cross p99", "shm_ring:block, same p99",
         "pipe:block, same MB/s", "pipe:block, cross MB/s",
         "shm_ring:block, same MB/s", "shm_ring:block, cross MB/s"])
    for line in drawn.values():
        x = list(line.get_xdata())
        assert len(set(x)) == len(x)
    assert list(drawn["shm_ring:block, cross MB/s"].get_ydata()) == [1.0, 0.25]
    assert list(drawn["pipe:block, same p50"].get_ydata()) == [2.0]
    assert drawn["pipe:block, same p50"].get_linestyle() == "-"
    assert drawn["pipe:block, cross p50"].get_linestyle() == "--"


# ---- rate and fan-in rows ---------------------------------------------------

RATE_NAMES = [f"rate/{t}/64/{r}_per_s" for t in ("pipe", "shm_ring:block")
              for r in (1000, 10000, 50000)]
# rate.json -> rate_b: latency (from the intended send time) of two
# benchmarks scaled; one that keeps its latency but achieves half its rate
# with four times the missed slots
RATE_B = dict(latency={"rate/pipe/64/1000_per_s": 2.0,
                       "rate/shm_ring:block/64/50000_per_s": 0.5},
              rate_load={"rate/pipe/64/50000_per_s": (0.5, 4.0)})


def rate_b(tmp_path):
    return derived(tmp_path, "rate.json", **RATE_B)


def rate_ratios():
    """RATE_B's ratios; missed slots of 0 on A have none."""
    missed = {n: r["rate"]["missed_slots"]
              for n, r in records("rate.json").items()}
    return {
        **{(n, m): 1.0 for n in RATE_NAMES
           for m in ("p50", "p99", "achieved/s")},
        **{(n, "missed"): 1.0 if missed[n] else None for n in RATE_NAMES},
        ("rate/pipe/64/1000_per_s", "p50"): 2.0,
        ("rate/pipe/64/1000_per_s", "p99"): 2.0,
        ("rate/shm_ring:block/64/50000_per_s", "p50"): 0.5,
        ("rate/shm_ring:block/64/50000_per_s", "p99"): 0.5,
        ("rate/pipe/64/50000_per_s", "achieved/s"): 0.5,
        ("rate/pipe/64/50000_per_s", "missed"): (
            4.0 if missed["rate/pipe/64/50000_per_s"] else None)}


def test_rate_rows_are_exact_and_lower_latency_is_better(tmp_path):
    b = rate_b(tmp_path)
    rows, only_a, only_b = rows_by(fixture("rate.json"), b)
    assert {k: r["ratio"] for k, r in rows.items()} == rate_ratios()
    assert only_a == only_b == []
    a_recs = records("rate.json")
    with open(b) as f:
        b_recs = {r["name"]: r for r in json.load(f)["ipcbench"][
            "benchmarks"]}
    for (name, metric), r in rows.items():
        for side, recs in (("a", a_recs), ("b", b_recs)):
            rec = recs[name]
            assert rec["latency"]["kind"] == "from_intended_send"
            expected = {"p50": p(rec, "50"), "p99": p(rec, "99"),
                        "achieved/s": rec["rate"]["achieved_per_s"],
                        "missed": rec["rate"]["missed_slots"]}[metric]
            assert r[side] == expected
        assert r["offered_per_s"] == rec["offered_rate_per_s"]
        # latency is the headline, tested and charted, lower is better;
        # achieved rate and missed slots are context
        headline = metric in ("p50", "p99")
        assert r["headline"] is headline
        assert r["lower_is_better"] is {"p50": True, "p99": True,
                                        "achieved/s": None,
                                        "missed": True}[metric]
        assert r["significance"] == ("n/a (no repetitions)" if headline
                                     else "context, not tested")
    missed = rows[("rate/pipe/64/50000_per_s", "missed")]
    assert missed["b"] == int(missed["a"] * 4)


FANIN_NAMES = [f"fanin/{t}/{size}/{n}_producers"
               for t in ("posix_mq:block", "unix_dgram")
               for size in (64, 4096) for n in (1, 2, 4)]
# fanin.json -> fanin_b: aggregate throughput of two benchmarks scaled
# (their shares and Jain's index unchanged), latency of a third
FANIN_B = dict(throughput={"fanin/posix_mq:block/64/4_producers": 2.0,
                           "fanin/unix_dgram/4096/2_producers": 0.5},
               latency={"fanin/unix_dgram/64/1_producers": 4.0})
FANIN_RATIOS = {
    **{(n, m): 1.0 for n in FANIN_NAMES
       for m in ("msgs/s", "p50", "p99", "Jain")},
    ("fanin/posix_mq:block/64/4_producers", "msgs/s"): 2.0,
    ("fanin/unix_dgram/4096/2_producers", "msgs/s"): 0.5,
    ("fanin/unix_dgram/64/1_producers", "p50"): 4.0,
    ("fanin/unix_dgram/64/1_producers", "p99"): 4.0}


def fanin_b(tmp_path):
    return derived(tmp_path, "fanin.json", **FANIN_B)


def test_fanin_rows_are_exact_and_higher_throughput_is_better(tmp_path):
    b = fanin_b(tmp_path)
    rows, only_a, only_b = rows_by(fixture("fanin.json"), b)
    assert {k: r["ratio"] for k, r in rows.items()} == FANIN_RATIOS
    assert only_a == only_b == []
    a_recs = records("fanin.json")
    with open(b) as f:
        b_recs = {r["name"]: r for r in json.load(f)["ipcbench"][
            "benchmarks"]}
    for (name, metric), r in rows.items():
        for side, recs in (("a", a_recs), ("b", b_recs)):
            rec = recs[name]
            assert rec["latency"]["kind"] == "send_to_receive"
            expected = {"msgs/s": rec["throughput"]["msgs_per_s"],
                        "p50": p(rec, "50"), "p99": p(rec, "99"),
                        "Jain": rec["fanin"]["fairness"]["jain_index"]}[
                metric]
            assert r[side] == expected
        assert r["producers"] == rec["producers"]
        # aggregate throughput is the headline, higher is better; latency
        # and Jain's index are context
        assert r["headline"] is (metric == "msgs/s")
        assert r["lower_is_better"] is {"msgs/s": False, "p50": True,
                                        "p99": True, "Jain": False}[metric]


def test_printed_table_of_rate_and_fanin(tmp_path):
    done = run_script("compare.py", fixture("rate.json"), rate_b(tmp_path))
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[3].startswith("rate: p50 and p99 are latency from the "
                               "intended send time (lower is better)")
    recs = records("rate.json")
    a = p(recs["rate/pipe/64/1000_per_s"], "50")
    assert row(lines, "rate/pipe/64/1000_per_s", "p50")[2:7] == [
        *cc.fmt_ns(a).split(), *cc.fmt_ns(2 * a).split(), "2.000"]
    a = recs["rate/pipe/64/50000_per_s"]["rate"]
    assert row(lines, "rate/pipe/64/50000_per_s", "achieved/s")[2:5] == [
        comparison.fmt_count(a["achieved_per_s"]),
        comparison.fmt_count(a["achieved_per_s"] * 0.5), "0.500"]
    assert row(lines, "rate/pipe/64/50000_per_s", "missed")[2:] == [
        comparison.fmt_count(a["missed_slots"]),
        comparison.fmt_count(a["missed_slots"] * 4),
        "4.000" if a["missed_slots"] else "\u2014", "context,", "not",
        "tested"]
    assert len(lines) == 5 + 6 * 4
    done = run_script("compare.py", fixture("fanin.json"), fanin_b(tmp_path))
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[3].startswith("fanin: msgs/s is the consumer's aggregate "
                               "receive rate")
    recs = records("fanin.json")
    a = recs["fanin/posix_mq:block/64/4_producers"]
    assert row(lines, a["name"], "msgs/s")[2:6] == [
        comparison.fmt_count(a["throughput"]["msgs_per_s"]),
        comparison.fmt_count(2 * a["throughput"]["msgs_per_s"]), "2.000",
        "n/a"]
    a = recs["fanin/unix_dgram/64/4_producers"]
    jain = f"{a['fanin']['fairness']['jain_index']:.4f}"
    assert row(lines, a["name"], "Jain")[2:5] == [jain, jain, "1.000"]
    a = p(recs["fanin/unix_dgram/64/1_producers"], "99")
    assert row(lines, "fanin/unix_dgram/64/1_producers", "p99")[2:7] == [
        *cc.fmt_ns(a).split(), *cc.fmt_ns(4 * a).split(), "4.000"]
    assert len(lines) == 5 + 12 * 4


def test_rate_and_fanin_significance_uses_their_own_repetitions(tmp_path):
    """Mann-Whitney U over each repetition's own figure: a rate benchmark's
    p50 and p99 from the intended send time, a fan-in's aggregate msgs/s."""
    rate, fanin = "rate/pipe/64/10000_per_s", "fanin/pipe/64/2_producers"
    a_reps = [r for r in load_doc("views_rep5_a.json")["ipcbench"][
        "benchmarks"]]
    msgs = [r["throughput"]["msgs_per_s"] for r in a_reps
            if r["name"] == fanin]
    # views_rep5_b: every repetition's rate latency x2 (the repetitions may
    # overlap: p as Mann-Whitney U gives it); every fan-in repetition's
    # throughput divided by twice A's spread, which puts all of B below A
    spread = max(msgs) / min(msgs)
    b = derived(tmp_path, "views_rep5_a.json", latency={rate: 2.0},
                throughput={fanin: 1 / (2 * spread)})
    rows, _, _ = rows_by(fixture("views_rep5_a.json"), b, mannwhitneyu)
    b_reps = load(b).rows

    def per_rep(name, key):
        return [[r[key] for r in reps if r["name"] == name]
                for reps in (load(fixture("views_rep5_a.json")).rows,
                             b_reps)]
    for metric, key in (("p50", "p50_ns"), ("p99", "p99_ns")):
        r = rows[(rate, metric)]
        assert r["ratio"] == 2.0
        assert r["p"] == pytest.approx(mannwhitneyu(*per_rep(
            rate, key)).pvalue)
        verdict = "significant" if r["p"] < 0.05 else "not significant"
        assert r["significance"].startswith(f"{verdict} (p={r['p']:.3g}, "
                                            "5 vs 5")
    r = rows[(fanin, "msgs/s")]
    assert r["ratio"] == pytest.approx(1 / (2 * spread))
    assert r["lower_is_better"] is False
    assert r["p"] == pytest.approx(2 / 252)
    assert r["significance"].startswith("significant (p=0.00794, 5 vs 5")
    # headlines are Google Benchmark's medians of the lat_ / msgs counters
    med = {m["run_name"]: m for m in load_doc("views_rep5_a.json")[
        "benchmarks"] if m.get("aggregate_name") == "median"}
    assert rows[(rate, "p50")]["a"] == med[rate]["lat_p50_ns"]
    assert rows[(fanin, "msgs/s")]["a"] == med[fanin]["msgs_per_s"]
    for key in ((rate, "achieved/s"), (rate, "missed"), (fanin, "p50"),
                (fanin, "p99"), (fanin, "Jain")):
        assert rows[key]["significance"] == "context, not tested"
        # B has A's figure: the ratio is 1, or none when both are 0 (a rate
        # run that missed no slot)
        assert rows[key]["p"] is None
        assert rows[key]["ratio"] == (1.0 if rows[key]["a"] else None)


def test_rate_and_fanin_alone_are_compared_and_charted(tmp_path):
    """Before, two runs of these scenarios had "no benchmark in common"."""
    for a, b in (("rate.json", rate_b(tmp_path)),
                 ("fanin.json", fanin_b(tmp_path))):
        out = tmp_path / a
        done = run_script("compare.py", fixture(a), b, "--out-dir", out)
        assert done.returncode == 0, done.stderr
        assert sorted(os.listdir(out)) == ["compare.png", "compare.svg"]


def drawn_lines(a, b):
    a, b = load(a), load(b)
    rows, _, _ = comparison.compare_rows(a, b)
    plt = cc.import_pyplot()
    fig = compare_chart.make_figure(rows, a, b, plt)
    out = {ax.get_title(): {line.get_label(): line
                            for line in ax.get_lines()
                            if not line.get_label().startswith("_")}
           for ax in fig.axes}
    plt.close(fig)
    return out


def xy(line):
    return list(zip(line.get_xdata(), line.get_ydata()))


def test_chart_of_rate_against_offered_rate(tmp_path):
    panels = drawn_lines(fixture("rate.json"), rate_b(tmp_path))
    title = "Latency from the intended send time at an offered rate, B/A"
    assert list(panels) == [title]
    lines = panels[title]
    assert sorted(lines) == ["pipe:block p50", "pipe:block p99",
                             "shm_ring:block p50", "shm_ring:block p99"]
    assert xy(lines["pipe:block p50"]) == [(1000.0, 2.0), (10000.0, 1.0),
                                           (50000.0, 1.0)]
    assert xy(lines["shm_ring:block p99"]) == [(1000.0, 1.0), (10000.0, 1.0),
                                               (50000.0, 0.5)]


def test_chart_of_fanin_against_producers(tmp_path):
    panels = drawn_lines(fixture("fanin.json"), fanin_b(tmp_path))
    title = "Fan-in aggregate throughput (msgs/s), B/A"
    assert list(panels) == [title]
    lines = panels[title]
    # a line per transport:wait and size (the x axis is producers)
    assert sorted(lines) == [
        "posix_mq:block, 4 KiB msgs/s", "posix_mq:block, 64 B msgs/s",
        "unix_dgram:block, 4 KiB msgs/s", "unix_dgram:block, 64 B msgs/s"]
    assert xy(lines["posix_mq:block, 64 B msgs/s"]) == [
        (1, 1.0), (2, 1.0), (4, 2.0)]
    assert xy(lines["unix_dgram:block, 4 KiB msgs/s"]) == [
        (1, 1.0), (2, 0.5), (4, 1.0)]
    assert lines["posix_mq:block, 64 B msgs/s"].get_linestyle() == "-"
    assert lines["posix_mq:block, 4 KiB msgs/s"].get_linestyle() == "--"


# ---- --pairs ---------------------------------------------------------------

# pairs_a.json -> pairs_b: the one-pair and the two-pair ping-pong of pipe
# at 64 B scaled in opposite directions, the two-pair stream at 4 KiB x4
# (aggregate and each pair); the two-pair rate benchmarks are skipped on
# both sides
PAIRS_B = dict(latency={"pingpong/pipe/64": 2.0,
                        "pingpong/pipe/64/2_pairs": 0.5},
               throughput={"stream/pipe/4096/2_pairs": 4.0})


def pairs_b(tmp_path):
    return derived(tmp_path, "pairs_a.json", **PAIRS_B)


def pairs_ratios():
    missed = records("pairs_a.json")["rate/pipe/64/10000_per_s"]["rate"][
        "missed_slots"]
    return {
        ("pingpong/pipe/64", "p50"): 2.0, ("pingpong/pipe/64", "p99"): 2.0,
        ("pingpong/pipe/64/2_pairs", "p50"): 0.5,
        ("pingpong/pipe/64/2_pairs", "p99"): 0.5,
        ("pingpong/pipe/64/2_pairs", "trips/s"): 2.0,
        ("pingpong/pipe/4096", "p50"): 1.0,
        ("pingpong/pipe/4096", "p99"): 1.0,
        ("pingpong/pipe/4096/2_pairs", "p50"): 1.0,
        ("pingpong/pipe/4096/2_pairs", "p99"): 1.0,
        ("pingpong/pipe/4096/2_pairs", "trips/s"): 1.0,
        ("rate/pipe/64/10000_per_s", "p50"): 1.0,
        ("rate/pipe/64/10000_per_s", "p99"): 1.0,
        ("rate/pipe/64/10000_per_s", "achieved/s"): 1.0,
        ("rate/pipe/64/10000_per_s", "missed"): 1.0 if missed else None,
        ("rate/pipe/64/10000_per_s/2_pairs", "p50"): None,
        ("rate/pipe/64/10000_per_s/2_pairs", "p99"): None,
        ("stream/pipe/64", "MB/s"): 1.0,
        ("stream/pipe/64/2_pairs", "MB/s"): 1.0,
        ("stream/pipe/4096", "MB/s"): 1.0,
        ("stream/pipe/4096/2_pairs", "MB/s"): 4.0}


def test_pair_counts_are_matched_one_to_one(tmp_path):
    b = pairs_b(tmp_path)
    rows, only_a, only_b = rows_by(fixture("pairs_a.json"), b)
    assert {k: r["ratio"] for k, r in rows.items()} == pairs_ratios()
    assert only_a == only_b == []
    a_recs = records("pairs_a.json")
    with open(b) as f:
        b_recs = {r["name"]: r for r in json.load(f)["ipcbench"][
            "benchmarks"]}
    for (name, metric), r in rows.items():
        assert r["pairs"] == (2 if name.endswith("/2_pairs") else 1)
        if r["ratio"] is None and name.endswith("/2_pairs"):
            assert r["significance"] == ("A skipped: --pairs applies to the "
                                         "pingpong and stream scenarios")
            continue
        for side, recs in (("a", a_recs), ("b", b_recs)):
            rec = recs[name]
            several = isinstance(rec["pairs"], list)
            assert several == (r["pairs"] == 2)
            if metric == "MB/s":  # the sum over the pairs with --pairs
                expected = (rec["aggregate"] if several else
                            rec["throughput"])["bytes_per_second"]
            elif metric == "trips/s":
                expected = rec["aggregate"]["round_trips_per_s"]
            elif metric in ("p50", "p99"):
                expected = p(rec, metric[1:])
            else:
                continue
            assert r[side] == expected
    assert rows[("stream/pipe/4096/2_pairs", "MB/s")]["b"] == \
        b_recs["stream/pipe/4096/2_pairs"]["aggregate"]["bytes_per_second"]
    # one-pair ping-pong records no round trips per second: no such row
    assert ("pingpong/pipe/64", "trips/s") not in rows


def test_one_pair_and_two_pairs_are_never_matched(tmp_path):
    r = load(fixture("pairs_a.json"))
    assert len({comparison.key_of(h) for h in r.headlines}) == len(r.headlines)
    one = write_json(tmp_path / "one.json", keep_only(
        load_doc("pairs_a.json"), lambda n: not n.endswith("/2_pairs")))
    b = pairs_b(tmp_path)
    with open(b) as f:
        two = write_json(tmp_path / "two.json", keep_only(
            json.load(f), lambda n: n.endswith("/2_pairs")))
    rows, only_a, only_b = comparison.compare_rows(load(one), load(two))
    assert rows == []
    assert only_a == sorted(h["name"] for h in load(one).headlines)
    assert only_b == sorted(h["name"] for h in load(two).headlines)
    assert len(only_a) == len(only_b) == 5
    done = run_script("compare.py", one, two)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{one} and {two} have no benchmark in common (A ran 1 pair at " \
           "once, B 2)" in done.stderr
    # with the rest of the file: each matched with its own pair count
    rows, only_a, only_b = comparison.compare_rows(load(one), load(b))
    assert only_a == [] and len(only_b) == 5
    assert all(r["pairs"] == 1 for r in rows)
    assert rows[0]["name"] == "pingpong/pipe/64" and rows[0]["ratio"] == 2.0


def test_pair_count_is_named_when_the_name_does_not_say_it(tmp_path):
    """The pair count is part of the match even where the names agree."""
    with open(pairs_b(tmp_path)) as f:
        doc = json.load(f)
    for b in doc["benchmarks"] + doc["ipcbench"]["benchmarks"]:
        b["name"] = b["name"].replace("/2_pairs", "")
        if "run_name" in b:
            b["run_name"] = b["run_name"].replace("/2_pairs", "")
    doc = keep_only(doc, lambda n: n.startswith("pingpong/"))
    doc["benchmarks"] = [b for b in doc["benchmarks"]
                         if b.get("pairs") == 2]
    doc["ipcbench"]["benchmarks"] = [
        r for r in doc["ipcbench"]["benchmarks"]
        if isinstance(r["pairs"], list)]
    two = write_json(tmp_path / "two.json", doc)
    rows, only_a, only_b = rows_by(fixture("pairs_a.json"), two)
    assert only_b == [] and "pingpong/pipe/64" in only_a
    assert {k: r["ratio"] for k, r in rows.items()} == {
        ("pingpong/pipe/64 (2 pairs)", "p50"): 0.5,
        ("pingpong/pipe/64 (2 pairs)", "p99"): 0.5,
        ("pingpong/pipe/64 (2 pairs)", "trips/s"): 2.0,
        ("pingpong/pipe/4096 (2 pairs)", "p50"): 1.0,
        ("pingpong/pipe/4096 (2 pairs)", "p99"): 1.0,
        ("pingpong/pipe/4096 (2 pairs)", "trips/s"): 1.0}


def test_printed_table_and_chart_of_pair_counts(tmp_path):
    b = pairs_b(tmp_path)
    done = run_script("compare.py", fixture("pairs_a.json"), b)
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert "N_pairs: N pairs at once; MB/s and trips/s are the sum over " \
           "the pairs, p50 and p99 over every pair's round trips." in lines
    recs = records("pairs_a.json")
    for name, factor, ratio in (("pingpong/pipe/64", 2, "2.000"),
                                ("pingpong/pipe/64/2_pairs", 0.5, "0.500")):
        a = p(recs[name], "50")
        assert row(lines, name, "p50")[2:7] == [
            *cc.fmt_ns(a).split(), *cc.fmt_ns(a * factor).split(), ratio]
    a = recs["stream/pipe/4096/2_pairs"]["aggregate"]["bytes_per_second"]
    assert row(lines, "stream/pipe/4096/2_pairs", "MB/s")[2:5] == [
        f"{a / 1e6:,.1f}", f"{4 * a / 1e6:,.1f}", "4.000"]
    panels = drawn_lines(fixture("pairs_a.json"), b)
    ping = panels["Ping-pong round-trip latency, B/A"]
    assert xy(ping["pipe:block, 1 pair p50"]) == [(64, 2.0), (4096, 1.0)]
    assert xy(ping["pipe:block, 2 pairs p50"]) == [(64, 0.5), (4096, 1.0)]
    assert ping["pipe:block, 1 pair p50"].get_linestyle() == "-"
    assert ping["pipe:block, 2 pairs p50"].get_linestyle() == "--"
    stream = panels["Stream throughput (MB/s), B/A"]
    assert xy(stream["pipe:block, 2 pairs MB/s"]) == [(64, 1.0), (4096, 4.0)]
    # rate ran with one pair only (two pairs were skipped): plain labels
    assert sorted(panels["Latency from the intended send time at an "
                         "offered rate, B/A"]) == ["pipe:block p50",
                                                   "pipe:block p99"]


# ---- comparisons that had rows before are unchanged -------------------------

def test_existing_comparisons_print_exactly_as_before(tmp_path):
    b = compare_b(tmp_path)
    done = run_script("compare.py", fixture("compare_a.json"), b)
    recs = records("compare_a.json")
    lat = lambda name, pct, factor: (  # noqa: E731
        cc.fmt_ns(p(recs[name], pct)), cc.fmt_ns(p(recs[name], pct) * factor))
    mbs = recs["stream/pipe/64"]["throughput"]["bytes_per_second"] / 1e6
    assert done.stdout.splitlines()[2:] == [
        "Headline figures are medians across repetitions; p50 and p99 are "
        "the harness's own percentiles.",
        "benchmark         metric           A           B     B/A  "
        "significance (Mann-Whitney U, alpha 0.05)",
        "pingpong/pipe/64  p50    %11s %11s   1.500  n/a (no repetitions)"
        % lat("pingpong/pipe/64", "50", 1.5),
        "pingpong/pipe/64  p99    %11s %11s   1.500  n/a (no repetitions)"
        % lat("pingpong/pipe/64", "99", 1.5),
        "pingpong/tcp/64   p50    %11s %11s   0.500  n/a (no repetitions)"
        % lat("pingpong/tcp/64", "50", 0.5),
        "pingpong/tcp/64   p99    %11s %11s   0.500  n/a (no repetitions)"
        % lat("pingpong/tcp/64", "99", 0.5),
        "stream/pipe/64    MB/s   %11s %11s   2.000  n/a (no repetitions)"
        % (f"{mbs:,.1f}", f"{2 * mbs:,.1f}")]
    for a, b in (("compare_a.json", b),
                 ("placement.json", placement_b(tmp_path)),
                 ("rep5_a.json", rep5_b(tmp_path)),
                 ("small.json", fixture("with_failures.json"))):
        rows, _, _ = comparison.compare_rows(load(fixture(a)), load(b))
        assert {r["metric"] for r in rows} <= {"p50", "p99", "MB/s"}
        assert all(r["headline"] and r["pairs"] == 1 for r in rows)


FANOUT_NAMES = [f"fanout/{t}/{size}/{n}_consumers"
                for t in ("shm_ring:block", "zmq_ipc")
                for size in (64, 4096) for n in (1, 2)]


def test_fanout_rows_match_by_consumers_and_delivered_is_the_headline(
        tmp_path):
    """fanout.json -> B with one benchmark's delivered rate doubled: every
    fan-out benchmark matched with its own consumer count, delivered msgs/s
    tested (higher is better), latency, loss and the slowest consumer's
    rate beside it as context, each the file's own figure."""
    scaled = "fanout/zmq_ipc/64/2_consumers"
    b = derived(tmp_path, "fanout.json", throughput={scaled: 2.0})
    rows, only_a, only_b = rows_by(fixture("fanout.json"), b)
    assert only_a == only_b == []
    assert {name for name, _ in rows} == set(FANOUT_NAMES)
    a_recs = records("fanout.json")
    for (name, metric), r in rows.items():
        rec = a_recs[name]
        assert r["consumers"] == rec["consumers"]
        assert r["headline"] is (metric == "delivered msgs/s")
        slowest = rec["fanout"]["per_consumer"][rec["fanout"][
            "slowest_consumer"]]["msgs_per_s"]
        assert r["a"] == {"delivered msgs/s": rec["fanout"]["delivered"][
            "msgs_per_s"], "p50": p(rec, "50"),
            "p99": rec["latency"]["percentiles_ns"].get("99"),
            "loss": rec["fanout"]["loss"]["fraction"],
            "slowest/s": slowest}[metric]
        if metric in ("delivered msgs/s", "slowest/s"):
            assert r["ratio"] == (2.0 if name == scaled else 1.0)
            assert r["lower_is_better"] is False
    assert rows[(scaled, "loss")]["lower_is_better"] is True
    done = run_script("compare.py", fixture("fanout.json"), b)
    assert done.returncode == 0 and done.stderr == ""
    assert "fanout: delivered msgs/s is what all consumers together " \
        "received" in done.stdout
