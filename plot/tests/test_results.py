"""ipcbench_results: loading, validation and flattening of results files."""

import json

import pytest

from conftest import fixture, write_json
import ipcbench_results as ir
import report_html


def small_record(name):
    with open(fixture("small.json")) as f:
        return next(r for r in json.load(f)["ipcbench"]["benchmarks"]
                    if r["name"] == name)


def test_small_run_flattens_to_one_row_per_benchmark():
    r = ir.load(fixture("small.json"))
    assert len(r.rows) == 12 and len(r.headlines) == 12
    row = next(x for x in r.rows if x["name"] == "pingpong/pipe/64")
    assert row["scenario"] == "pingpong" and row["transport"] == "pipe"
    assert row["wait"] == "block" and row["series"] == "pipe:block"
    assert row["message_bytes"] == 64 and row["status"] == "ok"
    # copied from the file, never recomputed
    rec = small_record("pingpong/pipe/64")
    pct = rec["latency"]["percentiles_ns"]
    assert (row["p50_ns"], row["p99_ns"]) == (pct["50"], pct["99"])
    assert row["percentiles_ns"][99.9] == row["p999_ns"] == pct["99.9"]
    assert row["latency_count"] == rec["latency"]["count"]
    assert row["placement_preset"] == "cross"
    assert (row["observed_driver_cpu"], row["observed_peer_cpu"]) == (0, 1)
    assert row["gb_label"] == "cpus 0,1 (cross)"


def test_stream_rows_carry_throughput():
    r = ir.load(fixture("small.json"))
    h = r.select("stream", size=64, series=["pipe"])[0]
    thr = small_record("stream/pipe/64")["throughput"]
    assert h["bytes_per_second"] == thr["bytes_per_second"]
    assert h["msgs_per_s"] == thr["msgs_per_s"]
    assert h["p50_ns"] is None and h["source"] == "single run"


def test_repetitions_use_google_benchmark_median():
    r = ir.load(fixture("repetitions.json"))
    assert len(r.rows) == 24 and len(r.headlines) == 8
    h = r.select("pingpong", ["pipe:block"], 64)[0]
    p50s = sorted(run["p50_ns"] for run in h["runs"])
    assert h["repetitions"] == 3 and h["p50_ns"] == p50s[1]
    assert h["source"] == "Google Benchmark median of 3 repetitions"
    assert ir.representative(h["runs"])["p50_ns"] == p50s[1]
    assert r.max_repetitions() == 3


def test_median_of_repetitions_without_aggregates(tmp_path):
    doc = __import__("json").load(open(fixture("repetitions.json")))
    doc["benchmarks"] = [b for b in doc["benchmarks"]
                         if b["run_type"] == "iteration"]
    r = ir.load(write_json(tmp_path / "r.json", doc))
    h = r.select("pingpong", ["pipe"], 64)[0]
    assert h["source"] == "median of 3 repetitions"
    assert h["p50_ns"] == sorted(x["p50_ns"] for x in h["runs"])[1]


def test_failures_and_skips_are_rows_with_reasons():
    r = ir.load(fixture("with_failures.json"))
    status = {h["name"]: (h["status"], h["reason"]) for h in r.headlines}
    assert status["pingpong/pipe/64"][0] == "failed"
    assert "SEGV" in status["pingpong/pipe/64"][1]
    assert status["fanin/pipe/64/2_producers"][0] == "failed"
    assert status["fanin/tcp/64/2_producers"] == (
        "skipped", r.skipped[0]["reason"])
    assert "fanin is not offered for tcp" in r.skipped[0]["reason"]
    assert r.select("pingpong") == r.select("fanin") == []
    assert len(r.select("pingpong", ok_only=False)) == 2


def test_manual_time_suffix_is_ignored(tmp_path, small_doc):
    for b in small_doc["benchmarks"]:
        b["name"] += "/manual_time"
        b["run_name"] += "/manual_time"
    for b in small_doc["ipcbench"]["benchmarks"]:
        b["name"] += "/manual_time"
    r = ir.load(write_json(tmp_path / "m.json", small_doc))
    row = next(x for x in r.rows if x["name"] == "pingpong/pipe/64")
    assert row["gb_label"] == "cpus 0,1 (cross)"


def test_caption_names_cpu_kernel_and_placement():
    text = ir.load(fixture("repetitions.json")).machine_caption()
    assert "AMD EPYC" in text and "Linux" in text
    assert "placement same" in text and "median of 3 repetitions" in text


