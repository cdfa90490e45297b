"""report.py: charts plus one self-contained report.html."""

import json
import os
import re

import pytest

from conftest import fixture, run_script, write_json
import report


def make_report(tmp_path, capsys, results):
    out = tmp_path / "out"
    assert report.main([results, "--out-dir", str(out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(out / "report.html")
    with open(printed, encoding="utf-8") as f:
        return out, f.read()


@pytest.mark.parametrize("name", ["small.json", "repetitions.json"])
def test_report_lists_every_benchmark_and_embeds_charts(tmp_path, capsys,
                                                        name):
    out, html = make_report(tmp_path, capsys, fixture(name))
    with open(fixture(name)) as f:
        doc = json.load(f)
    for rec in doc["ipcbench"]["benchmarks"]:
        assert f">{rec['name']}<" in html
    for b in doc["benchmarks"]:
        assert b["run_name"] in html
    env = doc["ipcbench"]["environment"]
    for text in (env["cpu_model"], env["kernel"], env["hostname"],
                 env["build"]["git_commit"], env["build"]["compiler"],
                 str(env["clock"]["read_cost_ns"]), "CPUs used per side",
                 doc["ipcbench"]["warnings"][0]):
        assert text in html
    images = re.findall(r'src="data:image/png;base64,', html)
    pngs = [n for n in os.listdir(out) if n.endswith(".png")]
    assert len(images) == len(pngs) >= 4
    assert sorted(n[:-4] for n in pngs) == sorted(
        n[:-4] for n in os.listdir(out) if n.endswith(".svg"))


def test_report_is_self_contained(tmp_path, capsys):
    _, html = make_report(tmp_path, capsys, fixture("small.json"))
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    assert "<link" not in html and "@import" not in html
    assert "http://" not in html and "https://" not in html


def test_report_of_failed_run_shows_reasons(tmp_path, capsys):
    out, html = make_report(tmp_path, capsys, fixture("with_failures.json"))
    assert "Failures (2)" in html and "Skipped (1)" in html
    assert "peer was killed by signal 11 (SEGV) during run" in html
    assert "mq_open: Function not implemented" in html
    assert "not drawn" in html
    assert os.listdir(out) == ["report.html"]


def test_strings_from_the_file_are_escaped(tmp_path, capsys, small_doc):
    small_doc["ipcbench"]["warnings"] = ["<script>alert(1)</script>"]
    _, html = make_report(tmp_path, capsys,
                          write_json(tmp_path / "r.json", small_doc))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_incomplete_run_is_flagged(tmp_path, capsys, small_doc):
    small_doc["ipcbench"]["complete"] = False
    _, html = make_report(tmp_path, capsys,
                          write_json(tmp_path / "r.json", small_doc))
    assert "Incomplete run" in html


def test_default_out_dir_and_standalone_run(tmp_path):
    results = tmp_path / "results.json"
    results.write_bytes(open(fixture("small.json"), "rb").read())
    done = run_script("report.py", results)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "report.html")
    assert (tmp_path / "latency_vs_size.svg").stat().st_size > 0
