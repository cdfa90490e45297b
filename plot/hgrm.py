#!/usr/bin/python3
"""Writes each latency distribution of a results file in HdrHistogram's
percentile text format (.hgrm), the text HdrHistogram's
outputPercentileDistribution() prints and its plotters and tools read: one
file per benchmark run with a latency distribution.

    /usr/bin/python3 plot/hgrm.py R.json [--out-dir DIR] [--unit us] [--force]

Where the rows come from. ipcbench keeps no histogram: the harness sorts
every sample and records percentiles p0, p1 ... p99, p99.5, p99.9, p99.95,
p99.99, p99.999 and p100 (latency.percentiles_ns, nearest rank; tail points
with too few samples are missing). The rows follow HdrHistogram's percentile
ticks (5 per half distance to 100 %: 0, 10 ... 50, 55 ... 75, 77.5 ...): at
each tick, the row is the nearest *recorded* percentile at or above the tick,
printed with that percentile and its recorded value, never interpolated and
never labelled with the tick; a recorded percentile that several ticks share
is one row. The last row is p100 (the maximum), as in HdrHistogram.
TotalCount is the row's nearest rank, ceil(p x count) (at least 1): how many
samples lie at or below it in sorted order (equal samples above that rank
are not known from the file). The footer has the file's mean, standard
deviation (of the sample, n - 1), maximum and count; Buckets and SubBuckets
are 0, as there is no histogram behind the rows. Comment lines after the
footer say all this in each file.

Values are printed in --unit (default us, microseconds: HdrHistogram's
"value units" convention, the recorded ns divided by the scaling ratio 1000)
with 3 decimals, as HdrHistogram does with 3 significant digits; numbers
are rounded half up from their shortest decimal form, as Java's Formatter
does.

Files go to DIR (default: hgrm/ beside R.json), named after the benchmark
("pingpong/pipe:spin/64" -> pingpong_pipe-spin_64.hgrm; ".rep<N>" per
repetition when the benchmark has several; one-way benchmarks also get
.driver_to_peer and .peer_to_driver files). Each is created exclusively: an
existing file is never overwritten and a symbolic link never written
through; with --force an existing regular file is replaced (a link or
anything else never is). All files or none: if one is in the way, nothing
is written, and if one cannot be written, those this run created are
removed (files --force replaced stay replaced).

Batch means (ping-pong timed with the clock, latency.kind batch_mean) are
not exported: their tails are not round trips; nor are benchmarks with an
invalid figure. Both are listed as "not exported", with the reason.

Exit status: 0 written, 2 bad input or a file in the way, 130 Ctrl-C.
"""

import argparse
import math
import os
import re
import stat
import sys
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import chart_common as cc
import results_check as rc
from ipcbench_results import DAMAGED, PlotError, load, normalize_name

TICKS_PER_HALF_DISTANCE = 5  # HdrHistogram's default
VALUE_DECIMALS = 3  # HdrHistogram's numberOfSignificantValueDigits, usually 3
UNITS = {"ns": (1, "nanoseconds"), "us": (1000, "microseconds"),
         "ms": (1_000_000, "milliseconds")}
HEADER = "%12s %14s %10s %14s\n\n" % ("Value", "Percentile", "TotalCount",
                                      "1/(1-Percentile)")
BATCH_MEANS = ("batch means (clock timer): its percentiles above p50 are "
               "of batch means, not round trips")


def fixed(x, places):
    """x with `places` decimals, rounded half up from its shortest decimal
    form (as Java's Formatter rounds a double); x an int, float, Fraction
    or Decimal."""
    if isinstance(x, Fraction):
        with localcontext() as ctx:
            ctx.prec = 50
            x = Decimal(x.numerator) / Decimal(x.denominator)
    elif not isinstance(x, Decimal):
        x = Decimal(repr(x))
    return format(x.quantize(Decimal(1).scaleb(-places),
                             rounding=ROUND_HALF_UP), "f")


def ticks(per_half=TICKS_PER_HALF_DISTANCE):
    """HdrHistogram's percentile ticks below 100, exactly (Fractions, in
    percent): per_half steps in each half of the remaining distance to 100
    (0, 10, 20 ... 50, 55 ... 75, 77.5 ... 87.5, 88.75 ...), as its
    PercentileIterator steps them."""
    level = Fraction(0)
    while True:
        yield level
        # floor(log2(100 / (100 - level))), exactly
        halvings = 0
        while 2 ** (halvings + 1) * (100 - level) <= 100:
            halvings += 1
        level += Fraction(100, per_half * 2 ** (halvings + 1))