@pytest.mark.parametrize("content, words", [
    (None, "does not exist"),
    ("{not json", "is not JSON"),
    ('{"benchmarks": []}', 'no "ipcbench" block'),
    ('{"ipcbench": {"schema_version": 2, "benchmarks": []}}',
     "has schema_version 2; these scripts read version 1 (results/schema/"
     "results-1.schema.json)"),
    ('{"ipcbench": {"schema_version": "1", "benchmarks": []}}',
     'schema_version "1"'),
    ('{"ipcbench": {"schema_version": true, "benchmarks": []}}',
     "schema_version true"),
    ('{"ipcbench": {"benchmarks": []}}', "schema_version null"),
    ('{"ipcbench": {"schema_version": 1, "benchmarks": []}}',
     "no benchmarks"),
])
def test_bad_input_raises_one_line(tmp_path, content, words):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ir.PlotError) as e:
        ir.load(str(path))
    assert words in str(e.value) and "\n" not in str(e.value)
    assert " \u2014 " in str(e.value) and e.value.exit_code == 2


def test_malformed_record_is_bad_input(tmp_path, small_doc):
    small_doc["ipcbench"]["benchmarks"][0]["latency"] = "fast"
    with pytest.raises(ir.PlotError) as e:
        ir.load(write_json(tmp_path / "m.json", small_doc))
    assert "benchmark #0 is malformed" in str(e.value)


# ---- rate and fan-in repetitions, --pairs ----------------------------------

def load_doc(name):
    with open(fixture(name)) as f:
        return json.load(f)


def median_entry(doc, name):
    return next(b for b in doc["benchmarks"] if b["run_name"] == name
                and b.get("aggregate_name") == "median")


@pytest.mark.parametrize("name", ["rate/pipe/64/10000_per_s",
                                  "fanin/pipe/64/2_producers"])
def test_rate_and_fanin_medians_come_from_their_lat_counters(tmp_path, name):
    """Google Benchmark's median aggregate names a rate or fan-in latency
    lat_p50_ns (rtt_p50_ns is ping-pong's): the headline takes that."""
    doc = load_doc("views_rep5_a.json")
    h = next(h for h in ir.load(fixture("views_rep5_a.json")).headlines
             if h["name"] == name)
    med = median_entry(doc, name)
    assert h["source"] == "Google Benchmark median of 5 repetitions"
    assert (h["p50_ns"], h["p99_ns"], h["p999_ns"]) == (
        med["lat_p50_ns"], med["lat_p99_ns"], med["lat_p999_ns"])
    # Marked figures in the aggregate, and an rtt_p50_ns that is not this
    # benchmark's: the lat_ counters are the ones read.
    med.update(lat_p50_ns=111.0, lat_p99_ns=222.0, rtt_p50_ns=999.0,
               rtt_p99_ns=999.0)
    h = next(h for h in ir.load(write_json(tmp_path / "m.json", doc)).headlines
             if h["name"] == name)
    assert (h["p50_ns"], h["p99_ns"]) == (111.0, 222.0)
    # no lat_p90_ns counter: the median of the repetitions' p90s
    p90s = sorted(r["p90_ns"] for r in h["runs"])
    assert h["p90_ns"] == p90s[2]


def test_rate_and_fanin_medians_of_their_other_figures():
    r = ir.load(fixture("views_rep5_a.json"))
    doc = load_doc("views_rep5_a.json")
    rate = next(h for h in r.headlines if h["scenario"] == "rate")
    med = median_entry(doc, rate["name"])
    assert rate["achieved_per_s"] == med["achieved_per_s"]
    assert rate["missed_slots"] == med["missed_slots"]
    assert rate["offered_per_s"] == 10000.0
    fanin = next(h for h in r.headlines if h["scenario"] == "fanin")
    med = median_entry(doc, fanin["name"])
    assert fanin["msgs_per_s"] == med["msgs_per_s"]
    assert fanin["jain_index"] == med["jain_index"]
    assert fanin["producers"] == 2


