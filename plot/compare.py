#!/usr/bin/python3
"""Compares two ipcbench runs, A (before) and B (after): for every benchmark
in both, A, B and the ratio B/A of its scenario's headline figures
(headlines.py): p50 and p99 (ping-pong: round trip; one-way: driver to
peer; rate: latency from the intended send time), MB/s (stream), msgs/s
(fan-in: the consumer's aggregate), delivered msgs/s (fan-out: all
consumers together); with repetitions on both sides, whether the
difference is statistically significant (two-sided Mann-Whitney U over the
per-repetition values, as Google Benchmark's compare.py does). Context
figures are shown beside them, neither tested nor charted: achieved rate
and missed slots (rate), send-to-receive p50 and p99 and Jain's fairness
index (fan-in), send-to-receive p50 and p99, loss fraction and the slowest
consumer's rate (fan-out), round trips per second of all pairs (ping-pong
with --pairs). Benchmarks are the same when scenario, transport, wait,
size, offered rate, producer count, consumer count and pair count
(--pairs) agree, and, if either run is a placement sweep, the placement
(preset; CPUs for a custom one). Warns when the runs come from different
machines, kernels, builds or placements. With --out-dir, also writes a
chart of the ratios against message size (offered rate for rate,
producers for fan-in, consumers for fan-out).

    /usr/bin/python3 plot/compare.py A.json B.json [--out-dir DIR]
        [--fail-above=5%]

With --fail-above=X%, a regression gate: exits 1 when a benchmark's
headline figure (p50 latency; stream MB/s; fan-in msgs/s; fan-out
delivered msgs/s) is worse in B than in A by more than X % (latency
higher, throughput lower) and, when both runs have 2 or more repetitions
of it, the Mann-Whitney U test finds the difference significant; with a
single run on either side the threshold alone decides, and the output says
so. It prints the offending rows (A, B, B/A, how much worse, the p-value or
"single run: threshold only"), those beyond the threshold but not
significant, and benchmarks it could not judge (in one run only, failed,
skipped, invalid): listed, never failing.

This is the command line; comparison.py matches the benchmarks and tests
the differences, compare_chart.py draws the chart.

Bad values (results_check.py): a wrong type, or a setting or count out of
range, in either file exits 2 naming the file and the field; a benchmark
with a NaN, infinite or negative figure (latency, throughput) in either run
is compared with nothing: its rows say "A invalid: invalid figure: <field>
= <value>" (or B) and the chart leaves it out. Ctrl-C exits 130 and leaves
no partial output.
"""

# chart_common first, as in report.py.
import chart_common as cc  # isort: skip

import argparse
import math
import sys

from compare_chart import make_figure
from comparison import compare_rows, environment_warnings, gate
from ipcbench_results import PlotError, load

# What the table's rows of a scenario mean, printed when it has some.
NOTES = {
    "oneway": "oneway: p50 and p99 are one-way latency, driver to peer "
              "(lower is better).",
    "rate": "rate: p50 and p99 are latency from the intended send time "
            "(lower is better); achieved/s and missed (send slots the sender "
            "fell behind on) are context.",
    "fanin": "fanin: msgs/s is the consumer's aggregate receive rate, all "
             "producers (higher is better); p50 and p99 (send to receive) "
             "and Jain (fairness, 1 = even) are context.",
    "fanout": "fanout: delivered msgs/s is what all consumers together "
              "received (higher is better); p50 and p99 (send to receive, "
              "every consumer's samples), loss (the fraction of messages "
              "the consumers missed: 0 on a lossless transport, a may-drop "
              "one's counted by sequence numbers) and slowest/s (the "
              "slowest consumer's rate) are context.",
}
PAIRS_NOTE = ("N_pairs: N pairs at once; MB/s and trips/s are the sum over "
              "the pairs, p50 and p99 over every pair's round trips.")


def fmt_ratio(ratio):
    """1.5 -> "1.500", 0.00104 -> "0.00104"; None -> a dash."""
    if ratio is None:
        return "\u2014"
    return f"{ratio:.3f}" if ratio >= 0.1 else f"{ratio:.3g}"


def print_table(rows, only_a, only_b, a, b, alpha):
    def describe(r):
        env = r.environment
        reps = r.max_repetitions()
        return (f"{r.path} ({env.get('hostname', '?')}, "
                f"{str(r.context.get('date', '?'))[:16].replace('T', ' ')}, "
                f"{reps} repetition{'s' if reps != 1 else ''})")
    print(f"A: {describe(a)}\nB: {describe(b)}")
    print("Headline figures are medians across repetitions; p50 and p99 are "
          "the harness's own percentiles.")
    for scenario, note in NOTES.items():
        if any(r["scenario"] == scenario for r in rows):
            print(note)
    if any(r["pairs"] != 1 for r in rows):
        print(PAIRS_NOTE)
    width = max([len(r["name"]) for r in rows] + [9])
    mwidth = max([len(r["metric"]) for r in rows] + [6])
    print(f"{'benchmark':<{width}}  {'metric':<{mwidth}} {'A':>11} {'B':>11} "
          f"{'B/A':>7}  significance (Mann-Whitney U, alpha {alpha:g})")
    for r in rows:
        fmt = r["fmt"]
        a_text = fmt(r["a"]) if r["a"] is not None else "\u2014"
        b_text = fmt(r["b"]) if r["b"] is not None else "\u2014"
        ratio = fmt_ratio(r["ratio"])
        print(f"{r['name']:<{width}}  {r['metric']:<{mwidth}} {a_text:>11} "
              f"{b_text:>11} {ratio:>7}  {r['significance']}")
    for side, names in (("A", only_a), ("B", only_b)):
        if names:
            print(f"only in {side}: {', '.join(names)}")


