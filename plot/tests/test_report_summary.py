"""report.html opens with the best transport per family and message size,
then a table of contents; it links its charts (files beside it) and stays
small, even for a full run."""

import copy
import os
import re

from conftest import fixture, write_json
from derive import load_doc
from test_families import KNOWN
from test_family_charts import many_families_doc
import chart_common as cc
import heatmap
import ipcbench_results as ir
import report
import report_html

# ---- the report -----------------------------------------------------------

def test_report_opens_with_the_best_per_family_and_size(tmp_path, capsys):
    path = fixture("placement.json")
    doc = load_doc("placement.json")
    out = tmp_path / "out"
    assert report.main([path, "--out-dir", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    # the answer first, then the contents, then the rest
    assert page.index('<section id="summary">') < page.index(
        '<nav id="contents">') < page.index("<h2>Environment</h2>")
    summary = page[page.index('<section id="summary">'):page.index("<nav")]
    tables = summary.split("<h3>")[1:]
    assert [t[:t.index("</h3>")] for t in tables] == [
        "Ping-pong round-trip latency", "Stream throughput"]
    for table, scenario in zip(tables, ("pingpong", "stream")):
        head = table[table.index("<thead>"):table.index("</thead>")]
        assert head == ("<thead><tr><th>size</th><th>byte pipes</th><th>"
                        "shared memory</th></tr>")
        rows = table[table.index("</thead>"):].split("<tr>")[1:]
        recs = [r for r in doc["ipcbench"]["benchmarks"]
                if r["scenario"] == scenario]
        sizes = sorted({r["message_bytes"] for r in recs})
        assert len(rows) == len(sizes)
        for row, size in zip(rows, sizes):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
            assert cells[0] == cc.fmt_bytes(size)
            everyone = []
            for cell, transport in zip(cells[1:], ("pipe", "shm_ring")):
                mine = [r for r in recs if r["message_bytes"] == size
                        and r["transport"] == transport]
                if scenario == "pingpong":
                    best = min(mine, key=lambda r: r["latency"][
                        "percentiles_ns"]["50"])
                    pct = best["latency"]["percentiles_ns"]
                    figures = (f"p50 {cc.fmt_ns(pct['50'])} \u00b7 p99 "
                               f"{cc.fmt_ns(pct['99'])}")
                    everyone.append((pct["50"], cell))
                else:
                    best = max(mine, key=lambda r: r["throughput"][
                        "bytes_per_second"])
                    bps = best["throughput"]["bytes_per_second"]
                    figures = heatmap.cell_text(bps, "B/s")
                    everyone.append((-bps, cell))
                label = (f"{transport}:block, "
                         f"{best['placement']['preset']}")
                assert cell.startswith(f"<b>{label}</b><br>{figures}")
            best_cell = min(everyone)[1]
            assert f'<td class="best">{best_cell}</td>' in row


def test_report_without_size_scenarios_has_no_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert report.main([fixture("fanin.json"), "--out-dir", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="summary"' not in page and '<nav id="contents">' in page


def test_report_links_its_charts_and_stays_small(tmp_path, capsys):
    out = tmp_path / "out"
    assert report.main([fixture("small.json"), "--out-dir", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "base64" not in page
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert sorted(sources) == sorted(
        n for n in os.listdir(out) if n.endswith(".png"))
    assert "heatmap_pingpong.png" in sources
    assert "heatmap_stream.png" in sources
    assert len(page.encode()) < 100_000
    total = sum(os.path.getsize(out / n) for n in os.listdir(out))
    assert total < 4_000_000


def test_report_of_a_full_run_is_under_2_mb(tmp_path):
    """26 transports x 2 waits x 9 sizes x ping-pong and stream: the page
    itself (the charts are files beside it)."""
    names = [n for ns in KNOWN.values() for n in ns] + [
        "grpc_uds", "redis", "nats", "iceoryx", "zmq_inproc"]
    assert len(names) >= 26
    doc = many_families_doc({"pipe": names[:13], "tcp": names[13:]},
                            waits=("block", "spin"))
    base = [r for r in doc["ipcbench"]["benchmarks"]]
    for size in (16, 256, 1024, 16384, 262144, 1048576):
        for rec in [r for r in base if r["message_bytes"] == 64]:
            r = copy.deepcopy(rec)
            r["message_bytes"] = size
            r["name"] = r["name"].rpartition("/")[0] + f"/{size}"
            doc["ipcbench"]["benchmarks"].append(r)
    results = ir.load(write_json(tmp_path / "full.json", doc))
    assert len(results.headlines) == len(names) * 2 * 9 * 2
    page = report_html.page(results, [])
    assert len(page.encode("utf-8")) < 2_000_000

