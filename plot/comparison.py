"""compare.py's matching and statistics: which benchmarks of two runs are
the same benchmark (key_of), and for each, A, B and the ratio B/A of its
scenario's headline figures (headlines.py) and context figures, with a
two-sided Mann-Whitney U test over the per-repetition values when both
runs have repetitions (significance); how the runs' machines, kernels,
builds and placements differ (environment_warnings). No printing, no
drawing: compare.py prints, compare_chart.py draws. The regression gate
(gate: which benchmarks are worse in B by more than a threshold) is here
too.
"""

import math

import chart_common as cc
from headlines import HEADLINES, METRICS as METRIC_NAMES


def fmt_count(v):
    """245124.5 -> "245,125"."""
    return f"{v:,.0f}"


# How the table writes a headline figure, by unit.
UNIT_TEXT = {"ns": cc.fmt_ns, "B/s": lambda v: f"{v / 1e6:,.1f}",
             "msgs/s": fmt_count}
# Context figures, shown with their ratio but neither tested nor charted,
# and only when either run has the figure: (metric, headline / row key,
# scenario, formatter, lower is better (None: neither)).
CONTEXT_FIGURES = (
    ("trips/s", "round_trips_per_s", "pingpong", fmt_count, False),
    ("achieved/s", "achieved_per_s", "rate", fmt_count, None),
    ("missed", "missed_slots", "rate", fmt_count, True),
    ("p50", "p50_ns", "fanin", cc.fmt_ns, True),
    ("p99", "p99_ns", "fanin", cc.fmt_ns, True),
    ("Jain", "jain_index", "fanin", lambda v: f"{v:.4f}", False),
    ("p50", "p50_ns", "fanout", cc.fmt_ns, True),
    ("p99", "p99_ns", "fanout", cc.fmt_ns, True),
    ("loss", "loss_fraction", "fanout", lambda v: f"{v:.2%}", True),
    ("slowest/s", "slowest_msgs_per_s", "fanout", fmt_count, False))


def _metrics():
    """(metric, row key, scenario, formatter, lower is better, headline):
    each scenario's headline figure and the one beside it (HEADLINES),
    tested and charted, then its context figures."""
    out = []
    for scenario, h in HEADLINES.items():
        out += [(METRIC_NAMES[field], field, scenario, UNIT_TEXT[h.unit],
                 not h.higher_is_better, True)
                for field in (h.key, h.tail) if field]
        out += [(*c, False) for c in CONTEXT_FIGURES if c[2] == scenario]
    return tuple(out)


METRICS = _metrics()
# Tails that batch means (a ping-pong timed with the clock, batch > 1) do
# not have: never compared, whichever side has them.
TAIL_FIELDS = ("p90_ns", "p99_ns", "p999_ns")
BATCH_TAILS = ("not compared: batch means (clock timer) have no round-trip "
               "tail")
NO_REPS = "n/a (no repetitions)"
CONTEXT = "context, not tested"


def key_of(h, by_placement=True):
    """What makes two benchmarks of different runs the same benchmark:
    scenario, transport, wait, size, offered rate (rate), number of
    producers (fan-in), number of consumers (fan-out; last, so that the
    other positions stay), with by_placement the placement (its preset, and
    its CPUs when it is a custom one: "cpus 2,3"), the number of
    concurrent pairs (--pairs; 1 without), and the capacity mode
    (--capacity: "default", also for files older than it, or "equal"): a
    stream at equal buffering is never compared with one as shipped."""
    return (h["scenario"], h["transport"], h["wait"], h["message_bytes"],
            offered_setting(h), h["producers"],
            h["placement"] if by_placement else None, h["pairs"],
            h.get("capacity", "default"), h.get("consumers"))


def offered_setting(h):
    """The offered load a rate benchmark was asked for: its rate in
    messages/s, or ("%", percent) for a percentage of its own stream
    capacity (--rate=50%), so that percentage runs match by percentage
    (as their names do: "rate/pipe/64/50pct") whatever each run measured
    the capacity to be; None for other scenarios."""
    if h.get("offered_percent") is not None:
        return ("%", h["offered_percent"])
    return h["offered_per_s"]


