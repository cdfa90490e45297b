"""compare.py --fail-above=X%: the regression gate's exit status (0 pass,
1 a benchmark worse, 2 a bad threshold), with repetitions (Mann-Whitney U)
and single runs (the threshold alone), benchmarks of one run only listed,
never failing; and the same through ./run_all.sh --compare.

Run B of each case is run A (a fixture) with figures scaled by the factors
the test states (derive.py), so every ratio is known."""

import os
import subprocess

import pytest

from conftest import PLOT_DIR, fixture, run_script
from derive import derived
import comparison
from ipcbench_results import load

RUN_ALL = os.path.join(PLOT_DIR, os.pardir, "run_all.sh")


def gate(a, b, threshold, *extra):
    return run_script("compare.py", a, b, f"--fail-above={threshold}",
                      *extra)


def gate_lines(done):
    """The lines of the gate's section of compare.py's output."""
    lines = done.stdout.splitlines()
    start = next(i for i, x in enumerate(lines)
                 if x.startswith("Regression gate"))
    return lines[start:]


def row_of(lines, name, metric):
    return next(x.split() for x in lines
                if x.split()[:2] == [name, metric])


@pytest.mark.parametrize("bad, what", [
    ("abc", "is not a percentage"), ("-5%", "is negative"),
    ("5", "has no % sign"), ("%", "is not a percentage"),
    ("nan%", "is not a percentage"), ("", "is not a percentage")])
def test_bad_thresholds_exit_2_with_one_line(bad, what):
    done = gate(fixture("compare_a.json"), fixture("compare_a.json"), bad)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"plot: --fail-above={bad} {what} \u2014 give a percentage of 0% "
        "or more, such as --fail-above=5%"]


def single_b(tmp_path):
    """compare_a.json with pipe's ping-pong latency x1.5, stream
    throughput of pipe x0.5 (both worse), no tcp ping-pong."""
    return derived(tmp_path, "compare_a.json",
                   latency={"pingpong/pipe/64": 1.5},
                   throughput={"stream/pipe/64": 0.5},
                   drop={"pingpong/tcp/64"})


def test_single_runs_fail_on_the_threshold_alone(tmp_path):
    done = gate(fixture("compare_a.json"), single_b(tmp_path), "5%")
    assert done.returncode == 1, done.stderr
    lines = gate_lines(done)
    assert "gate: FAIL \u2014 2 benchmarks worse in B than A by more than " \
           "5%:" in lines
    fail = lines[lines.index(next(x for x in lines
                                  if x.startswith("gate: FAIL"))):]
    assert row_of(fail, "pingpong/pipe/64", "p50")[-7:] == [
        "1.500", "50.0%", "worse", "single", "run:", "threshold", "only"]
    assert row_of(fail, "stream/pipe/64", "MB/s")[4:] == [
        "0.500", "50.0%", "worse", "single", "run:", "threshold", "only"]
    # the p99 beside the headline is shown in the table, never gated
    assert not any(x.split()[:2] == ["pingpong/pipe/64", "p99"]
                   for x in lines)
    # tcp ping-pong is in A only: listed, not failing
    assert "Not gated, only in A: pingpong/tcp/64" in lines


@pytest.mark.parametrize("threshold, status", [
    ("49.9%", 1), ("50%", 0), ("60%", 0), ("0%", 1)])
def test_worse_means_by_more_than_the_threshold(tmp_path, threshold, status):
    done = gate(fixture("compare_a.json"), single_b(tmp_path), threshold)
    assert done.returncode == status, done.stdout
    if status == 0:
        assert gate_lines(done)[-1].startswith("gate: pass")


def test_better_b_passes(tmp_path):
    b = derived(tmp_path, "compare_a.json",
                latency={"pingpong/pipe/64": 0.5, "pingpong/tcp/64": 0.5},
                throughput={"stream/pipe/64": 2.0})
    done = gate(fixture("compare_a.json"), b, "5%")
    assert done.returncode == 0, done.stdout
    assert gate_lines(done)[1:] == [
        "gate: pass \u2014 no benchmark worse in B than A by more than 5% "
        "(and significantly so, where tested)"]


