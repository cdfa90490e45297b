"""compare.py's chart: the ratios B/A of the headline figures
(headlines.py) of the rows comparison.compare_rows() gives, one panel per
scenario against what it sweeps (message size, offered rate, producers,
consumers),
one line per transport:wait, and per placement, size or pair count when
rows differ in it (a line style each).
"""

import os

import chart_common as cc
from comparison import METRICS, placement_order
from headlines import HEADLINES, METRICS as METRIC_NAMES
from ipcbench_results import PlotError


# The chart's panels, one per scenario of HEADLINES: scenario, title, x
# axis (row key), which way is better; each draws its scenario's headline
# metrics (p99 thin).
PANELS = tuple(
    (scenario, f"{h.title}{'' if h.tail else f' ({METRIC_NAMES[h.key]})'}"
     ", B/A", h.swept, f"{'above' if h.higher_is_better else 'below'} 1: "
     "B faster") for scenario, h in HEADLINES.items())


def _variant(h, by_placement, by_size, by_pairs):
    """What tells apart the lines of one transport:wait in a panel (see
    comparison.line_label), for its line style."""
    return (h["placement"] if by_placement else None,
            h["message_bytes"] if by_size else None,
            h["pairs"] if by_pairs else None,
            h.get("capacity", "default"))


def _x_axis(ax, field, values):
    """Message size (log2), offered rate (log10, "10k/s"), offered load
    (percent of capacity, linear), producers or consumers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    if field == "message_bytes":
        cc.size_axis(ax, values)
        return
    if field == "offered_percent":
        ax.set_xlim(0, 105)
        label = "offered load (% of each transport's own stream capacity)"
        text = lambda v, _: f"{v:g}%"  # noqa: E731
    elif field == "offered_per_s":
        ax.set_xscale("log")
        label = "offered rate (messages/s, log scale)"
        text = lambda v, _: f"{cc.fmt_rate(v).replace(' ', '')}/s"  # noqa
    else:
        ax.set_xscale("log", base=2)
        label = f"{field} (log scale)"
        text = lambda v, _: f"{v:g}"  # noqa: E731
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_major_formatter(FuncFormatter(text))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(label)


def make_figure(rows, a, b, plt):
    """Ratio B/A of the headline figures: p50 (and p99, thin) against
    message size for ping-pong, MB/s for stream, p50 and p99 against offered
    rate for rate, msgs/s against producers for fan-in; one line per
    transport:wait, and per placement, size (rate, fan-in) or pair count
    when rows differ in it (a line style each)."""
    headline = [r for r in rows if r["headline"]]
    panels = [p for p in PANELS
              if any(r["scenario"] == p[0] and r["ratio"] for r in headline)]
    if not panels:
        raise PlotError("A and B have no successful benchmark in common",
                        "compare runs of the same transports and sizes")
    all_series = sorted({r["series"] for r in rows})
    styles = cc.series_styles(all_series)
    places = placement_order(a, b)
    by_placement = any(r["placement"] for r in rows)
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 4.2 * len(panels)),
                             squeeze=False)
    for ax, (scenario, title, x_field, better) in zip(axes[:, 0], panels):
        mine = [r for r in headline if r["scenario"] == scenario]
        if x_field == "offered_per_s" and all(
                r.get("offered_percent") is not None for r in mine):
            x_field = "offered_percent"  # --rate=10%,50%,...
        variant = lambda h: _variant(  # noqa: E731
            h, by_placement, mine[0]["line_by_size"],
            mine[0]["line_by_pairs"])
        # Line styles by variant: placements in run order, then sizes and
        # pair counts ascending, over both runs' benchmarks of the scenario.
        order = sorted({variant(h) for r in (a, b) for h in r.headlines
                        if h["scenario"] == scenario},
                       key=lambda v: (places.get(v[0], -1), v[1] or 0,
                                      v[2] or 0))
        lines = sorted({(r["series"], r["line"], variant(r)) for r in mine},
                       key=lambda x: (x[0], order.index(x[2])))
        if by_placement or len({v for _, _, v in lines}) > 1:
            colours = cc.series_colours(all_series)
            line_styles = {line: dict(styles[s], color=colours[s], linestyle=(
                cc.VARIANT_LINESTYLES[order.index(v) % len(
                    cc.VARIANT_LINESTYLES)])) for s, line, v in lines}
            p99_style = {line: st["linestyle"] for line, st in
                         line_styles.items()}
        else:
            line_styles = {line: styles[s] for s, line, _ in lines}
            p99_style = {line: ":" for _, line, _ in lines}
        for metric in [m for m, _, sc, _, _, head in METRICS
                       if sc == scenario and head]:
            for _, line, _ in lines:
                pts = sorted((r[x_field], r["ratio"]) for r in mine
                             if r["line"] == line and r["metric"] == metric
                             and r["ratio"])
                if not pts:
                    continue
                thin = metric == "p99"
                st = line_styles[line]
                ax.plot(*zip(*pts), label=f"{line} {metric}", markersize=4,
                        alpha=0.45 if thin else 1, linewidth=0.9 if thin
                        else 1.6, **dict(st, linestyle=p99_style[line]
                                         if thin else st["linestyle"]))
        ax.axhline(1.0, color="#333333", linewidth=0.8)
        _x_axis(ax, x_field, sorted({r[x_field] for r in rows
                                     if r["scenario"] == scenario
                                     and r[x_field] is not None}))
        ax.set_yscale("log")
        cc.plain_log_axis(ax.yaxis)
        ax.set_ylabel(f"ratio B/A (log scale; {better})")
        ax.set_title(title)
        ax.legend(ncol=2, fontsize=7)
    fig.suptitle(f"ipcbench runs compared: A = {short_path(a.path)}, "
                 f"B = {short_path(b.path)}")
    fig.text(0.01, 0.005, f"A: {a.machine_caption()}\nB: "
             f"{b.machine_caption()}", fontsize=7, color="#444444",
             va="bottom")
    fig.tight_layout(rect=(0, 0.06 if len(panels) == 1 else 0.035, 1, 1))
    return fig


def short_path(path):
    """results/20260101T000000Z/results.json -> 20260101T000000Z/results.json"""
    parts = os.path.abspath(path).split(os.sep)
    return os.path.join(*parts[-2:])