def _offered_order(v):
    """Percentages after rates in messages/s, each ascending."""
    return (1, v[1]) if isinstance(v, tuple) else (0, v or 0)


def _sort_key(places):
    """Rows in key order: scenario, transport, wait, size, offered rate,
    producers, consumers, pairs, then placement in run order."""
    return lambda k: (k[:4], _offered_order(k[4]), k[5] or 0, k[9] or 0, k[7],
                      places.get(k[6], -1), k[8])


def swept(*runs):
    """True if any of the runs measured more than one placement: then
    benchmarks are matched placement by placement. Between runs of one
    placement each they are matched whatever the placements (a difference
    is warned about, see ENV_CHECKS)."""
    return any(len({h["placement"] for h in r.headlines}) > 1 for r in runs)


def placement_order(*runs):
    """placement label -> position, in the order the runs measured them."""
    order = {}
    for r in runs:
        for h in r.headlines:
            order.setdefault(h["placement"], len(order))
    return order


def _name_shows_placement(h):
    """True if the benchmark's name ends in its placement ("/same", "/0:1"),
    as names do in a sweep."""
    preset = h["placement_preset"]
    suffix = (f"{h['driver_cpu']}:{h['peer_cpu']}" if preset == "custom"
              else preset)
    return suffix in h["name"].split("/")[3:]


def _name_shows_pairs(h):
    """True if the benchmark's name says its pair count ("/2_pairs"), as
    ipcbench names them with --pairs N > 1."""
    return f"{h['pairs']}_pairs" in h["name"].split("/")[3:]


def shown_name(h, by_placement, by_capacity=False):
    """The benchmark's name, with its placement in parentheses when
    benchmarks are matched by placement and the name does not say it, its
    capacity mode when the compared benchmarks have several and the name
    does not say it, and its pair count when more than one and the name
    does not say it."""
    extra = []
    if by_placement and not _name_shows_placement(h):
        extra.append(h["placement"])
    if by_capacity and "/capacity_" not in h["name"]:
        extra.append(f"{h.get('capacity', 'default')} capacity")
    if h["pairs"] != 1 and not _name_shows_pairs(h):
        extra.append(f"{h['pairs']} pairs")
    return f"{h['name']} ({', '.join(extra)})" if extra else h["name"]


def line_label(h, by_placement, several_sizes, several_pairs,
               by_capacity=False):
    """The chart line a benchmark's ratios are drawn on: transport:wait,
    its placement when matched by placement, its size for rate and fan-in
    (drawn against offered rate and producers) when their rows have several,
    its pair count when the rows have several."""
    parts = [h["series"]]
    if by_placement:
        parts.append(h["placement"])
    if several_sizes:
        parts.append(cc.fmt_bytes(h["message_bytes"]))
    if several_pairs:
        parts.append(f"{h['pairs']} pair{'s' if h['pairs'] != 1 else ''}")
    if by_capacity:
        parts.append(f"{h.get('capacity', 'default')} capacity")
    return ", ".join(parts)


def significance(a_values, b_values, alpha, mannwhitneyu):
    """The verdict of a two-sided Mann-Whitney U test, as text."""
    if len(a_values) < 2 or len(b_values) < 2:
        return NO_REPS, None
    if a_values == b_values or len(set(a_values + b_values)) == 1:
        p = 1.0
    else:
        p = float(mannwhitneyu(a_values, b_values,
                               alternative="two-sided").pvalue)
    verdict = "significant" if p < alpha else "not significant"
    text = f"{verdict} (p={p:.3g}, {len(a_values)} vs {len(b_values)} reps)"
    # The smallest two-sided p an exact test can give with these counts.
    floor = 2 / math.comb(len(a_values) + len(b_values), len(a_values))
    if floor >= alpha:
        text += f"; {len(a_values)} vs {len(b_values)} reps cannot reach " \
                f"p<{alpha:g}, use 5+ each"
    elif min(len(a_values), len(b_values)) < 9:
        text += "; 9+ reps recommended"
    return text, p


