"""hgrm.py: HdrHistogram's percentile text format (.hgrm) from the recorded
percentiles: the exact text of a hand-computed distribution, the rows of a
real one, file names, and files created exclusively (never over an existing
file unless --force, never through a symbolic link, all or none); and
./run_all.sh --export=hgrm."""

import json
import os
import shutil
import subprocess
from fractions import Fraction

import pytest

from conftest import PLOT_DIR, fixture, run_script, write_json
import hgrm

# count 1000; recorded: p0, p50, p68, p90, p99, p99.9, p100
KNOWN = {"unit": "ns", "count": 1000, "mean_ns": 2100.25,
         "stddev_ns": 800.75, "min_ns": 1500, "max_ns": 10000,
         "percentiles_ns": {"0": 1500, "50": 2000, "68": 2200, "90": 2500,
                            "99": 4000, "99.9": 7000, "100": 10000}}

# By hand: ticks 0 | 10..50 | 55, 60, 65 | 70 ... 90 | 90.625 ... 99 |
# 99.0625 ... 99.8... | above 99.9 map to p0, p50, p68, p90, p99, p99.9,
# then p100 ends the rows. Ranks ceil(p x 1000); 1/(1-p): 1, 2, 3.125 (half
# up: 3.13), 10, 100, 1000; values / 1000 (us); mean 2.10025 -> 2.100,
# stddev 0.80075 -> 0.801.
KNOWN_TEXT = (
    "       Value     Percentile TotalCount 1/(1-Percentile)\n"
    "\n"
    "       1.500 0.000000000000          1           1.00\n"
    "       2.000 0.500000000000        500           2.00\n"
    "       2.200 0.680000000000        680           3.13\n"
    "       2.500 0.900000000000        900          10.00\n"
    "       4.000 0.990000000000        990         100.00\n"
    "       7.000 0.999000000000        999        1000.00\n"
    "      10.000 1.000000000000       1000\n"
    "#[Mean    =        2.100, StdDeviation   =        0.801]\n"
    "#[Max     =       10.000, Total count    =         1000]\n"
    "#[Buckets =            0, SubBuckets     =            0]\n")


def test_ticks_are_hdrhistograms():
    t = hgrm.ticks()
    first = [next(t) for _ in range(22)]
    assert first == [Fraction(x) for x in (
        0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, "77.5", 80, "82.5", 85,
        "87.5", "88.75", 90, "91.25", "92.5", "93.75", "94.375")]


def test_known_distribution_exact_text():
    text = hgrm.format_hgrm(KNOWN, "us", "test/pipe/64")
    assert text.startswith(KNOWN_TEXT)
    notes = text[len(KNOWN_TEXT):].splitlines()
    assert len(notes) == 2 and all(n.startswith("# ") for n in notes)
    assert "test/pipe/64" in notes[0]
    assert "microseconds (ns / 1000)" in notes[0]
    assert "nearest at or above" in notes[1]


def test_known_distribution_in_nanoseconds():
    lines = hgrm.format_hgrm(KNOWN, "ns").splitlines()
    assert lines[2] == "    1500.000 0.000000000000          1           1.00"
    assert lines[8] == "   10000.000 1.000000000000       1000"
    assert lines[9] == ("#[Mean    =     2100.250, StdDeviation   =      "
                        "800.750]")


def parse(text):
    """[(value, percentile, total count)] of an .hgrm text's rows."""
    rows = []
    for line in text.splitlines()[2:]:
        if line.startswith("#"):
            break
        cols = line.split()
        rows.append((float(cols[0]), float(cols[1]), int(cols[2])))
    return rows


def test_rows_of_a_real_distribution_are_recorded_percentiles():
    with open(fixture("small.json")) as f:
        rec = json.load(f)["ipcbench"]["benchmarks"][0]
    lat = rec["latency"]
    rows = parse(hgrm.format_hgrm(lat, "ns"))
    recorded = {(float(v), round(float(p) / 100, 12))
                for p, v in lat["percentiles_ns"].items()}
    assert all((v, p) in recorded for v, p, _ in rows)
    # percentiles strictly increase; the first is p0, the last p100
    assert [p for _, p, _ in rows] == sorted({p for _, p, _ in rows})
    assert rows[0][1:] == (0.0, 1) and rows[-1] == (lat["max_ns"], 1.0,
                                                    lat["count"])
    # the tick 77.5 is p78; 82.5 is p83; p50's rank ceil(0.5 x count)
    ps = [p for _, p, _ in rows]
    assert 0.78 in ps and 0.775 not in ps and 0.83 in ps
    n = lat["count"]
    assert dict((p, c) for _, p, c in rows)[0.5] == -(-n // 2)


def test_nearest_rank_as_the_harness():
    assert hgrm.nearest_rank(Fraction(0), 3059) == 1
    assert hgrm.nearest_rank(Fraction("99.9"), 3059) == 3056
    assert hgrm.nearest_rank(Fraction(100), 3059) == 3059


def test_safe_names():
    assert hgrm.safe_name("pingpong/pipe:spin/64/same") == \
        "pingpong_pipe-spin_64_same"
    assert hgrm.safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert hgrm.safe_name("a b\nc") == "a_b_c"
    assert hgrm.safe_name("...") == "benchmark"


def export(src, out, *extra):
    return run_script("hgrm.py", src, "--out-dir", out, *extra)


def test_one_file_per_benchmark_with_a_latency_distribution(tmp_path):
    out = tmp_path / "hgrm"
    done = export(fixture("small.json"), out)
    assert done.returncode == 0, done.stderr
    names = [f"pingpong_{t}_{s}.hgrm" for t in ("pipe", "tcp")
             for s in (64, 4096, 65536)]
    assert sorted(os.listdir(out)) == sorted(names)  # no stream files
    assert done.stdout.splitlines() == [f"hgrm: {out / n}" for n in names]
    text = (out / "pingpong_pipe_64.hgrm").read_text()
    assert text.startswith("       Value     Percentile TotalCount "
                           "1/(1-Percentile)\n\n")


def test_repetitions_and_oneway_directions(tmp_path):
    done = export(fixture("rep5_a.json"), tmp_path / "r")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "r")) == [
        f"pingpong_pipe_64.rep{i}.hgrm" for i in range(5)]
    done = export(fixture("oneway.json"), tmp_path / "o")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "o")) == sorted(
        f"oneway_{t}_{s}{side}.hgrm" for t in ("pipe", "tcp")
        for s in (64, 4096)
        for side in ("", ".driver_to_peer", ".peer_to_driver"))


