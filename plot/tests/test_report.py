"""report.py: charts plus one self-contained report.html."""

import json
import os
import re

import pytest

from conftest import PLOT_DIR, fixture, run_script, write_json
import report


def make_report(tmp_path, capsys, results):
    out = tmp_path / "out"
    assert report.main([results, "--out-dir", str(out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(out / "report.html")
    with open(printed, encoding="utf-8") as f:
        return out, f.read()


@pytest.mark.parametrize("name", ["small.json", "repetitions.json"])
def test_report_lists_every_benchmark_and_shows_charts(tmp_path, capsys,
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
    # the charts are the PNG files beside the report, linked, not inlined
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    pngs = [n for n in os.listdir(out) if n.endswith(".png")]
    assert sorted(images) == sorted(pngs) and len(pngs) >= 4
    assert sorted(n[:-4] for n in pngs) == sorted(
        n[:-4] for n in os.listdir(out) if n.endswith(".svg"))


def test_report_refers_only_to_files_beside_it(tmp_path, capsys):
    out, html = make_report(tmp_path, capsys, fixture("small.json"))
    for ref in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert ref.startswith("#") or (out / ref).is_file(), ref
    for anchor in re.findall(r'href="#([^"]*)"', html):
        assert f'id="{anchor}"' in html
    assert "<link" not in html and "@import" not in html
    assert "http://" not in html and "https://" not in html


def test_report_of_failed_run_shows_reasons(tmp_path, capsys):
    out, html = make_report(tmp_path, capsys, fixture("with_failures.json"))
    assert "Failures (3)" in html and "Skipped (1)" in html
    assert "peer was killed by signal 11 (SEGV) during run" in html
    assert "producer 0: peer was killed" in html
    assert "fanin is not offered for tcp" in html
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


# report sections of the newer views: (heading, chart stem, words of the
# explanation), and the fixture that has data for each
SECTIONS = {
    "rate.json": ("<h2>Latency under load</h2>", "rate_latency",
                  ["intended send time", "A missed slot is", "hollow marker",
                   "95 %"]),
    "placement.json": ("<h2>Placement</h2>", "placement_compare",
                       ["same = driver and peer pinned to one CPU",
                        "up to 10\u00d7", "like this one"]),
    "fanin.json": ("<h2>Fan-in</h2>", "fanin_throughput",
                   ["Jain", "This run could use 2 CPUs",
                    "from 2 producers on", "oversubscribed"]),
    "fanout.json": ("<h2>Fan-out</h2>", "fanout_throughput",
                    ["delivered rate", "hollow markers", "may drop",
                     "This run could use 2 CPUs", "from 2 consumers on"]),
}


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_report_has_a_section_only_for_views_with_data(tmp_path, capsys,
                                                        name):
    out, html = make_report(tmp_path, capsys, fixture(name))
    heading, stem, words = SECTIONS[name]
    assert html.count(heading) == 1
    section = html[html.index(heading):html.index("<h2>Every benchmark")]
    for w in words:
        assert w in section
    assert f'<figure id="{stem}">' in section
    assert (out / f"{stem}.png").stat().st_size > 10_000
    assert (out / f"{stem}.svg").stat().st_size > 0
    for other, (other_heading, other_stem, _) in SECTIONS.items():
        if other != name:
            assert other_heading not in html
            assert not (out / f"{other_stem}.png").exists()


@pytest.mark.parametrize("results", [
    fixture("small.json"), fixture("repetitions.json"),
    os.path.join(PLOT_DIR, os.pardir, "results", "example", "results.json")])
def test_runs_without_the_new_scenarios_render_as_before(tmp_path, capsys,
                                                         results):
    if not os.path.exists(results):
        pytest.skip(f"{results} is not in this checkout")
    out, html = make_report(tmp_path, capsys, results)
    for heading, stem, _ in SECTIONS.values():
        assert heading not in html
        assert not (out / f"{stem}.png").exists()
    assert "<h2>Charts</h2>" in html and "not drawn" not in html
    assert (out / "latency_vs_size.png").exists()


def test_rate_benchmarks_are_ranked_per_offered_rate():
    import ipcbench_results
    import report_html
    ranks = report_html._rank(ipcbench_results.load(fixture("rate.json")))
    for rate in (1000, 10000, 50000):
        assert sorted(ranks[f"{t}/64/{rate}_per_s"] for t in (
            "rate/pipe", "rate/shm_ring:block")) == [1, 2]
