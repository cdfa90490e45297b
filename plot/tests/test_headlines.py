"""headlines.py is the one place that says each scenario's headline figure:
the charts, the report's ranking and table, and compare.py all show and
order by it, in the direction it gives."""

import pytest

from conftest import fixture, run_script
from derive import derived
import compare_chart
import comparison
import headlines
import ipcbench_results as ir
import placement_compare
import ranked_bar
import report_html
from headlines import HEADLINES, METRICS

# a fixture with benchmarks of each scenario
FIXTURES = {"pingpong": "small.json", "oneway": "oneway.json",
            "stream": "small.json", "rate": "rate.json",
            "fanin": "fanin.json", "fanout": "fanout.json"}


def test_every_scenario_has_one_headline_figure_of_the_headlines():
    assert sorted(HEADLINES) == sorted(FIXTURES)
    fields = dict(ir.HEADLINE_FIELDS)
    for h in HEADLINES.values():
        assert h.key in fields and (h.tail is None or h.tail in fields)
        assert h.unit in headlines.UNITS and h.key in METRICS
        assert h.swept in ("message_bytes", "offered_per_s", "producers",
                           "consumers")


@pytest.mark.parametrize("scenario", sorted(FIXTURES))
def test_ranked_bars_and_the_report_rank_by_it(scenario):
    r = ir.load(fixture(FIXTURES[scenario]))
    h = HEADLINES[scenario]
    ranks = report_html._rank(r)
    for size in r.sizes(scenario):
        bars = [head for _, head in ranked_bar.ranked_bars(
            r, scenario=scenario, size=size)]
        values = [b[h.key] for b in bars]
        assert values == sorted(values, reverse=h.higher_is_better)
        # the report ranks within equal settings, in the same order
        for group in {report_html._settings(b) for b in bars}:
            same = [b for b in bars if report_html._settings(b) == group]
            assert [ranks[b["name"]] for b in same] == list(
                range(1, len(same) + 1))


def test_the_copy_baseline_has_no_headline_and_no_rank(tmp_path):
    assert headlines.headline("memcpy") is None
    r = ir.load(fixture("small.json"))
    for h in r.headlines:
        h["scenario"] = "memcpy"
    assert report_html._rank(r) == {}


@pytest.mark.parametrize("scenario", ["pingpong", "stream"])
def test_placement_bars_are_it(scenario):
    r = ir.load(fixture("placement.json"))
    h = HEADLINES[scenario]
    values = placement_compare.placement_values(r)[scenario]
    heads = {(x["series"], x["message_bytes"], x["placement"]): x
             for x in r.select(scenario)}
    for size, groups in values.items():
        for series, by_place in groups.items():
            for place, (value, whisker) in by_place.items():
                head = heads[(series, size, place)]
                assert value == head[h.key]
                assert whisker == (head[h.tail] if h.tail else None)


@pytest.mark.parametrize("scenario", sorted(FIXTURES))
def test_compare_tests_and_charts_it(tmp_path, scenario):
    """B: every benchmark of the scenario with its headline figure x2; the
    headline rows of compare.py are that figure and the one beside it,
    better in the table's direction."""
    name = FIXTURES[scenario]
    h = HEADLINES[scenario]
    names = [x["name"] for x in ir.load(fixture(name)).select(scenario)]
    scale = (dict(throughput=dict.fromkeys(names, 2.0)) if h.unit != "ns"
             else dict(latency=dict.fromkeys(names, 2.0)))
    b = derived(tmp_path, name, **scale)
    rows, _, _ = comparison.compare_rows(ir.load(fixture(name)), ir.load(b))
    mine = [x for x in rows if x["scenario"] == scenario and x["headline"]]
    assert {x["metric"] for x in mine} == {
        METRICS[f] for f in (h.key, h.tail) if f}
    assert all(x["ratio"] == 2.0 for x in mine)
    assert all(x["lower_is_better"] is not h.higher_is_better for x in mine)
    panel = next(p for p in compare_chart.PANELS if p[0] == scenario)
    assert panel[1].startswith(h.title) and panel[2] == h.swept
    assert panel[3] == ("above" if h.higher_is_better else "below") + \
        " 1: B faster"


def test_the_report_table_shows_it_and_says_which_it_is(tmp_path):
    out = tmp_path / "out"
    done = run_script("report.py", fixture("oneway.json"), "--out-dir", out)
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "One-way latency driver\u2192peer: p50, lower is better" in page
    assert "Stream throughput: MB/s, higher is better" in page
    assert "<th>headline</th><th>rank</th>" in page
