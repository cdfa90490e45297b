"""The distributions side file (distributions.json.gz): the loader puts its
full spectra back into the records when it belongs to the results file
(size and CRC-32 match), and every script works without it."""

import copy
import gzip
import json
import zlib

from conftest import fixture, run_script
import ipcbench_results as ir

KEPT = ["0", "10", "25", "50", "75", "90", "95", "99", "99.5", "99.9",
        "99.95", "99.99", "99.999", "100"]


def split(doc, details=False):
    """doc as ipcbench writes it now: kept percentiles, and the side
    document with the full spectra of every record's latency (and with
    `details`, the CPU-time breakdown and cpu.source as a merge patch)."""
    doc = copy.deepcopy(doc)
    side = {"format": "ipcbench-distributions", "schema_version": 1,
            "benchmarks": []}
    for i, rec in enumerate(doc["ipcbench"]["benchmarks"]):
        lat = rec.get("latency")
        if not lat:
            continue
        full = lat["percentiles_ns"]
        lat["percentiles_ns"] = {k: v for k, v in full.items() if k in KEPT}
        item = {"index": i, "name": rec["name"], "repetition_index": 0,
                "spectra": {"/latency": full}}
        if details and "cpu" in rec:
            cpu = rec["cpu"]
            item["details"] = {"cpu": {
                "source": cpu.pop("source"),
                "driver": {"user_ns_per_msg": cpu["driver"].pop(
                    "user_ns_per_msg")}}}
        side["benchmarks"].append(item)
    return doc, side


def write_run(tmp_path, crc_offset=0, details=False):
    with open(fixture("small.json")) as f:
        original = json.load(f)
    doc, side = split(original, details)
    data = gzip.compress(json.dumps(side).encode())
    (tmp_path / "distributions.json.gz").write_bytes(data)
    doc["ipcbench"]["distributions"] = {
        "file": "distributions.json.gz", "format": "ipcbench-distributions",
        "bytes": len(data), "crc32": zlib.crc32(data) + crc_offset,
        "kept_percentiles": KEPT, "distributions": len(side["benchmarks"])}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return str(path), original


def spectra(results):
    return [len(r["percentiles_ns"]) for r in results.rows
            if r["percentiles_ns"]]


def test_the_side_file_restores_every_spectrum(tmp_path):
    path, original = write_run(tmp_path)
    results = ir.load(path)
    assert results.full_spectra and results.spectra_note == ""
    full = ir.Results(fixture("small.json"), original)
    assert spectra(results) == spectra(full) and max(spectra(results)) > 14


def test_the_side_file_restores_every_detail(tmp_path):
    path, original = write_run(tmp_path, details=True)
    with open(path) as f:
        plain = json.load(f)["ipcbench"]["benchmarks"]
    assert any("cpu" in r and "source" not in r["cpu"] for r in plain)
    results = ir.load(path)
    assert results.full_spectra
    assert results.block["benchmarks"] == original["ipcbench"]["benchmarks"]


def test_without_the_side_file_the_kept_percentiles_are_drawn(tmp_path):
    path, _ = write_run(tmp_path)
    (tmp_path / "distributions.json.gz").unlink()
    results = ir.load(path)
    assert not results.full_spectra
    assert "distributions.json.gz is missing" in results.spectra_note
    assert max(spectra(results)) <= len(KEPT)
    proc = run_script("latency_cdf.py", path, "--size", "64", "--out-dir",
                      tmp_path / "charts")
    assert proc.returncode == 0, proc.stderr
    assert "distributions.json.gz is missing" in proc.stderr
    assert "records lack the details kept in the side file" in proc.stderr
    assert (tmp_path / "charts" / "latency_cdf_64.png").is_file()
    proc = run_script("hgrm.py", path, "--out-dir", tmp_path / "hgrm")
    assert proc.returncode == 0, proc.stderr


def test_a_side_file_of_another_run_is_not_read(tmp_path):
    path, _ = write_run(tmp_path, crc_offset=1)
    results = ir.load(path)
    assert not results.full_spectra
    assert "does not belong" in results.spectra_note
    assert max(spectra(results)) <= len(KEPT)


def test_a_side_file_name_with_a_directory_is_refused(tmp_path):
    path, _ = write_run(tmp_path)
    doc = json.loads((tmp_path / "results.json").read_text())
    doc["ipcbench"]["distributions"]["file"] = "../distributions.json.gz"
    (tmp_path / "results.json").write_text(json.dumps(doc))
    results = ir.load(path)
    assert not results.full_spectra and "not a file name" in (
        results.spectra_note)
