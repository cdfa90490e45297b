"""Bad input, for every script: one line on stderr ("plot: <what> — <how to
fix>"), a non-zero status (2 for bad input), and nothing written."""

import json
import os

import pytest

from conftest import fixture, run_script

# script -> how to call it with one results file and an output directory
SCRIPTS = {
    "latency_vs_size.py": lambda res, out: [res, "--out-dir", out],
    "throughput_vs_size.py": lambda res, out: [res, "--out-dir", out],
    "latency_cdf.py": lambda res, out: [res, "--out-dir", out],
    "ranked_bar.py": lambda res, out: [res, "--out-dir", out],
    "rate_latency.py": lambda res, out: [res, "--out-dir", out],
    "placement_compare.py": lambda res, out: [res, "--out-dir", out],
    "fanin_throughput.py": lambda res, out: [res, "--out-dir", out],
    "heatmap.py": lambda res, out: [res, "--out-dir", out],
    "report.py": lambda res, out: [res, "--out-dir", out],
    "compare.py:A": lambda res, out: [res, fixture("small.json"),
                                      "--out-dir", out],
    "compare.py:B": lambda res, out: [fixture("small.json"), res,
                                      "--out-dir", out],
}


def bad_file(tmp_path, kind):
    """A results file of the given kind of badness; returns its path."""
    path = tmp_path / "in" / "results.json"
    path.parent.mkdir()
    if kind == "missing":
        return str(path)
    if kind == "directory":
        return str(path.parent)
    if kind == "not_json":
        path.write_text("ipcbench: no benchmark matched\n")
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    else:
        with open(fixture("small.json")) as f:
            doc = json.load(f)
        if kind == "no_block":
            del doc["ipcbench"]
        elif kind == "schema_2":
            doc["ipcbench"]["schema_version"] = 2
        elif kind == "no_benchmarks":
            doc["benchmarks"] = []
            doc["ipcbench"]["benchmarks"] = []
        path.write_text(json.dumps(doc))
    return str(path)


BAD = {
    "missing": "does not exist",
    "directory": "is a directory",
    "not_json": "is not JSON",
    "binary": "is not JSON",
    "no_block": 'no "ipcbench" block',
    "schema_2": "schema_version 2",
    "no_benchmarks": "no benchmarks",
}


def assert_clean_failure(done, out_dir, words, status=2):
    lines = done.stderr.splitlines()
    assert done.returncode == status, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("plot: ") and " \u2014 " in lines[0]
    assert words in lines[0]
    assert not os.path.exists(out_dir) or os.listdir(out_dir) == []


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_bad_results_file(tmp_path, script, kind):
    out = str(tmp_path / "out")
    done = run_script(script.split(":")[0],
                      *SCRIPTS[script](bad_file(tmp_path, kind), out))
    assert_clean_failure(done, out, BAD[kind])


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_matplotlib_missing(tmp_path, script):
    shim = tmp_path / "shim" / "matplotlib"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(
        "raise ImportError('No module named matplotlib (simulated)')\n")
    out = str(tmp_path / "out")
    done = run_script(script.split(":")[0],
                      *SCRIPTS[script](fixture("small.json"), out),
                      env={"PYTHONPATH": str(shim.parent)})
    assert_clean_failure(done, out, "matplotlib is not importable", status=3)
    assert "python3-matplotlib" in done.stderr


@pytest.mark.parametrize("script", ["latency_vs_size.py", "latency_cdf.py",
                                    "throughput_vs_size.py", "ranked_bar.py",
                                    "rate_latency.py", "placement_compare.py",
                                    "fanin_throughput.py", "heatmap.py"])
def test_run_with_nothing_to_draw(tmp_path, script):
    out = str(tmp_path / "out")
    done = run_script(script, fixture("with_failures.json"), "--out-dir", out)
    assert_clean_failure(done, out, "has no successful")


def test_size_not_in_run(tmp_path):
    out = str(tmp_path / "out")
    done = run_script("latency_cdf.py", fixture("small.json"), "--size", "100",
                      "--out-dir", out)
    assert_clean_failure(done, out, "sizes with data: 64, 4096, 65536")


def test_unwritable_out_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = run_script("ranked_bar.py", fixture("small.json"), "--out-dir",
                      blocker / "sub")
    assert done.returncode == 2 and "cannot write into" in done.stderr


def test_in_process_import_failure(tmp_path, monkeypatch):
    """The same guard in-process: `import matplotlib` made to fail through
    sys.modules, as a missing package would."""
    import sys
    import chart_common
    from ipcbench_results import PlotError
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(PlotError) as e:
        chart_common.import_pyplot()
    assert e.value.exit_code == 3
