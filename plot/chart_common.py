"""What every chart script shares: the command line, matplotlib (Agg) set-up,
consistent colours per transport, unit formatting, the machine caption, and
writing PNG + SVG (all or none) without leaving a half-written file behind.

A chart module offers make_figure(results, plt, ...) -> (figure, file stem)
and main(argv); main runs through run() below, which turns PlotError into
one line on stderr ("plot: <what> — <how to fix>") and an exit status, and
Ctrl-C into "plot: interrupted" and status 130.
"""

import os
import signal
import sys
import threading


def _quiet_while_loading():
    """Ctrl-C while a plot script is still loading its modules (before run()
    takes over) ends it at once, by the signal, as a shell expects (status
    130): nothing is written yet, and Python would print a traceback. Only
    when a script of this directory is the program, not when a test or
    another program imports these modules, and only if Python's own
    handler is in place (a SIGINT the parent ignores stays ignored)."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    here = os.path.dirname(os.path.abspath(__file__))
    if (script and os.path.dirname(os.path.abspath(script)) == here
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        return True
    return False


_LOADING_QUIETLY = _quiet_while_loading()

import argparse  # noqa: E402 (after the SIGINT set-up above)
import contextlib  # noqa: E402
import io  # noqa: E402
import tempfile  # noqa: E402

import families  # noqa: E402 (after the SIGINT set-up above)
import ipcbench_results as ir  # noqa: E402
from ipcbench_results import PlotError, cpus_text, load  # noqa: E402

WAIT_STYLES = {"block": "-", "spin": "--"}
MARKERS = "osD^v<>pPhX*"


def import_pyplot():
    """matplotlib.pyplot on the Agg backend, or a PlotError saying how to get it."""
    try:
        # Ctrl-C in the middle of numpy's C extensions' import surfaces as an
        # ImportError ("numpy.core.multiarray failed to import"): held until
        # the import ends, it is an interruption, not a missing package.
        with interrupts_held():
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
    except ImportError as e:
        raise PlotError(
            f"matplotlib is not importable ({e})",
            "install Debian's python3-matplotlib (apt-get install "
            "python3-matplotlib) and run the script with /usr/bin/python3",
            exit_code=3) from None
    plt.rcParams.update({"svg.fonttype": "none", "figure.dpi": 100,
                         "savefig.dpi": 110, "axes.grid": True,
                         "grid.alpha": 0.3, "legend.fontsize": 8})
    return plt


def parser(description, default_stem):
    """An argparse parser with the arguments every chart script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("results", help="results.json written by ipcbench")
    p.add_argument("--out-dir", help="where to write the PNG and SVG "
                   "(default: the directory of RESULTS)")
    p.add_argument("--name", help=f"file stem (default: {default_stem})")
    p.add_argument("--transports", type=lambda s: [x for x in s.split(",") if x],
                   help="comma-separated transports or transport:wait to "
                   "include (default: all)")
    return p