def test_pair_counts_and_aggregate_throughput():
    r = ir.load(fixture("pairs_a.json"))
    records = {x["name"]: x for x in load_doc("pairs_a.json")["ipcbench"][
        "benchmarks"]}
    heads = {h["name"]: h for h in r.headlines}
    assert {n: h["pairs"] for n, h in heads.items()} == {
        "pingpong/pipe/64": 1, "pingpong/pipe/4096": 1,
        "stream/pipe/64": 1, "stream/pipe/4096": 1,
        "rate/pipe/64/10000_per_s": 1,
        "pingpong/pipe/64/2_pairs": 2, "pingpong/pipe/4096/2_pairs": 2,
        "stream/pipe/64/2_pairs": 2, "stream/pipe/4096/2_pairs": 2,
        # skipped (--pairs is for ping-pong and stream): "pairs" stays 2
        "rate/pipe/64/10000_per_s/2_pairs": 2}
    assert heads["rate/pipe/64/10000_per_s/2_pairs"]["status"] == "skipped"
    # a two-pair stream records no "throughput", only the pairs' sum
    for size in (64, 4096):
        name = f"stream/pipe/{size}/2_pairs"
        agg = records[name]["aggregate"]
        assert "throughput" not in records[name]
        assert heads[name]["status"] == "ok"
        assert heads[name]["bytes_per_second"] == agg["bytes_per_second"]
        assert heads[name]["msgs_per_s"] == agg["msgs_per_s"]
        row = next(x for x in r.rows if x["name"] == name)
        assert [p["pair"] for p in row["per_pair"]] == [0, 1]
        assert row["bytes_per_second"] == pytest.approx(
            sum(p["bytes_per_second"] for p in row["per_pair"]))
    ping = heads["pingpong/pipe/64/2_pairs"]
    assert ping["round_trips_per_s"] == records[
        "pingpong/pipe/64/2_pairs"]["aggregate"]["round_trips_per_s"]
    assert ping["p50_ns"] == records["pingpong/pipe/64/2_pairs"]["latency"][
        "percentiles_ns"]["50"]
    one = heads["stream/pipe/64"]
    assert one["bytes_per_second"] == records["stream/pipe/64"][
        "throughput"]["bytes_per_second"]
    assert heads["pingpong/pipe/64"]["round_trips_per_s"] is None


def test_records_without_pairs_are_one_pair():
    assert {h["pairs"] for h in ir.load(fixture("small.json")).headlines} \
        == {1}
    assert [ir.pairs_of(v) for v in (None, 1, 3, [{}, {}])] == [1, 1, 3, 2]


def test_settings_come_from_the_records_keys_never_their_names(tmp_path,
                                                                small_doc):
    """Skipped and failed records carry their settings as keys, as measured
    ones do, so that skipped benchmarks of different rates stay apart; a
    name is a label, and says nothing the record does not."""
    heads = {h["name"]: h for h in ir.load(fixture("pairs_a.json")).headlines}
    skipped = heads["rate/pipe/64/10000_per_s/2_pairs"]
    assert skipped["status"] == "skipped"
    assert (skipped["offered_per_s"], skipped["pairs"]) == (10000.0, 2)
    failed = {h["name"]: h for h in ir.load(fixture(
        "with_failures.json")).headlines}["fanin/pipe/64/2_producers"]
    assert (failed["status"], failed["producers"]) == ("failed", 2)
    reason = "unavailable here: (made in this test)"
    small_doc["ipcbench"]["benchmarks"] = [
        {"name": name, "repetition_index": 0, "scenario": scenario,
         "transport": "sysv_mq", "wait": "block", "message_bytes": 64,
         "pairs": 1, "verify": False, "skipped": reason, **setting}
        for scenario, name, setting in (
            ("rate", "rate/sysv_mq:block/64/1000_per_s",
             {"offered_rate_per_s": 1000.0}),
            ("rate", "rate/sysv_mq:block/64/50000_per_s",
             {"offered_rate_per_s": 50000.0}),
            ("fanin", "fanin/sysv_mq:block/64/4_producers",
             {"producers": 4}),
            ("fanin", "any label/64/8_producers", {"producers": 2}))]
    heads = ir.load(write_json(tmp_path / "s.json", small_doc)).headlines
    assert [(h["status"], h["offered_per_s"], h["producers"])
            for h in heads] == [("skipped", 1000.0, None),
                                ("skipped", 50000.0, None),
                                ("skipped", None, 4), ("skipped", None, 2)]
    assert not hasattr(ir, "parse_name") and not hasattr(ir, "name_setting")


def test_an_abandoned_benchmark_is_a_failure_and_no_row(tmp_path, small_doc):
    """The driver's watchdog records a benchmark it abandoned with only a
    name and an error: with no settings it is no row (no chart, no table
    line), and the report lists it with the failures."""
    ib = small_doc["ipcbench"]
    error = "the driver stayed stuck for 5 s in a transport call"
    ib["benchmarks"].append({"name": "rate/pipe/64/1000_per_s",
                             "error": error})
    ib["failures"].append({"name": "rate/pipe/64/1000_per_s",
                           "error": error})
    ib.update(complete=False, interrupted="driver stuck")
    r = ir.load(write_json(tmp_path / "a.json", small_doc))
    assert len(r.rows) == 12 and "rate" not in {h["scenario"]
                                                for h in r.headlines}
    assert r.failures == [{"name": "rate/pipe/64/1000_per_s",
                           "error": error}]
    assert "<code>rate/pipe/64/1000_per_s</code>: the driver stayed stuck" \
        in report_html.problems(r)
    assert not r.complete