def compare_rows(a, b, alpha=0.05, mannwhitneyu=None):
    """One dict per (benchmark, metric) present in both runs (matched by
    key_of; by placement too when either run is a placement sweep), plus the
    names of benchmarks found in only one of them. A row's "headline" says
    whether its figure is tested and charted; "lower_is_better" which way
    is better (None: neither)."""
    by_placement = swept(a, b)
    a_heads = {key_of(h, by_placement): h for h in a.headlines}
    b_heads = {key_of(h, by_placement): h for h in b.headlines}
    places = placement_order(a, b)
    common = sorted(a_heads.keys() & b_heads.keys(), key=_sort_key(places))
    # Per scenario, whether its chart lines must say the size (rate and
    # fan-in, drawn against rate and producers) or pair count: when the
    # benchmarks measured on both sides have more than one.
    spread = {}
    for k in common:
        if a_heads[k]["status"] == b_heads[k]["status"] == "ok":
            sizes, pairs = spread.setdefault(k[0], (set(), set()))
            sizes.add(k[3])
            pairs.add(k[7])
    lines_by = {s: (s in ("rate", "fanin", "fanout") and len(sizes) > 1,
                    len(pairs) > 1)
                for s, (sizes, pairs) in spread.items()}
    # Capacity modes (--capacity) are told apart wherever both are compared.
    by_capacity = len({k[8] for k in common}) > 1
    rows = []
    for key in common:
        ha, hb = a_heads[key], b_heads[key]
        for metric, field, scenario, fmt, lower, headline in METRICS:
            if scenario != key[0]:
                continue
            if not headline and ha[field] is None and hb[field] is None:
                continue  # a context figure neither run has
            by_size, by_pairs = lines_by.get(scenario, (False, False))
            line = line_label(hb, by_placement, by_size, by_pairs,
                              by_capacity)
            row = {"name": shown_name(hb, by_placement, by_capacity),
                   "series": hb["series"],
                   "scenario": key[0], "message_bytes": key[3],
                   "offered_per_s": hb["offered_per_s"],
                   "offered_percent": hb.get("offered_percent"),
                   "producers": key[5], "consumers": key[9],
                   "placement": key[6], "pairs": key[7],
                   "capacity": key[8], "line": line,
                   "line_by_size": by_size, "line_by_pairs": by_pairs,
                   "metric": metric, "field": field, "fmt": fmt,
                   "lower_is_better": lower,
                   "headline": headline,
                   "a": ha[field], "b": hb[field], "ratio": None,
                   "significance": "", "p": None}
            if ha["status"] != "ok" or hb["status"] != "ok":
                bad = ha if ha["status"] != "ok" else hb
                side = "A" if bad is ha else "B"
                row["significance"] = f"{side} {bad['status']}: {bad['reason']}"
                rows.append(row)
                continue
            if field in TAIL_FIELDS and (ha.get("batch_means")
                                         or hb.get("batch_means")):
                row.update(a=None, b=None, significance=BATCH_TAILS)
                rows.append(row)
                continue
            if row["a"] and row["b"] is not None:
                row["ratio"] = row["b"] / row["a"]
            values = lambda h: [r[field] for r in h["runs"]  # noqa: E731
                                if r["status"] == "ok" and r[field] is not None]
            if not headline:
                row["significance"] = CONTEXT
            elif mannwhitneyu is None:
                row["significance"] = NO_REPS
            else:
                row["significance"], row["p"] = significance(
                    values(ha), values(hb), alpha, mannwhitneyu)
            rows.append(row)
    only_a = sorted(shown_name(a_heads[k], by_placement)
                    for k in a_heads.keys() - b_heads.keys())
    only_b = sorted(shown_name(b_heads[k], by_placement)
                    for k in b_heads.keys() - a_heads.keys())
    return rows, only_a, only_b


