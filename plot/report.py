#!/usr/bin/python3
"""Writes every chart of a run (PNG + SVG) and report.html beside them: the
best transport per family and message size, a table of contents, warnings,
failures and skipped transports, environment, the charts (the PNG files,
linked, not inlined), and a sortable table of every benchmark. Prints the
report's path.

    /usr/bin/python3 plot/report.py results/<stamp>/results.json --out-dir DIR

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field, and writes nothing; a
benchmark with a NaN, infinite or negative figure (latency, throughput) is
left out of every chart and listed under "Invalid figures" and in the table
as "invalid figure: <field> = <value>". Ctrl-C exits 130 and leaves no
partial output.
"""

# chart_common first: from its import on, Ctrl-C while loading ends the
# script quietly (see chart_common._quiet_while_loading).
import chart_common as cc  # isort: skip

import argparse
import os
import sys

import fanin_throughput
import fanout_throughput
import heatmap
import latency_cdf
import latency_vs_size
import placement_compare
import ranked_bar
import rate_latency
import report_html
import throughput_vs_size
from headlines import HEADLINES
from ipcbench_results import PlotError, load

CDF_SIZES = (64, 4096, 65536, 1048576)


def chart_plan(results):
    """(title, module, keyword arguments) of every chart the report shows."""
    ping, stream = results.sizes("pingpong"), results.sizes("stream")
    # Heatmaps first: which transport at each size, per scenario with data.
    plan = [(f"{HEADLINES[s].title}: which transport at each size",
             heatmap, {"scenario": s}) for s in heatmap.SCENARIOS
            if results.select(s)]
    plan += [("Ping-pong latency vs message size", latency_vs_size, {}),
             ("Stream throughput vs message size", throughput_vs_size, {})]
    if ping:
        size = 64 if 64 in ping else ping[0]
        plan.append((f"Ranking: ping-pong latency at {cc.fmt_bytes(size)}",
                     ranked_bar, {"scenario": "pingpong", "size": size}))
    if stream:
        plan.append((f"Ranking: stream throughput at "
                     f"{cc.fmt_bytes(stream[-1])}", ranked_bar,
                     {"scenario": "stream", "size": stream[-1]}))
    for size in [s for s in CDF_SIZES if s in ping] or ping[:1]:
        plan.append((f"Latency percentiles at {cc.fmt_bytes(size)}",
                     latency_cdf, {"size": size}))
    # Sections of their own (report_html.SECTIONS), only with data for them.
    if results.select("rate"):
        plan.append(("Latency under load (rate scenario)", rate_latency, {}))
    if placement_compare.placement_values(results):
        plan.append(("Placement side by side", placement_compare, {}))
    if results.select("fanin"):
        plan.append(("Fan-in: throughput and fairness", fanin_throughput,
                     {}))
    if results.select("fanout"):
        plan.append(("Fan-out: delivered throughput, loss and latency",
                     fanout_throughput, {}))
    return plan


def draw_charts(results, plt):
    """[{title, module, stem, png, svg} or {title, module, missing}] — all in
    memory."""
    charts = []
    for title, module, kwargs in chart_plan(results):
        try:
            fig, stem = module.make_figure(results, plt, **kwargs)
        except PlotError as e:
            charts.append({"title": title, "missing": str(e),
                           "module": module.__name__})
            continue
        charts.append({"title": title, "stem": stem, "module": module.__name__,
                       **cc.render(fig, plt)})
    return charts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="results.json written by ipcbench")
    p.add_argument("--out-dir", help="where the charts and report.html go "
                   "(default: the directory of RESULTS)")
    args = p.parse_args(argv)
    results = load(args.results)
    cc.warn_spectra(results)
    plt = cc.import_pyplot()
    charts = draw_charts(results, plt)
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.results))
    html = report_html.page(results, charts)
    files = {}
    for c in charts:
        if "stem" in c:
            files[c["stem"] + ".png"] = c["png"]
            files[c["stem"] + ".svg"] = c["svg"]
    files["report.html"] = html.encode("utf-8")
    paths = cc.write_outputs(out_dir, files)
    print(paths[-1])
    return 0


if __name__ == "__main__":
    sys.exit(cc.run(main))