def rep5_b(tmp_path, factor):
    return derived(tmp_path, "rep5_a.json",
                   latency={"pingpong/pipe/64": factor})


def test_repetitions_fail_when_significant_and_beyond(tmp_path):
    done = gate(fixture("rep5_a.json"), rep5_b(tmp_path, 4.0), "5%")
    assert done.returncode == 1, done.stderr
    fail = gate_lines(done)
    # 5 vs 5 with no overlap: the exact two-sided p is 2 / C(10, 5)
    assert row_of(fail, "pingpong/pipe/64", "p50")[-4:] == [
        "4.000", "300.0%", "worse", "p=0.00794"]
    assert "single run: threshold only" not in done.stdout


def test_repetitions_within_the_threshold_pass(tmp_path):
    # x1.02 is within 5 %, whether significant or not
    done = gate(fixture("rep5_a.json"), rep5_b(tmp_path, 1.02), "5%")
    assert done.returncode == 0, done.stdout
    done = gate(fixture("rep5_a.json"), fixture("rep5_a.json"), "0%")
    assert done.returncode == 0, done.stdout


def test_beyond_the_threshold_but_not_significant_passes(tmp_path):
    # 3 vs 3 repetitions cannot reach p < 0.05: listed, not failing
    b = derived(tmp_path, "repetitions.json",
                latency={"pingpong/pipe/64": 2.0})
    done = gate(fixture("repetitions.json"), b, "5%")
    assert done.returncode == 0, done.stdout
    lines = gate_lines(done)
    assert "Worse by more than 5% but not significant (not failing):" in lines
    row = " ".join(row_of(lines, "pingpong/pipe/64", "p50"))
    assert "2.000 100.0% worse not significant (p=0.1, 3 vs 3 reps)" in row
    assert "cannot reach p<0.05" in row


def test_repetitions_against_a_single_run_use_the_threshold(tmp_path):
    b = derived(tmp_path, "compare_a.json",
                latency={"pingpong/pipe/64": 4.0})
    done = gate(fixture("rep5_a.json"), b, "5%")
    assert done.returncode == 1, done.stdout
    assert row_of(gate_lines(done), "pingpong/pipe/64", "p50")[-3:] == [
        "run:", "threshold", "only"]


def test_a_benchmark_of_one_run_only_never_fails(tmp_path):
    a = derived(tmp_path, "compare_a.json", drop={"stream/pipe/64"},
                out="a.json")
    # B: the stream at a quarter of A's: it would fail if it were in A
    b = derived(tmp_path, "compare_a.json",
                throughput={"stream/pipe/64": 0.25}, out="b.json")
    done = gate(a, b, "5%")
    assert done.returncode == 0, done.stdout
    assert "Not gated, only in B: stream/pipe/64" in gate_lines(done)


def test_failed_benchmarks_are_listed_not_gated():
    rows, only_a, only_b = comparison.compare_rows(
        load(fixture("small.json")), load(fixture("with_failures.json")))
    verdict = comparison.gate(rows, only_a, only_b, 0.05)
    names = dict(verdict["not_gated"])
    assert names["pingpong/pipe/64"].startswith(
        "B failed: peer was killed by signal 11")
    assert verdict["only_b"] == only_b and only_b


def test_worse_by_follows_each_headline_direction():
    latency = {"ratio": 1.25, "lower_is_better": True}
    throughput = {"ratio": 0.75, "lower_is_better": False}
    assert comparison.worse_by(latency) == 0.25
    assert comparison.worse_by(throughput) == 0.25
    assert comparison.worse_by(dict(latency, ratio=0.8)) < 0
    assert comparison.worse_by(dict(throughput, ratio=None)) is None


@pytest.mark.parametrize("threshold, status", [("5%", 1), ("60%", 0),
                                               ("five", 2)])
def test_run_all_compare_passes_the_gate_status_on(tmp_path, threshold,
                                                   status):
    done = subprocess.run(
        [RUN_ALL, "--compare", fixture("compare_a.json"), single_b(tmp_path),
         "--out-dir", str(tmp_path / "chart"), f"--fail-above={threshold}"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == status, done.stderr
    if status == 2:
        assert "--fail-above=five is not a percentage" in done.stderr