ENV_CHECKS = (
    ("come from different machines", "the ratios mix hardware with the "
     "change you meant to measure",
     (("hostname", lambda r: r.environment.get("hostname")),
      ("CPU", lambda r: r.environment.get("cpu_model")),
      ("CPUs online", lambda r: r.environment.get("cpus_online")))),
    ("ran on different kernels", "kernel changes move IPC figures; compare "
     "runs on one kernel",
     (("kernel", lambda r: r.environment.get("kernel")),
      ("kernel build", lambda r: r.environment.get("kernel_version")))),
    ("come from different builds", "expected if you are comparing code "
     "changes; otherwise rebuild the same commit with the same flags",
     (("git commit", lambda r: _build(r).get("git_commit")),
      ("compiler", lambda r: _build(r).get("compiler")),
      ("compiler flags", lambda r: _build(r).get("cxx_flags")),
      ("build type", lambda r: _build(r).get("build_type")))),
    ("used different placements", "pass the same --cpus to both runs",
     (("", lambda r: r.placement_text()),)),
)


def _build(results):
    return results.environment.get("build") or {}


def environment_warnings(a, b):
    """Lines saying how the two runs' machines, kernels or builds differ."""
    out = []
    for what, advice, fields in ENV_CHECKS:
        diffs = [f"{label} {get(a)!s} vs {get(b)!s}".strip() for label, get
                 in fields if get(a) != get(b)]
        if diffs:
            out.append(f"A and B {what} ({'; '.join(diffs)}) \u2014 {advice}")
    for side, r in (("A", a), ("B", b)):
        commit = str(_build(r).get("git_commit", ""))
        if commit.endswith("-dirty"):
            out.append(f"{side} was built from a modified tree ({commit}) "
                       "\u2014 its code is not exactly that commit; commit "
                       "before measuring")
        if not r.complete:
            out.append(f"{side} is an incomplete run \u2014 only the "
                       "benchmarks that finished are compared")
    return out


# The gate's verdict on a benchmark measured once on either side.
THRESHOLD_ONLY = "single run: threshold only"


def worse_by(row):
    """How much worse B is than A, as a fraction of A, by the row's
    direction: (B - A) / A when lower is better (latency), (A - B) / A when
    higher is better (throughput); negative when B is better; None without
    a ratio."""
    if row["ratio"] is None or row["lower_is_better"] is None:
        return None
    return row["ratio"] - 1 if row["lower_is_better"] else 1 - row["ratio"]


def gate(rows, only_a, only_b, threshold, alpha=0.05):
    """The regression gate (compare.py --fail-above): each benchmark's
    headline figure (HEADLINES' key: p50 latency, stream bytes/s, fan-in
    msgs/s; not the p99 beside it) fails when B is worse than A by more
    than threshold (a fraction: 0.05 for 5 %) and, when both runs have 2 or
    more repetitions of it, the Mann-Whitney U test finds the difference
    significant (p < alpha); with a single run on either side, the
    threshold alone decides (THRESHOLD_ONLY). Returns a dict: "failed" and
    "not_significant" (rows beyond the threshold, each with "worse" and
    "test"), "not_gated" ((name, why) of compared benchmarks with no ratio:
    failed, skipped, invalid in a run), "only_a", "only_b" (benchmarks of
    one run only: listed, never failing)."""
    out = {"failed": [], "not_significant": [], "not_gated": [],
           "only_a": list(only_a), "only_b": list(only_b)}
    for row in rows:
        if not row["headline"] or row["field"] != HEADLINES[
                row["scenario"]].key:
            continue
        worse = worse_by(row)
        if worse is None:
            out["not_gated"].append((row["name"], row["significance"]
                                     or "no ratio (A is 0)"))
            continue
        if round(worse, 12) <= threshold:
            continue
        if row["p"] is None:
            test, bad = THRESHOLD_ONLY, True
        else:
            test, bad = f"p={row['p']:.3g}", row["p"] < alpha
            if not bad:
                test = row["significance"]
        out["failed" if bad else "not_significant"].append(
            dict(row, worse=worse, test=test))
    return out