def _pairs_text(a, b):
    """" (A ran 1 pair at once, B 2)" when the runs have no pair count in
    common: benchmarks of different pair counts are never compared."""
    pa = sorted({h["pairs"] for h in a.headlines})
    pb = sorted({h["pairs"] for h in b.headlines})
    if set(pa) & set(pb):
        return ""
    text = lambda p: ", ".join(map(str, p))  # noqa: E731
    return (f" (A ran {text(pa)} pair{'s' if pa != [1] else ''} at once, "
            f"B {text(pb)})")


FAIL_ABOVE_FIX = ("give a percentage of 0% or more, such as "
                  "--fail-above=5%")


def parse_threshold(text):
    """"5%" -> 0.05; anything else (no % sign, not a number, negative)
    raises PlotError (exit 2)."""
    number = text[:-1] if text.endswith("%") else text
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        what = "is not a percentage"
    elif not text.endswith("%"):
        what = "has no % sign"
    elif value < 0:
        what = "is negative"
    else:
        return value / 100
    raise PlotError(f"--fail-above={text} {what}", FAIL_ABOVE_FIX)


def fmt_worse(fraction):
    """0.5 -> "50.0% worse"."""
    return f"{100 * fraction:.1f}% worse"


def print_gate(verdict, text, alpha):
    """The gate's rows and verdict; True if it failed."""
    print(f"\nRegression gate (--fail-above={text}): each benchmark's "
          "headline figure (p50 latency, stream MB/s, fan-in msgs/s), "
          "worse = higher latency or lower throughput in B; with 2+ "
          "repetitions in both runs also significant (Mann-Whitney U, "
          f"alpha {alpha:g}), with a single run the threshold only.")

    def table(rows):
        width = max([len(r["name"]) for r in rows] + [9])
        print(f"  {'benchmark':<{width}}  {'metric':<6} {'A':>11} "
              f"{'B':>11} {'B/A':>7}  {'worse by':<12}  test")
        for r in rows:
            print(f"  {r['name']:<{width}}  {r['metric']:<6} "
                  f"{r['fmt'](r['a']):>11} {r['fmt'](r['b']):>11} "
                  f"{fmt_ratio(r['ratio']):>7}  {fmt_worse(r['worse']):<12}"
                  f"  {r['test']}")
    failed = verdict["failed"]
    if verdict["not_significant"]:
        print(f"Worse by more than {text} but not significant (not "
              "failing):")
        table(verdict["not_significant"])
    for side in ("a", "b"):
        if verdict[f"only_{side}"]:
            print(f"Not gated, only in {side.upper()}: "
                  f"{', '.join(verdict[f'only_{side}'])}")
    for name, why in verdict["not_gated"]:
        print(f"Not gated, {name}: {why}")
    if failed:
        print(f"gate: FAIL \u2014 {len(failed)} benchmark"
              f"{'s' if len(failed) != 1 else ''} worse in B than A by "
              f"more than {text}:")
        table(failed)
    else:
        print(f"gate: pass \u2014 no benchmark worse in B than A by more "
              f"than {text} (and significantly so, where tested)")
    return bool(failed)


def import_scipy_test():
    try:
        with cc.interrupts_held():  # as in cc.import_pyplot
            from scipy.stats import mannwhitneyu
    except ImportError as e:
        raise PlotError(f"scipy is not importable ({e})",
                        "install Debian's python3-scipy (apt-get install "
                        "python3-scipy) and run with /usr/bin/python3",
                        exit_code=3) from None
    return mannwhitneyu


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 compared (and the gate passed), 1 "
               "--fail-above: a benchmark is worse, 2 bad input, 3 missing "
               "package.")
    p.add_argument("a", metavar="A.json", help="the baseline run")
    p.add_argument("b", metavar="B.json", help="the run compared with it")
    p.add_argument("--out-dir", help="write NAME.png and NAME.svg here "
                   "(default: no chart)")
    p.add_argument("--name", default="compare",
                   help="chart file stem (default: compare)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level (default: 0.05)")
    p.add_argument("--fail-above", metavar="X%",
                   help="exit 1 when a benchmark's headline figure is "
                   "worse in B by more than X%% (and significant, with "
                   "repetitions)")
    args = p.parse_args(argv)
    threshold = (parse_threshold(args.fail_above)
                 if args.fail_above is not None else None)
    a, b = load(args.a), load(args.b)
    plt = cc.import_pyplot() if args.out_dir else None
    test = None
    if a.max_repetitions() > 1 and b.max_repetitions() > 1:
        test = import_scipy_test()
    rows, only_a, only_b = compare_rows(a, b, args.alpha, test)
    if not rows:
        raise PlotError(f"{args.a} and {args.b} have no benchmark in common"
                        + _pairs_text(a, b),
                        "compare runs of the same transports, scenarios, "
                        "sizes and --pairs")
    charts = []
    if plt:
        rendered = cc.render(make_figure(rows, a, b, plt), plt)
        charts = cc.write_outputs(args.out_dir, {
            f"{args.name}.{k}": v for k, v in rendered.items()})
    for w in environment_warnings(a, b):
        print(f"plot: warning: {w}", file=sys.stderr)
    print_table(rows, only_a, only_b, a, b, args.alpha)
    for path in charts:
        print(f"chart: {path}")
    if threshold is not None and print_gate(
            gate(rows, only_a, only_b, threshold, args.alpha),
            args.fail_above, args.alpha):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cc.run(main))