def test_a_record_without_its_settings_is_bad_input(tmp_path, small_doc):
    del small_doc["ipcbench"]["benchmarks"][0]["scenario"]
    with pytest.raises(ir.PlotError) as e:
        ir.load(write_json(tmp_path / "n.json", small_doc))
    assert "benchmark pingpong/pipe/64 has no 'scenario'" in str(e.value)


@pytest.mark.parametrize("name,fixture_file,peers", [
    ("fanout/shm_ring:block/64/2_consumers", "fanout.json", (1, 1)),
    ("fanin/posix_mq:block/64/1_producers", "fanin.json", (1,)),
    ("pingpong/pipe/64", "small.json", (1,))])
def test_every_peer_cpu_is_kept_also_for_fanin_and_fanout(
        name, fixture_file, peers):
    # fan-in and fan-out records list one CPU per producer or consumer
    r = ir.load(fixture(fixture_file))
    row = next(x for x in r.rows if x["name"] == name)
    assert row["observed_driver_cpu"] == 0
    assert row["observed_peer_cpus"] == peers


def test_report_table_names_every_consumers_cpu():
    r = ir.load(fixture("fanout.json"))
    html = report_html.table(r)
    assert "/None" not in html
    row = html[html.index("fanout/shm_ring:block/64/2_consumers"):]
    assert '<td data-v="">0/1,1</td>' in row[:row.index("</tr>")]


@pytest.mark.parametrize("malloc,words", [
    ({"policy": "steady", "mmap_threshold_bytes": 32 << 20,
      "trim_threshold_bytes": 64 << 20, "detail": "d"},
     ["steady: mmap threshold 32 MiB, trim threshold 64 MiB"]),
    ({"policy": "glibc", "detail": "d"},
     ["glibc: glibc&#x27;s own thresholds"]),
    ({"policy": "steady", "mmap_threshold_bytes": 32 << 20,
      "trim_threshold_bytes": 64 << 20, "detail": "d",
      "not_applied": "a sanitizer's allocator"},
     ["steady: mmap", "not applied: a sanitizer&#x27;s allocator"]),
    (None, [])])
def test_report_says_how_malloc_was_set(tmp_path, malloc, words):
    with open(fixture("small.json")) as f:
        doc = json.load(f)
    if malloc is None:
        doc["ipcbench"].pop("malloc", None)
    else:
        doc["ipcbench"]["malloc"] = malloc
    env = report_html.environment(ir.load(write_json(tmp_path / "m.json",
                                                     doc)))
    assert ("<th>Malloc</th>" in env) == (malloc is not None)
    for w in words:
        assert w in env, env


def test_report_table_gives_each_sides_cpu_and_the_brokers(tmp_path):
    with open(fixture("small.json")) as f:
        doc = json.load(f)
    for rec in doc["ipcbench"]["benchmarks"]:
        if rec["name"] == "pingpong/pipe/64":
            rec["cpu"].update(per="round_trip")
            rec["cpu"]["driver"]["ns_per_msg"] = 5200.0
            rec["cpu"]["peer"]["ns_per_msg"] = 5100.0
            rec["cpu"]["daemon"] = {"ns_per_msg": 59700.0, "units": 10}
        if rec["name"] == "stream/pipe/64":
            rec["cpu"]["driver"]["ns_per_msg"] = 1500.0
            rec["cpu"]["peer"]["ns_per_msg"] = 1520.0
    r = ir.load(write_json(tmp_path / "c.json", doc))
    row = next(x for x in r.rows if x["name"] == "pingpong/pipe/64")
    assert (row["cpu_per"], row["cpu_driver_ns"], row["cpu_peer_ns"],
            row["cpu_daemon_ns"]) == ("round_trip", 5200.0, 5100.0, 59700.0)
    html = report_html.table(r)

    def cpu_cell(name):  # the CPU column, the one before the note
        tr = html[html.index(f">{name}<"):]
        return tr[:tr.index("</tr>")].split("<td")[-2]
    assert cpu_cell("pingpong/pipe/64").endswith(
        'data-v="70000.0">5.2 / 5.1 / 59.7</td>')
    assert cpu_cell("stream/pipe/64").endswith(">1.5 / 1.5 / \u2014</td>")
    # a record without the figures (older files): a dash
    assert cpu_cell("pingpong/tcp/64").endswith('data-v="">\u2014</td>')