def test_batch_means_are_not_exported(tmp_path, small_doc):
    rec = small_doc["ipcbench"]["benchmarks"][0]
    rec["latency"].update(kind="batch_mean", batch=12)
    src = write_json(tmp_path / "batch.json", small_doc)
    done = export(src, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "pingpong_pipe_64.hgrm" not in os.listdir(tmp_path / "out")
    assert "not exported: pingpong/pipe/64 \u2014 batch means" in done.stdout


def test_no_latency_distribution_is_an_error(tmp_path, small_doc):
    ib = small_doc["ipcbench"]
    ib["benchmarks"] = [r for r in ib["benchmarks"]
                        if r["scenario"] == "stream"]
    small_doc["benchmarks"] = [b for b in small_doc["benchmarks"]
                               if b["name"].startswith("stream/")]
    src = write_json(tmp_path / "stream.json", small_doc)
    done = export(src, tmp_path / "out")
    assert done.returncode == 2 and done.stdout == ""
    assert "no latency distribution to export" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_existing_file_is_never_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "pingpong_tcp_64.hgrm").write_text("mine\n")
    done = export(fixture("small.json"), out)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "pingpong_tcp_64.hgrm exists; not overwritten" in done.stderr
    # all or none: nothing else written, the file untouched
    assert os.listdir(out) == ["pingpong_tcp_64.hgrm"]
    assert (out / "pingpong_tcp_64.hgrm").read_text() == "mine\n"
    done = export(fixture("small.json"), out, "--force")
    assert done.returncode == 0, done.stderr
    assert len(os.listdir(out)) == 6
    assert (out / "pingpong_tcp_64.hgrm").read_text().startswith(
        "       Value")


@pytest.mark.parametrize("force", [False, True])
def test_a_symlink_is_never_written_through(tmp_path, force):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    os.symlink(victim, out / "pingpong_pipe_64.hgrm")
    os.symlink(tmp_path / "absent", out / "pingpong_pipe_4096.hgrm")
    done = export(fixture("small.json"), out,
                  *(["--force"] if force else []))
    assert done.returncode == 2 and done.stdout == ""
    assert "pingpong_pipe_64.hgrm" in done.stderr
    assert victim.read_text() == "keep\n"
    assert not (tmp_path / "absent").exists()
    assert sorted(os.listdir(out)) == ["pingpong_pipe_4096.hgrm",
                                       "pingpong_pipe_64.hgrm"]
    assert os.path.islink(out / "pingpong_pipe_64.hgrm")


def test_write_files_refuses_a_dangling_link_created_directly(tmp_path):
    os.symlink(tmp_path / "target", tmp_path / "x.hgrm")
    with pytest.raises(hgrm.PlotError):
        hgrm.write_files(str(tmp_path), {"x.hgrm": "text"})
    assert not (tmp_path / "target").exists()


def test_run_all_export_hgrm(tmp_path):
    src = tmp_path / "results.json"
    shutil.copy(fixture("small.json"), src)
    run_all = os.path.join(PLOT_DIR, os.pardir, "run_all.sh")
    done = subprocess.run([run_all, "--export=hgrm", "results.json"],
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(os.listdir(tmp_path / "hgrm")) == 6  # beside results.json
    done = subprocess.run([run_all, "--export=csv", "results.json"],
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 2
    assert "the one format is hgrm" in done.stderr


def test_bad_peer_to_driver_figures(tmp_path):
    """load() reads no peer_to_driver distribution; hgrm.py checks it."""
    with open(fixture("oneway.json")) as f:
        doc = json.load(f)
    rec = doc["ipcbench"]["benchmarks"][0]
    rec["oneway"]["peer_to_driver"]["percentiles_ns"]["99"] = float("nan")
    src = write_json(tmp_path / "nan.json", doc)
    done = export(src, tmp_path / "nan")
    assert done.returncode == 0, done.stderr
    name = hgrm.safe_name(rec["name"])
    assert f"{name}.peer_to_driver.hgrm" not in os.listdir(tmp_path / "nan")
    assert f"{name}.driver_to_peer.hgrm" in os.listdir(tmp_path / "nan")
    assert "one-way peer to driver \u2014 invalid figure" in done.stdout
    rec["oneway"]["peer_to_driver"]["percentiles_ns"]["99"] = "slow"
    src = write_json(tmp_path / "str.json", doc)
    done = export(src, tmp_path / "str")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "str").exists()
