"""heatmap.py: a row per transport:wait grouped by family, a column per
size, each cell's figure relative to the best at its size."""

import pytest

from conftest import write_json
from derive import load_doc
from families import SHARED_MEMORY
from test_family_charts import many_families_doc
import families
import heatmap
import ipcbench_results as ir


@pytest.fixture
def many(tmp_path):
    return write_json(tmp_path / "many.json", many_families_doc(
        waits=("block", "spin")))


@pytest.mark.parametrize("value, unit, text", [
    (412, "ns", "0.41"), (12_345, "ns", "12.3"), (250_400, "ns", "250"),
    (85.24e6, "B/s", "85.2 MB/s"), (150.4e6, "B/s", "150 MB/s"),
    (1.234e9, "B/s", "1.23 GB/s"), (None, "ns", "")])
def test_heatmap_cell_text_is_short(value, unit, text):
    assert heatmap.cell_text(value, unit) == text


def test_heatmap_values_are_the_files_relative_to_the_best(tmp_path):
    doc = load_doc("small.json")
    for r in doc["ipcbench"]["benchmarks"]:
        if r["name"] == "pingpong/tcp/4096":
            r.pop("latency")
            r["error"] = "peer crashed"
    path = write_json(tmp_path / "r.json", doc)
    recs = {(r["transport"], r["message_bytes"]): r
            for r in doc["ipcbench"]["benchmarks"]
            if r["scenario"] == "pingpong"}
    rows, sizes, figures, rel = heatmap.heatmap_values(ir.load(path),
                                                       "pingpong")
    assert sizes == [64, 4096, 65536]
    assert sorted(label for _, label in rows) == ["pipe:block", "tcp:block"]
    for size in sizes:
        p50 = {t: recs[(t, size)].get("latency", {}).get(
            "percentiles_ns", {}).get("50") for t in ("pipe", "tcp")}
        best = min(v for v in p50.values() if v is not None)
        for t, v in p50.items():
            assert figures[f"{t}:block"][size] == v
            assert rel[f"{t}:block"][size] == (best / v if v else None)
    assert rel["tcp:block"][4096] is None  # the failed one: a grey cell


def test_heatmap_rows_grouped_by_family_best_first(many):
    rows, sizes = heatmap.heatmap_rows(ir.load(many), "pingpong")
    fams = [f for f, _, _ in rows]
    assert fams == sorted(fams, key=families.FAMILIES.index)
    assert len(rows) == 10 * 2 and sizes == [64, 4096, 65536]
    shm = [label for f, label, _ in rows if f == SHARED_MEMORY]
    assert shm == ["shm_ring:block", "shm_ring:spin", "eventfd:block",
                   "eventfd:spin"]


