"""Every chart script writes a non-empty PNG and SVG, and says where."""

import importlib
import os

import pytest

from conftest import fixture, run_script

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
                                    "ranked_bar.py"])
def test_script_runs_standalone(tmp_path, script):
    assert "usage:" in run_script(script, "--help").stdout
    done = run_script(script, fixture("small.json"), "--out-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
