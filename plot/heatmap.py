#!/usr/bin/python3
"""Which transport at my message size? A heatmap of one scenario: a row per
transport:wait (grouped by family, families.py), a column per message size,
each cell coloured by the headline figure (headlines.py) relative to the
best in its column (latency: best/value, throughput: value/best; 1 = the
best at that size) with the figure written in it (µs for latency, MB/s or
GB/s for throughput). Cells with no figure (failed, skipped, invalid or not
run) are grey with no number.

    /usr/bin/python3 plot/heatmap.py results/<stamp>/results.json [--scenario stream]

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is a grey cell, with a
warning naming it and the figure. Ctrl-C exits 130 and leaves no partial
output.
"""

import itertools
import math
import sys

import chart_common as cc
import families
from headlines import HEADLINES, METRICS
from ipcbench_results import BATCH_MEANS, PlotError

# Scenarios drawn against message size, whose benchmarks differ by size only
# (rate and fan-in also vary offered rate and producers: their own views).
SCENARIOS = ("pingpong", "oneway", "stream")
FLOOR = 0.01  # relative figures below this share the darkest colour
BATCH_MARK = "\u2020"  # after a p50 that is a mean of batches


def stem(scenario):
    return f"heatmap_{scenario}"


def cell_text(value, unit):
    """A headline figure, short: latency in µs ("0.41", "12.3", "250"),
    throughput in MB/s or GB/s ("85.2 MB/s", "1.23 GB/s"), msgs/s as
    "1.2M"; "" for None."""
    if value is None:
        return ""
    if unit == "ns":
        us = value / 1e3
        return f"{us:.0f}" if us >= 100 else f"{us:.1f}" if us >= 10 \
            else f"{us:.2f}"
    if unit == "B/s":
        mb = value / 1e6
        if mb >= 1000:
            return f"{mb / 1e3:.3g} GB/s"
        return f"{mb:.0f} MB/s" if mb >= 100 else f"{mb:.3g} MB/s"
    return cc.fmt_rate(value).replace(" ", "")


def heatmap_rows(results, scenario, series=None):
    """[(Family, label, {size: headline}), ...] of every benchmark of the
    scenario, whatever its status (a row per transport:wait, and per
    placement or other setting that varies, cc.Variants), grouped by family
    and, within one, best first (geometric mean of the row's relative
    figures, rows with none last); and the sizes, ascending."""
    kind = HEADLINES[scenario]
    heads = results.select(scenario, series, ok_only=False)
    variants = cc.variants_of(results, scenario)
    sizes = sorted({h["message_bytes"] for h in heads})
    lines = variants.by_line(heads)
    values = {label: {h["message_bytes"]: (h[kind.key] if h["status"] == "ok"
                                           else None) for h in group}
              for (_, label), group in lines.items()}
    rel = families.relative_table(values, sizes, kind.higher_is_better)
    out = []
    for family, keys in cc.by_family(lines):
        def score(key):
            mine = [r for r in rel[key[1]].values() if r is not None]
            if not mine:
                return (1, 0.0, key[1])
            return (0, -sum(map(math.log, mine)) / len(mine), key[1])
        for key in sorted(keys, key=score):
            out.append((family, key[1], {h["message_bytes"]: h
                                         for h in keys[key]}))
    return out, sizes


def heatmap_values(results, scenario, series=None):
    """(rows, sizes, figures, relative): rows [(Family, label)] in drawing
    order, figures {label: {size: headline figure or None}}, relative
    {label: {size: figure relative to the best at its size, or None}}
    (families.relative_table)."""
    kind = HEADLINES[scenario]
    rows, sizes = heatmap_rows(results, scenario, series)
    figures = {label: {size: (heads[size][kind.key]
                              if size in heads and heads[size]["status"] ==
                              "ok" else None) for size in sizes}
               for _, label, heads in rows}
    return ([(f, label) for f, label, _ in rows], sizes, figures,
            families.relative_table(figures, sizes, kind.higher_is_better))