def nearest_rank(p, count):
    """The rank of percentile p (percent) among count samples, as the
    harness picks it: ceil(p/100 x count), at least 1, at most count."""
    return min(max(math.ceil(p * count / 100), 1), count)


def rows_of(percentiles, count, per_half=TICKS_PER_HALF_DISTANCE):
    """[(percentile, value, rank)]: the recorded percentile nearest at or
    above each tick, once each, then p100. percentiles: {"99.9": value}."""
    recorded = sorted((Fraction(k), v) for k, v in percentiles.items())
    out = []
    at = 0
    for tick in ticks(per_half):
        while recorded[at][0] < tick:
            at += 1
        p, value = recorded[at]
        if p == 100:
            break
        if not out or out[-1][0] != p:
            out.append((p, value, nearest_rank(p, count)))
    out.append((recorded[-1][0], recorded[-1][1], count))
    return out


def printable(text):
    return "".join(c if c.isprintable() else "?" for c in str(text))


def format_hgrm(dist, unit="us", what="", per_half=TICKS_PER_HALF_DISTANCE):
    """The .hgrm text of a distribution (latency.percentiles_ns, count,
    mean_ns, stddev_ns, max_ns), values in `unit`; `what` names it in the
    comment lines."""
    ratio, unit_name = UNITS[unit]
    count = dist["count"]
    scaled = lambda ns: fixed(Decimal(repr(ns)) / ratio,  # noqa: E731
                              VALUE_DECIMALS)
    lines = [HEADER]
    rows = rows_of(dist["percentiles_ns"], count, per_half)
    for p, value, rank in rows[:-1]:
        lines.append("%12s %s %10d %14s\n" % (
            scaled(value), fixed(p / 100, 12), rank,
            fixed(Fraction(100) / (100 - p), 2)))
    p, value, rank = rows[-1]
    lines.append("%12s %s %10d\n" % (scaled(value), fixed(p / 100, 12), rank))
    lines.append("#[Mean    = %12s, StdDeviation   = %12s]\n" % (
        scaled(dist["mean_ns"]), scaled(dist["stddev_ns"])))
    lines.append("#[Max     = %12s, Total count    = %12d]\n" % (
        scaled(dist["max_ns"]), count))
    lines.append("#[Buckets = %12d, SubBuckets     = %12d]\n" % (0, 0))
    lines.append(
        f"# ipcbench: {printable(what)}; {count} samples; values in "
        f"{unit_name} (ns / {ratio}).\n"
        f"# Not a histogram: each row is the recorded percentile nearest at "
        f"or above one of HdrHistogram's percentile ticks ({per_half} per "
        f"half distance), with that percentile and its recorded value (not "
        f"interpolated); TotalCount is its nearest rank, ceil(p x count). "
        f"Buckets and SubBuckets are 0: no histogram behind these rows.\n")
    return "".join(lines)


def safe_name(name):
    """A file name stem for a benchmark name: "/" -> "_", ":" -> "-",
    anything but letters, digits, ".", "_" and "-" -> "_", no leading dot,
    at most 150 characters."""
    stem = name.replace("/", "_").replace(":", "-")
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".")[:150]
    return stem or "benchmark"


def _statuses(results):
    """(name, repetition index) -> (status, reason) of every row."""
    return {(r["name"], r["repetition_index"]): (r["status"], r["reason"])
            for r in results.rows}


def distributions(results):
    """([(file stem, what, distribution)], [(name, reason)]): every latency
    distribution of the file to export, and those left out, with why."""
    records = [r for r in results.block["benchmarks"]
               if isinstance(r, dict) and isinstance(r.get("latency"), dict)]
    names = [normalize_name(r["name"]) for r in records]
    statuses = _statuses(results)
    out, left_out = [], []
    for name, rec in zip(names, records):
        rep = rec.get("repetition_index", 0)
        label = name
        stem = safe_name(name)
        if names.count(name) > 1:
            label += f" (repetition {rep})"
            stem += f".rep{rep}"
        status, reason = statuses.get((name, rep), ("ok", ""))
        lat = rec["latency"]
        if status != "ok":
            left_out.append((label, f"{status}: {reason}"))
            continue
        if lat.get("kind") == "batch_mean":
            left_out.append((label, BATCH_MEANS))
            continue
        kind = lat.get("kind", "latency")
        dists = [(stem, f"{label}, {kind} latency", lat)]
        oneway = rec.get("oneway") or {}
        for side in ("driver_to_peer", "peer_to_driver"):
            if isinstance(oneway.get(side), dict):
                dists.append((f"{stem}.{side}",
                              f"{label}, one-way {side.replace('_', ' ')}",
                              oneway[side]))
        for stem_, what, dist in dists:
            why = _unusable(results.path, what, dist)
            if why:
                left_out.append((what, why))
            else:
                out.append((stem_, what, dist))
    return out, left_out