def run(main, argv=None):
    """Calls main(argv); returns its status or that of the PlotError it raised."""
    if (_LOADING_QUIETLY
            and threading.current_thread() is threading.main_thread()):
        # From here Ctrl-C is a KeyboardInterrupt again (see above).
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return main(argv)
    except PlotError as e:
        print(f"plot: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("plot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `compare.py A B | head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def load_for_chart(args):
    """Loads RESULTS, then imports pyplot: bad input fails before any import.
    Warns of an incomplete run and of each benchmark left out for an
    invalid figure (NaN, infinite or negative)."""
    results = load(args.results)
    if not results.complete:
        print(f"plot: warning: {args.results} is from an incomplete run "
              "(interrupted?); showing what finished", file=sys.stderr)
    for h in results.invalid():
        print(f"plot: warning: {args.results}: {h['name']} is left out: "
              f"{h['reason']}", file=sys.stderr)
    warn_spectra(results)
    return results, import_pyplot()


def warn_spectra(results):
    """Says on stderr when the distributions side file could not be read
    (latency CDFs and .hgrm files then have only the kept percentiles, and
    the records lack their details)."""
    if not results.full_spectra:
        print(f"plot: warning: {results.path}: {results.spectra_note}; "
              f"{ir.DETAILS_MISSING}", file=sys.stderr)


def out_dir(args):
    return args.out_dir or os.path.dirname(os.path.abspath(args.results))


COLOURS = [f"C{i}" for i in range(10)] + ["#444444", "#8c564b", "#17becf"]


def series_styles(all_series, by_family=False):
    """series -> matplotlib style kwargs, stable across every chart of a run:
    a colour and marker per transport (its place among the run's
    transports, or with by_family among its family's, so that a family's
    panel never repeats a colour), a line style per wait strategy (solid
    block, dashed spin)."""
    transports = sorted({s.partition(":")[0] for s in all_series})
    if by_family:
        index = {t: i for _, ts in families.group(transports)
                 for i, t in enumerate(ts)}
    else:
        index = {t: i for i, t in enumerate(transports)}
    colours = COLOURS
    styles = {}
    for s in all_series:
        transport, _, wait = s.partition(":")
        i = index[transport]
        styles[s] = {"color": colours[i % len(colours)],
                     "marker": MARKERS[i % len(MARKERS)],
                     "linestyle": WAIT_STYLES.get(wait, ":")}
    return styles


def series_colours(all_series, by_family=False):
    """series -> a colour of its own, for charts whose line style means
    something else: the transport's colour (as in series_styles), darker for
    spin and lighter for other wait strategies when the run has the transport
    with more than one."""
    from matplotlib.colors import to_rgb
    styles = series_styles(all_series, by_family)
    waits = {}
    for s in all_series:
        transport, _, wait = s.partition(":")
        waits.setdefault(transport, set()).add(wait)
    colours = {}
    for s in all_series:
        transport, _, wait = s.partition(":")
        rgb = to_rgb(styles[s]["color"])
        if len(waits[transport]) > 1 and wait != "block":
            towards = 0.0 if wait == "spin" else 1.0
            rgb = tuple(c + (towards - c) * 0.45 for c in rgb)
        colours[s] = rgb
    return colours


def by_line(heads, several=None):
    """{(series, label): headlines} sorted by label: one line per series, and
    per placement ("pipe:block, same") when `several` (default: when the
    headlines come from more than one placement)."""
    if several is None:
        several = len({h["placement"] for h in heads}) > 1
    out = {}
    for h in heads:
        label = f"{h['series']}, {h['placement']}" if several else h["series"]
        out.setdefault((h["series"], label), []).append(h)
    return dict(sorted(out.items(), key=lambda kv: kv[0][1]))


# Settings that can tell apart benchmarks of one scenario, transport:wait and
# size (headline keys), and what each looks like in a label.
# A percentage run (--rate=50%) is told apart by its percentage: its
# offered_per_s differs from transport to transport (a share of each one's
# own stream figure).
SETTINGS = ("placement", "offered_percent", "offered_per_s", "producers",
            "consumers", "capacity", "pairs")
SETTING_NAMES = {"placement": "placement", "offered_per_s": "offered rate",
                 "offered_percent": "offered load",
                 "producers": "producers", "consumers": "consumers",
                 "capacity": "capacity",
                 "pairs": "pairs"}
# A line style and a bar hatch per variant (first one plain). No ":" among
# them: latency_cdf draws unresolved tails dotted, compare.py draws p99 so.
VARIANT_LINESTYLES = ("-", "--", "-.", (0, (8, 2, 1, 2, 1, 2)), (0, (14, 4)),
                      (0, (4, 1, 1, 1)))
LINESTYLE_NAMES = ("solid", "dashed", "dash-dot", "dash-dot-dot", "long dash",
                   "dense dash-dot")
VARIANT_HATCHES = ("", "///", "...", "xxx", "\\\\\\", "++")
HATCH_NAMES = ("plain", "hatched ///", "dotted", "crossed", "hatched \\\\\\",
               "hatched +")


def _setting_text(key, value):
    if key == "offered_per_s":
        return f"{fmt_rate(value).replace(' ', '')}/s"
    if key == "offered_percent":
        return f"{value:g}% of capacity"
    if key in ("producers", "consumers"):
        return f"{value} {key[:-1]}{'s' if value != 1 else ''}"
    if key == "capacity":
        return f"{value} capacity"
    if key == "pairs":
        return f"{value} pair{'s' if value != 1 else ''}"
    return str(value)


class Variants:
    """What tells apart benchmarks of one scenario beyond transport:wait and
    message size: the placement when the run swept more than one, the
    offered rate, the number of producers or consumers, the capacity mode
    (--capacity), the number of concurrent pairs (--pairs); of these, the
    ones with more than one value among `heads` (a scenario's successful
    headlines). Every
    benchmark gets a line (or bar) of its own, labelled "pipe:block, same",
    and a line style or hatch per variant (placements in run order, rates
    and producer counts ascending), so that no chart joins or stacks
    benchmarks that differ in a setting. With nothing to tell apart (a run
    of one placement) labels are plain transport:wait and charts keep their
    usual styles."""

    def __init__(self, heads):
        heads = list(heads)
        by_percent = any(h.get("offered_percent") is not None for h in heads)
        self.varying = tuple(k for k in SETTINGS
                             if len({h.get(k) for h in heads}) > 1
                             and not (by_percent and k == "offered_per_s"))
        runs = {}
        for h in heads:
            runs.setdefault(h["placement"], len(runs))
        firsts = {}
        for h in heads:
            firsts.setdefault(self.key(h), h)
        caps = {}
        for h in heads:
            caps.setdefault(h.get("capacity", "default"), len(caps))
        self.order = sorted(firsts, key=lambda k: (
            runs[firsts[k]["placement"]], firsts[k].get("offered_percent") or 0,
            firsts[k]["offered_per_s"] or 0,
            firsts[k]["producers"] or 0,
            firsts[k].get("consumers") or 0,
            caps[firsts[k].get("capacity", "default")],
            firsts[k].get("pairs") or 1))
        self._first = firsts

    @property
    def several(self):
        """True when labels and styles must tell benchmarks apart."""
        return bool(self.varying)

    def key(self, h):
        return tuple(h.get(k) for k in self.varying)

    def index(self, h):
        """Position of h's variant (placements in run order, ...)."""
        key = self.key(h)
        return self.order.index(key) if key in self.order else len(
            self.order)

    def text(self, h, cpus=False):
        """"same", "cross, 10k/s", ...: h's settings that vary, "" if none;
        with cpus, a same/cross placement names its CPUs: "same (driver CPU
        0, peer CPU 0)" (a custom one does anyway: "cpus 2,3")."""
        parts = []
        for k in self.varying:
            if h.get(k) is None:
                continue
            text = _setting_text(k, h[k])
            if cpus and k == "placement" and h["driver_cpu"] is not None \
                    and text not in ("unpinned", "unknown") \
                    and not text.startswith("cpus "):
                text += f" ({cpus_text(h)})"
            parts.append(text)
        return ", ".join(parts)

    def label(self, h):
        """"pipe:block, same" in a sweep, else "pipe:block"."""
        text = self.text(h)
        return f"{h['series']}, {text}" if text else h["series"]

    def title(self):
        """What a label names: "transport:wait", "transport:wait, placement"."""
        return ", ".join(["transport:wait"] + [SETTING_NAMES[k]
                                               for k in self.varying])

    def by_line(self, heads):
        """{(series, label): headlines}, one entry per transport:wait and
        variant, by series and then variant."""
        out = {}
        for h in sorted(heads, key=lambda h: (h["series"], self.index(h))):
            out.setdefault((h["series"], self.label(h)), []).append(h)
        return out

    def linestyle(self, h):
        return VARIANT_LINESTYLES[self.index(h) % len(VARIANT_LINESTYLES)]

    def hatch(self, h):
        return VARIANT_HATCHES[self.index(h) % len(VARIANT_HATCHES)]

    def style(self, h, styles, colours=None):
        """Line style kwargs of h: styles[series] (series_styles) with one
        variant, else the series' own colour (series_colours, as the line
        style no longer shows the wait strategy) and the variant's style."""
        style = styles[h["series"]]
        if not self.several:
            return style
        colours = colours or series_colours(list(styles))
        return dict(style, color=colours[h["series"]],
                    linestyle=self.linestyle(h))

    def key_text(self, bars=False):
        """How the variants look, for a caption: "line style: solid same
        (driver CPU 0, peer CPU 0), dashed cross (...)", or with bars "bars:
        plain same (...), hatched /// cross (...)"; "" with one variant."""
        if not self.several:
            return ""
        names = HATCH_NAMES if bars else LINESTYLE_NAMES
        return ("bars: " if bars else "line style: ") + ", ".join(
            f"{names[i % len(names)]} {self.text(self._first[k], cpus=True)}"
            for i, k in enumerate(self.order))


def variants_of(results, scenario):
    """The Variants of a scenario's successful benchmarks, all transports
    (labels stay the same whatever --transports shows)."""
    return Variants(results.select(scenario))


def small_multiples(plt, n, ncols=3, size=(5.2, 4.2), legend_width=3.2,
                    **kwargs):
    """A figure with n panels, ncols to a row, room on the right for a legend
    (outside_legend), and the list of those panels (unused cells removed)."""
    import math
    ncols = max(1, min(n, ncols))
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(size[0] * ncols + 0.8 + legend_width,
                                      size[1] * nrows + 1.2), **kwargs)
    axes = [ax for row in grid for ax in row]
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


def outside_legend(ax, **kwargs):
    """A legend to the right of the panel (the top right one of a grid)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0,
              **kwargs)


SWEEP_LEGEND_ROWS = 24  # entries per column of a sweep's outside legend
SWEEP_LEGEND_WIDTH = 3.0  # inches per column


def sweep_width(width, variants, entries):
    """A chart's figure width: as it always was with one variant, wider by
    the columns of its outside legend (sweep_legend) in a sweep."""
    if not variants.several:
        return width
    return width + SWEEP_LEGEND_WIDTH * -(-entries // SWEEP_LEGEND_ROWS)


def sweep_legend(ax, entries, title):
    """A sweep's legend (a line per transport:wait and placement, too many
    to sit on the data): outside, right of the panel."""
    outside_legend(ax, title=title, ncol=-(-entries // SWEEP_LEGEND_ROWS))


# ---- one row of panels per transport family (families.py) ---------------

REFERENCE_PREFIX = "best of "  # legend label of a family's reference line
REFERENCE_COLOUR = "#8c8c8c"
REFERENCE_MARKERS = dict(zip((f.key for f in families.FAMILIES), "s^Dvo"))
FAMILY_LEGEND_ROWS = 22  # entries per column of a family row's legend


def by_family(lines):
    """[(Family, {(series, label): headlines})] of a chart's lines
    (Variants.by_line), families in panel order."""
    return [(family, dict(items)) for family, items in families.group(
        lines.items(), transport=lambda kv: kv[0][0])]


def family_references(panels, points, higher_is_better):
    """{Family: (series, label)} of each family's best line
    (families.best_line), points(headlines) -> {x: headline figure}."""
    out = {}
    for family, lines in panels:
        best = families.best_line({k: points(g) for k, g in lines.items()},
                                  higher_is_better)
        if best is not None:
            out[family] = best
    return out


def draw_reference(ax, family, label, x, y, linestyle="-"):
    """A family's best line, thin and grey, in another family's panel:
    "best of shared memory: shm_ring:spin" in the legend."""
    ax.plot(x, y, color=REFERENCE_COLOUR, linewidth=1.0, alpha=0.9,
            linestyle=linestyle, marker=REFERENCE_MARKERS[family.key],
            markersize=3, zorder=1.5,
            label=f"{REFERENCE_PREFIX}{family.title}: {label}")


def family_grid(plt, nrows, ncols, entries, panel=(5.4, 3.8), **kwargs):
    """A figure with a row of ncols panels per family, room right of each
    row for a legend of up to `entries` entries (family_legend), and the
    panels as a list of rows."""
    columns = -(-max(entries, 1) // FAMILY_LEGEND_ROWS)
    height = max(panel[1], 0.17 * min(entries, FAMILY_LEGEND_ROWS) + 0.9)
    fig, grid = plt.subplots(nrows, ncols, squeeze=False, figsize=(
        panel[0] * ncols + 0.9 + 2.9 * columns, height * nrows + 1.4),
        **kwargs)
    return fig, [list(row) for row in grid]


def family_legend(ax, title, **kwargs):
    """The legend of a family's row, right of its last panel."""
    entries = len(kwargs["handles"]) if "handles" in kwargs else len(
        ax.get_legend_handles_labels()[0])
    outside_legend(ax, title=title,
                   ncol=max(1, -(-entries // FAMILY_LEGEND_ROWS)), **kwargs)


def family_key_text(several_families, over="message sizes"):
    """What a family chart's caption says of its panels and grey lines."""
    if not several_families:
        return ""
    return ("one row of panels per transport family (families.py), the same "
            "axes in every row; thin grey lines: each other family's best "
            f"transport (the best at the most {over})")


def fmt_bytes(n):
    """64 -> "64 B", 4096 -> "4 KiB", 1536 -> "1.5 KiB"."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n:g} B"


def fmt_ns(ns):
    """A duration in ns, in the unit that reads best: "23.7 µs"."""
    if ns is None:
        return "\u2014"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("\u00b5s", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(x, unit=""):
    """1.5e9 -> "1.5 G" (+ unit)."""
    if x is None:
        return "\u2014"
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def size_axis(ax, sizes):
    """Log2 x axis of message sizes, labelled "64 B", "1 KiB", ..."""
    from matplotlib.ticker import FixedLocator, NullFormatter, FuncFormatter
    ax.set_xscale("log", base=2)
    step = 1 if len(sizes) <= 8 else 2
    ax.xaxis.set_major_locator(FixedLocator(sizes[::step]))
    ax.xaxis.set_minor_locator(FixedLocator(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_bytes(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("message size (bytes, log scale)")


def plain_log_axis(axis, si=False, minor=False):
    """Log-scale tick labels as plain numbers (0.1, 1, 10; or 10k, 1M with si)
    instead of 10^n; with minor, also the minor ticks matplotlib would label
    (those of an axis spanning about one decade or less)."""
    from matplotlib.ticker import FuncFormatter, LogFormatter

    def text(v):
        return fmt_rate(v).replace(" ", "") if si else f"{v:g}"

    axis.set_major_formatter(FuncFormatter(lambda v, _: text(v)))
    if minor:
        class Minor(LogFormatter):
            def _num_to_string(self, x, vmin, vmax):
                return text(x)
        axis.set_minor_formatter(Minor(labelOnlyBase=False))


def caption(fig, results, extra=""):
    """The machine (CPU, kernel, placement) along the bottom of the figure."""
    text = results.machine_caption() + (f"\n{extra}" if extra else "")
    fig.text(0.01, 0.005, text, fontsize=7, color="#444444",
             ha="left", va="bottom", wrap=True)
    lines = text.count("\n") + 1
    # tight_layout leaves no room for a suptitle: keep about half an inch
    # for it, or it overlaps the first row's panel titles.
    top = 1 - 0.5 / fig.get_figheight() if fig._suptitle is not None else 1
    fig.tight_layout(rect=(0, 0.02 + 0.028 * lines, 1, top))


def render(fig, plt):
    """The figure as {"png": bytes, "svg": bytes}; closes it."""
    out = {}
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        out[fmt] = buf.getvalue()
    plt.close(fig)
    return out


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def interrupts_held():
    """Ctrl-C (SIGINT) inside the block is held until the block ends, then
    raised as KeyboardInterrupt: for steps that must not stop half-way. A
    Python handler, not a signal mask, as the signal may reach another
    thread (scipy's); outside the main thread, where handlers cannot be
    set, nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *a: caught.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(*caught[0])


def write_outputs(directory, files):
    """Writes {file name: bytes} into directory, all or none; returns the
    paths. Each file goes to a temporary name beside its own (with the
    permissions a plain open() would give, not mkstemp's 0600) and, once
    all are written, every one is renamed into place. A failure or Ctrl-C
    before that removes the temporary files; Ctrl-C during the renames is
    held until the last one."""
    temps = []  # (temporary path, final path)
    try:
        os.makedirs(directory, exist_ok=True)
        for name, data in files.items():
            with interrupts_held():  # no temporary file goes unrecorded
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
                temps.append((tmp, os.path.join(directory, name)))
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o666 & ~_umask())
                f.write(data)
        with interrupts_held():
            for tmp, path in temps:
                os.replace(tmp, path)
    except OSError as e:
        raise PlotError(f"cannot write into {directory} ({e.strerror})",
                        "choose a writable --out-dir") from None
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [path for _, path in temps]


def save_chart(args, fig, stem, plt):
    """Renders a chart script's figure and writes STEM.png and STEM.svg."""
    rendered = render(fig, plt)
    stem = args.name or stem
    paths = write_outputs(out_dir(args), {f"{stem}.{k}": v
                                          for k, v in rendered.items()})
    for p in paths:
        print(p)
    return 0


def no_data(results, what, fix):
    """The PlotError for a run with nothing of the kind a chart needs."""
    return PlotError(f"{results.path} has no successful {what}", fix)