def make_figure(results, plt, scenario="pingpong", series=None):
    """The figure and its file stem; raises PlotError if the scenario has no
    successful benchmark."""
    if scenario not in SCENARIOS:
        raise PlotError(f"no heatmap for the {scenario} scenario",
                           f"choose one of {', '.join(SCENARIOS)}")
    if not results.select(scenario, series):
        raise cc.no_data(results, f"{scenario} benchmarks",
                         f"run ipcbench with --scenarios={scenario}")
    import numpy as np
    from matplotlib.colors import LogNorm
    kind = HEADLINES[scenario]
    rows, sizes = heatmap_rows(results, scenario, series)
    _, _, figures, rel = heatmap_values(results, scenario, series)
    # a header row per family (its name, bold), then its transports
    layout = []  # (Family, None) for a header, (Family, row) for a row
    for family, group in itertools.groupby(rows, key=lambda r: r[0]):
        layout.append((family, None))
        layout += [(family, r) for r in group]
    matrix = np.ma.masked_invalid(np.array(
        [[rel[r[1]][s] if r and rel[r[1]][s] is not None else np.nan
          for s in sizes] for _, r in layout], dtype=float))
    height = 2.6 + 0.27 * len(layout)
    fig, ax = plt.subplots(figsize=(max(3.4 + 0.95 * len(sizes), 7.5),
                                    height))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#d9d9d9")
    norm = LogNorm(vmin=FLOOR, vmax=1.0, clip=True)
    image = ax.imshow(matrix, cmap=cmap, norm=norm, aspect="auto",
                      interpolation="nearest")
    batch = False
    for i, (family, row) in enumerate(layout):
        if row is None:
            ax.axhspan(i - 0.5, i + 0.5, color="white", zorder=2)
            ax.text(-0.45, i, family.title, ha="left", va="center",
                    fontsize=8, fontweight="bold", color="#333333",
                    zorder=3)
            continue
        _, label, heads = row
        for j, size in enumerate(sizes):
            value = figures[label][size]
            if value is None:
                continue
            text = cell_text(value, kind.unit)
            if heads[size].get("batch_means"):
                text += BATCH_MARK
                batch = True
            dark = norm(max(rel[label][size], FLOOR)) < 0.55
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black",
                    fontweight="bold" if rel[label][size] == 1.0
                    else "normal")
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([cc.fmt_bytes(s) for s in sizes])
    ax.set_yticks(range(len(layout)))
    ax.set_yticklabels(["" if row is None else row[1] for _, row in layout],
                       fontsize=8)
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False,
                   left=False)
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("message size")
    ax.grid(False)
    unit = ("\u00b5s" if kind.unit == "ns" else
            "MB/s or GB/s" if kind.unit == "B/s" else "messages/s")
    ratio = "value/best" if kind.higher_is_better else "best/value"
    what = METRICS[kind.key] if kind.unit == "ns" else kind.quantity
    ax.set_title(f"{kind.title}: which transport at each message size?\n"
                 f"number: {what} in {unit}; colour: {ratio} at that size "
                 "(1 = the best, bold)", fontsize=10)
    bar = fig.colorbar(image, ax=ax, orientation="horizontal", pad=0.04,
                       fraction=0.9 / height,
                       aspect=40)
    bar.set_label(f"{METRICS[kind.key]} relative to the best at its size "
                  f"({ratio}; log scale, {FLOOR:g} and below darkest)",
                  fontsize=8)
    bar.ax.tick_params(labelsize=7)
    cc.plain_log_axis(bar.ax.xaxis)
    extra = "grey: no figure (failed, skipped, invalid or not run)"
    if batch:
        extra += f"; {BATCH_MARK} {BATCH_MEANS}"
    cc.caption(fig, results, extra)
    return fig, stem(scenario)


def main(argv=None):
    p = cc.parser(__doc__.split("\n\n")[0], "heatmap_<scenario>")
    p.add_argument("--scenario", choices=SCENARIOS, default="pingpong",
                   help="scenario (default: pingpong)")
    args = p.parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, name = make_figure(results, plt, args.scenario, args.transports)
    return cc.save_chart(args, fig, name, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