REQUIRED = ("count", "mean_ns", "stddev_ns", "max_ns", "percentiles_ns")


def _unusable(path, what, dist):
    """Why a distribution cannot be written ("" if it can); a wrong type
    (load() checks all but peer_to_driver) is a PlotError."""
    flagged = []
    try:
        rc.check(dist, rc.DISTRIBUTION, "", flagged)
    except rc.Malformed as e:
        raise PlotError(f"{path}: {printable(what)}: {e}", DAMAGED) from None
    missing = [k for k in REQUIRED if k not in dist]
    if missing:
        return f"incomplete distribution: no {', '.join(missing)}"
    if flagged:
        return rc.invalid_figure(*flagged[0])
    if not dist["count"] or "100" not in dist["percentiles_ns"]:
        return "no samples"
    return ""


def _unique(stems):
    """stems made unique with -2, -3 ... (safe_name may map two names to
    one)."""
    seen, out = set(), []
    for stem in stems:
        candidate, n = stem, 1
        while candidate in seen:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _check_targets(paths, force):
    """Refuses an existing target (any, without force; other than a regular
    file, with it): nothing is written then."""
    for path in paths:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if not force:
            raise PlotError(f"{path} exists; not overwritten",
                            "remove it, choose another --out-dir, or pass "
                            "--force to replace existing files")
        if not stat.S_ISREG(st.st_mode):
            raise PlotError(f"{path} exists and is not a regular file "
                            "(a symbolic link?); never written through",
                            "remove it or choose another --out-dir")


def _replace(path, data):
    """--force: data into a new file beside path, renamed over it (a rename
    replaces the directory entry, never follows a link)."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-"
                       f"{os.path.basename(path)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                 | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise PlotError(f"{path} changed into a non-regular file "
                            "while writing; never written through",
                            "remove it or choose another --out-dir")
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def write_files(directory, files, force=False):
    """Writes {file name: text} into directory, all or none, each created
    exclusively (O_CREAT | O_EXCL | O_NOFOLLOW: never through a link, never
    over an existing file); with force an existing regular file is
    replaced. Returns the paths."""
    paths = {name: os.path.join(directory, name) for name in files}
    created = []
    try:
        os.makedirs(directory, exist_ok=True)
        _check_targets(paths.values(), force)
        for name, text in files.items():
            path, data = paths[name], text.encode("utf-8")
            if force and os.path.lexists(path):
                _replace(path, data)
                continue
            with cc.interrupts_held():  # no created file goes unrecorded
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
                created.append(path)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    except FileExistsError as e:
        _remove(created)
        raise PlotError(f"{e.filename} appeared while writing; not "
                        "overwritten", "run again, or pass --force") from None
    except OSError as e:
        _remove(created)
        raise PlotError(f"cannot write into {directory} ({e.strerror})",
                        "choose a writable --out-dir") from None
    except BaseException:
        _remove(created)
        raise
    return list(paths.values())


def _remove(paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 written, 2 bad input or a file in the way, "
               "130 interrupted.")
    p.add_argument("results", metavar="R.json")
    p.add_argument("--out-dir", help="where the .hgrm files go (default: "
                   "hgrm/ beside R.json)")
    p.add_argument("--unit", choices=sorted(UNITS), default="us",
                   help="unit of the values (default: us, microseconds)")
    p.add_argument("--force", action="store_true",
                   help="replace existing regular files (never a link)")
    args = p.parse_args(argv)
    results = load(args.results)
    cc.warn_spectra(results)  # without the side file: fewer rows
    dists, left_out = distributions(results)
    if not dists:
        raise PlotError(f"{args.results} has no latency distribution to "
                        "export" + (f" ({left_out[0][0]}: {left_out[0][1]})"
                                    if left_out else ""),
                        "export a run of the pingpong, oneway, rate, fanin or "
                        "fanout scenario")
    out_dir = args.out_dir or os.path.join(
        os.path.dirname(os.path.abspath(args.results)), "hgrm")
    stems = _unique([stem for stem, _, _ in dists])
    files = {f"{stem}.hgrm": format_hgrm(dist, args.unit, what)
             for stem, (_, what, dist) in zip(stems, dists)}
    for path in write_files(out_dir, files, args.force):
        print(f"hgrm: {path}")
    for what, reason in left_out:
        print(f"not exported: {printable(what)} \u2014 {printable(reason)}")
    return 0


if __name__ == "__main__":
    sys.exit(cc.run(main))
