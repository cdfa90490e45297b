"""compare.py: exact ratios, significance, environment warnings, chart, and
compatibility with Google Benchmark's own compare.py."""

import os
import subprocess
import sys

import pytest

from conftest import fixture, run_script, write_json
import compare
from ipcbench_results import load
from scipy.stats import mannwhitneyu

GB_COMPARE = "/usr/share/benchmark/compare.py"


def rows_by(a, b, test=None):
    rows, only_a, only_b = compare.compare_rows(load(a), load(b), 0.05, test)
    return {(r["name"], r["metric"]): r for r in rows}, only_a, only_b


def test_ratios_are_exact_on_the_hand_scaled_pair():
    rows, only_a, only_b = rows_by(fixture("compare_a.json"),
                                   fixture("compare_b.json"))
    assert {k: r["ratio"] for k, r in rows.items()} == {
        ("pingpong/pipe/64", "p50"): 1.5, ("pingpong/pipe/64", "p99"): 1.5,
        ("pingpong/tcp/64", "p50"): 0.5, ("pingpong/tcp/64", "p99"): 0.5,
        ("stream/pipe/64", "MB/s"): 1.25}
    assert rows[("stream/pipe/64", "MB/s")]["a"] == 32e6
    assert only_a == only_b == []
    assert all(r["significance"] == "n/a (no repetitions)"
               for r in rows.values())


def test_printed_table(tmp_path):
    done = run_script("compare.py", fixture("compare_a.json"),
                      fixture("compare_b.json"))
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    pipe_p50 = next(x for x in lines if x.startswith("pingpong/pipe/64  p50"))
    assert pipe_p50.split()[2:8] == ["23.7", "\u00b5s", "35.6", "\u00b5s",
                                     "1.500", "n/a"]
    assert any(x.startswith("stream/pipe/64") and " 1.250 " in x
               for x in lines)
    assert "chart:" not in done.stdout  # no --out-dir, no chart


def test_significance_with_repetitions():
    rows, _, _ = rows_by(fixture("rep5_a.json"), fixture("rep5_b.json"),
                         mannwhitneyu)
    p50 = rows[("pingpong/pipe/64", "p50")]
    assert p50["ratio"] == 2.0
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
    for words in ("different machines", "hostname vm vs other",
                  "CPU AMD EPYC vs Other CPU", "different kernels",
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
    assert "pingpong/posix_mq/64" in only_b
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
                      fixture("rep5_b.json"), "--out-dir", out,
                      env={"PYTHONPATH": str(shim.parent)})
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("plot: scipy is not importable")
    assert len(done.stderr.splitlines()) == 1 and not out.exists()


@pytest.mark.skipif(not os.path.exists(GB_COMPARE),
                    reason="libbenchmark-tools is not installed")
def test_google_benchmark_compare_reads_our_files():
    done = subprocess.run([sys.executable, GB_COMPARE, "benchmarks",
                           fixture("rep5_a.json"), fixture("rep5_b.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pingpong/pipe/64" in done.stdout
    assert "stream/pipe/64" in done.stdout
