"""The HTML of report.html: one page (inline CSS and a few lines of
JavaScript to sort the table) that shows the charts from the PNG files
written beside it (linked by file name, not inlined, so that the page of a
full run stays small), built from a Results object and charts rendered in
memory. It opens with the answer: the best transport per family and message
size (summary), then a table of contents. Every string from the results
file is escaped."""

import html
import json
import urllib.parse

import chart_common as cc
import families
from chart_common import fmt_bytes, fmt_ns, fmt_rate
from headlines import HEADLINES, METRICS, best_first
from ipcbench_results import BATCH_MEANS, representative

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 0 1.5em;
       max-width: 1300px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; }
.sub { color: #555; margin-top: 0; }
.box { border-left: 4px solid; padding: .4em .8em; margin: .6em 0;
       background: #fafafa; }
.warn { border-color: #d9a400; } .fail { border-color: #c62828; }
.skip { border-color: #777; } .ok { border-color: #2e7d32; }
.box ul { margin: .2em 0; padding-left: 1.2em; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left;
         vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums;
       white-space: nowrap; }
table.env th { width: 14em; color: #444; font-weight: 600; }
table.sortable th { cursor: pointer; background: #f0f0f0; position: sticky;
                    top: 0; white-space: nowrap; }
table.sortable th[data-dir=asc]::after { content: " \\25B2"; }
table.sortable th[data-dir=desc]::after { content: " \\25BC"; }
tr.failed td, tr.invalid td { color: #c62828; }
tr.skipped td { color: #777; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto;
  border: 1px solid #eee; }
figcaption { color: #555; font-size: 13px; }
code { font-size: 12px; word-break: break-all; }
table.sortable td:last-child { min-width: 12em; }
div.wide { overflow-x: auto; }
table.summary td { min-width: 9em; } table.summary td.best { background: #e8f5e9; }
table.summary th { background: #f0f0f0; }
nav ul { margin: .2em 0; } nav li { margin: .1em 0; }
"""

SORT_JS = """
document.querySelectorAll("table.sortable th").forEach((th, col) => {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0];
    const asc = th.dataset.dir !== "asc";
    th.parentNode.querySelectorAll("th").forEach(h => delete h.dataset.dir);
    th.dataset.dir = asc ? "asc" : "desc";
    const key = r => { const c = r.cells[col];
      return c.dataset.v === undefined ? c.textContent
           : c.dataset.v === "" ? NaN : parseFloat(c.dataset.v); };
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if (typeof x === "string") return asc ? x.localeCompare(y) : y.localeCompare(x);
      if (isNaN(x) || isNaN(y)) return isNaN(x) - isNaN(y);
      return asc ? x - y : y - x; });
    rows.forEach(r => body.appendChild(r));
  });
});
"""

e = html.escape


def _list_box(cls, title, items):
    if not items:
        return ""
    lis = "".join(f"<li>{item}</li>" for item in items)
    return f'<div class="box {cls}"><b>{e(title)}</b><ul>{lis}</ul></div>'


def problems(results):
    """Warnings, failures and skipped transports, with their reasons."""
    out = []
    if not results.complete:
        out.append(_list_box("fail", "Incomplete run", [
            "The run did not finish (interrupted or crashed); the report "
            "shows the benchmarks that completed."]))
    out.append(_list_box("warn", f"Warnings ({len(results.warnings)})",
                         [e(w) for w in results.warnings]))
    out.append(_list_box("fail", f"Failures ({len(results.failures)})", [
        f"<code>{e(str(f.get('name')))}</code>: {e(str(f.get('error')))}"
        for f in results.failures]))
    out.append(_list_box("skip", f"Skipped ({len(results.skipped)})", [
        f"<code>{e(str(s.get('name')))}</code>: {e(str(s.get('reason')))}"
        for s in results.skipped]))
    invalid = results.invalid()
    out.append(_list_box("fail", f"Invalid figures ({len(invalid)})", [
        f"<code>{e(h['name'])}</code>: {e(h['reason'])}" for h in invalid]))
    if not (results.warnings or results.failures or results.skipped
            or invalid):
        out.append('<div class="box ok">No warnings, failures or skipped '
                   'transports.</div>')
    return "".join(out)


def _cpus_used(results):
    driver = sorted({r["observed_driver_cpu"] for r in results.rows
                     if r["observed_driver_cpu"] is not None})
    peer = sorted({c for r in results.rows for c in r["observed_peer_cpus"]})
    observed = (f"; observed: driver on CPU {', '.join(map(str, driver))}, "
                f"peer on CPU {', '.join(map(str, peer))}" if driver else "")
    return results.placement_text() + observed


def malloc_text(m):
    """ipcbench.malloc in words: the policy, its thresholds, and why it was
    not applied where it was not."""
    text = str(m.get("policy", "?"))
    if m.get("mmap_threshold_bytes"):
        text += (f": mmap threshold {m['mmap_threshold_bytes'] >> 20} MiB, "
                 f"trim threshold {m.get('trim_threshold_bytes', 0) >> 20} "
                 "MiB, in the driver and every peer")
    elif text == "glibc":
        text += ": glibc's own thresholds, adjusted as blocks are freed"
    if m.get("not_applied"):
        text += f"; not applied: {m['not_applied']}"
    return text


def timer_text(timer):
    """environment.timer in words: what timed ping-pong and one-way round
    trips, its calibration and cost, or why it is the clock."""
    text = str(timer.get("source", "?"))
    if timer.get("tsc_hz"):
        spread = (timer.get("calibration") or {}).get("spread")
        text += f", {timer['tsc_hz'] / 1e9:.6f} GHz against CLOCK_MONOTONIC"
        if spread is not None:
            text += f" (calibration spread {spread:.1e})"
    cost = timer.get("read_cost_ns")
    if cost is not None:
        text += f", read cost {cost:.1f} ns per start/stop pair (not " \
                "subtracted)"
    if timer.get("source") != "tsc" and timer.get("reason"):
        text += f"; the clock because: {timer['reason']} (round trips " \
                "under 1 \u00b5s are batch means)"
    return text


def environment(results):
    """Key facts first, then whatever else the environment block holds."""
    env, ctx = dict(results.environment), results.context
    build, clock = env.pop("build", {}) or {}, env.pop("clock", {}) or {}
    limits = env.pop("limits", {}) or {}
    timer = env.pop("timer", None)
    facts = [
        ("Host", env.pop("hostname", "")),
        ("CPU", f"{env.pop('cpu_model', '?')}, {env.pop('cpus_online', '?')}"
                f" CPUs online, affinity {env.pop('affinity_cpus', '?')}"
                + (", under a hypervisor" if env.pop("hypervisor", False)
                   else "")),
        ("Kernel", f"{env.pop('kernel', '?')} {env.pop('kernel_version', '')}"
                   f" ({env.pop('machine', '')})"),
        ("CPUs used per side", _cpus_used(results)),
        ("Frequency governor", env.pop("scaling_governor", "") or "unknown"),
        ("Build", f"{build.get('build_type', '?')}, compiler "
                  f"{build.get('compiler', '?')}, flags "
                  f"'{build.get('cxx_flags', '').strip()}'; Google Benchmark "
                  f"library: {ctx.get('library_build_type', '?')}"),
        ("Git commit", build.get("git_commit", "unknown")),
        ("Clock", f"{clock.get('api', '?')}, source {clock.get('source', '?')}"
                  f", read cost {clock.get('read_cost_ns', '?')} ns, "
                  f"resolution {clock.get('resolution_ns', '?')} ns, smallest "
                  f"step {clock.get('min_step_ns', '?')} ns"),
        *([("Round-trip timer", timer_text(timer))] if timer else []),
        *([("Malloc", malloc_text(results.block["malloc"]))]
          if isinstance(results.block.get("malloc"), dict) else []),
        ("Date", ctx.get("date", "")),
        ("Command line", " ".join(map(str, results.block.get(
            "command_line", [])))),
    ]
    if limits:
        facts.append(("Kernel limits", ", ".join(
            f"{k}={v}" for k, v in limits.items())))
    facts += [(k, v if isinstance(v, str) else json.dumps(v))
              for k, v in env.items()]
    rows = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
                   for k, v in facts)
    return f'<table class="env">{rows}</table>'


def _settings(h):
    """A benchmark's settings beyond scenario, transport:wait and size
    (offered rate, producers, consumers, placement, pairs): only benchmarks
    with the same settings are ranked against each other."""
    return (h["offered_per_s"] or 0, h["producers"] or 0,
            h.get("consumers") or 0, h["placement"], h["pairs"])


def _rank(results):
    """Rank of each ok benchmark among transports at its scenario, size and
    settings, by the scenario's headline figure (HEADLINES; memcpy, which
    has none, is not ranked)."""
    ranks = {}
    groups = {}
    for h in results.select():
        if h["scenario"] in HEADLINES:
            groups.setdefault((h["scenario"], h["message_bytes"],
                               _settings(h)), []).append(h)
    for (scenario, _, _), heads in groups.items():
        heads = best_first(HEADLINES[scenario], heads)
        ranks.update({h["name"]: i + 1 for i, h in enumerate(heads)})
    return ranks


def ranking_text():
    """What the headline column holds: "Ping-pong round-trip latency: p50,
    lower is better; ..."."""
    return "; ".join(
        f"{h.title}: {METRICS[h.key]}, "
        f"{'higher' if h.higher_is_better else 'lower'} is better"
        for h in HEADLINES.values())


# How the headline column writes a figure, by unit.
HEADLINE_TEXT = {"ns": fmt_ns, "B/s": lambda v: f"{v / 1e6:,.1f} MB/s",
                 "msgs/s": lambda v: fmt_rate(v, "msgs/s")}


def _headline_cell(h):
    """The benchmark's headline figure (HEADLINES), or a dash."""
    kind = HEADLINES.get(h["scenario"])
    value = h[kind.key] if kind else None
    if value is None:
        return _cell(None, "\u2014")
    text = HEADLINE_TEXT[kind.unit](value)
    if kind.unit == "ns":
        text += f" {METRICS[kind.key]}"
    return _cell(value, text)


def _cell(value, text, numeric=True):
    v = "" if value is None else repr(value)
    cls = ' class="n"' if numeric else ""
    return f'<td{cls} data-v="{e(v)}">{e(text)}</td>'


def _short_source(source):
    """The note for a measured benchmark: how its headline was taken."""
    if source.startswith("Google Benchmark median"):
        return "median (GB aggregate)"
    return source.replace(" repetitions", " reps")


def _cpu_cell(row):
    """CPU time per round trip or message of the driver, the peer and, for a
    transport with a broker of its own, the broker: "5.2 / 5.1 / 59.7";
    sorted by their sum."""
    if row is None or row["cpu_driver_ns"] is None:
        return _cell(None, "\u2014")
    parts = [row["cpu_driver_ns"], row["cpu_peer_ns"], row["cpu_daemon_ns"]]
    shown = [v for v in parts if v is not None]
    text = " / ".join(f"{v / 1e3:,.1f}" for v in shown)
    if row["cpu_daemon_ns"] is None:
        text += " / \u2014"
    return _cell(sum(shown), text)


def _note(h):
    """The table's note: why a benchmark has no figure, else where its
    figures come from, whether its latency is batch means, and a fan-out's
    delivery and loss (never left out: "may drop, 96.7 % lost")."""
    note = h["reason"] or _short_source(h["source"])
    if h.get("batch_means"):
        note = f"{note}; {BATCH_MEANS}" if note else BATCH_MEANS
    if h["scenario"] == "fanout" and h.get("loss_fraction") is not None:
        import fanout_throughput
        delivery = ("lossless" if h.get("delivery") == "lossless"
                    else fanout_throughput.MAY_DROP)
        note += (f"; {delivery}, "
                 f"{fanout_throughput.loss_text(h['loss_fraction'])}")
    return note


def table(results):
    """Every benchmark, ranked within scenario, size and settings, sortable."""
    ranks = _rank(results)
    heads = sorted(results.headlines, key=lambda h: (
        h["scenario"], h["message_bytes"], h["offered_per_s"] or 0,
        h["producers"] or 0, h.get("consumers") or 0, _settings(h),
        ranks.get(h["name"], 1e9),
        h["name"]))
    cols = ("benchmark", "transport:wait", "size", "headline", "rank",
            "status", "reps", "p50", "p90", "p99", "p99.9", "MB/s", "msgs/s",
            "CPUs (driver/peer)", "CPU \u00b5s (driver/peer/broker)",
            "note")
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = []
    for h in heads:
        runs = h["runs"]
        cpus = sorted({
            f"{r['observed_driver_cpu']}/"
            f"{','.join(map(str, r['observed_peer_cpus'])) or '?'}"
            for r in runs if r["observed_driver_cpu"] is not None})
        mbs = h["bytes_per_second"] / 1e6 if h["bytes_per_second"] else None
        cells = [
            _cell(None, h["name"], False),
            _cell(None, h["series"], False),
            _cell(h["message_bytes"], fmt_bytes(h["message_bytes"])),
            _headline_cell(h),
            _cell(ranks.get(h["name"]), str(ranks.get(h["name"], "\u2014"))),
            _cell(None, h["status"], False),
            _cell(h["repetitions"], str(h["repetitions"])),
            *[_cell(h[k], fmt_ns(h[k])) for k in
              ("p50_ns", "p90_ns", "p99_ns", "p999_ns")],
            _cell(mbs, f"{mbs:,.1f}" if mbs else "\u2014"),
            _cell(h["msgs_per_s"], fmt_rate(h["msgs_per_s"])),
            _cell(None, ", ".join(cpus), False),
            _cpu_cell(representative(runs)),
            _cell(None, _note(h), False)]
        body.append(f'<tr class="{e(h["status"])}">{"".join(cells)}</tr>')
    return (f'<div class="wide"><table class="sortable"><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _about_rate(results):
    return (
        "What is measured: the driver sends one message per slot of a fixed "
        "schedule at the offered rate (open loop: it never waits for the "
        "receiver), and each message carries the time its slot was due. The "
        "receiver records arrival minus that intended send time, so when the "
        "sender runs late (blocked in send because the receiver fell behind, "
        "or descheduled) the lateness counts as latency instead of being "
        "hidden. Solid lines are p50, dashed p99; both axes are logarithmic; "
        "one colour per transport:wait, one panel per message size. A missed "
        "slot is a slot the sender reached a whole period or more after it "
        "was due: the message still goes out, late, and the delay is in its "
        "latency. A hollow marker means the transport did not keep up at "
        "that rate (missed slots > 0, or an achieved rate below 95 % of the "
        "offered one): from there on latency measures the backlog and grows "
        "with the length of the run, so compare transports where the "
        "markers are filled.")


def _about_placement(results):
    where = ("On a virtual machine like this one"
             if results.environment.get("hypervisor")
             else "On a virtual machine")
    return (
        "The same benchmarks run under each placement of the sweep "
        "(--placement): same = driver and peer pinned to one CPU, so each "
        "hand-off is a context switch on that CPU; cross = two different "
        "CPUs, so waking a blocked receiver takes an inter-processor "
        "interrupt; cpus A,B = a pair chosen by hand; unpinned = the "
        "scheduler decides. One group of bars per transport:wait (with its "
        "offered rate or producer count where the scenario has one), one bar "
        "per placement, one panel per scenario and message size. Each bar is "
        "the scenario's headline figure: ping-pong p50 round trip with a "
        "whisker to p99, one-way p50 driver\u2192peer with a whisker to p99, "
        "stream messages/s, rate p99 from the intended send time, fan-in "
        "messages/s of all producers together; \u00d7N above a group is its "
        f"largest value over its smallest. {where}, placement alone changes "
        "results by up to 10\u00d7, in either direction: blocking transports "
        "are usually far faster on one CPU, spinning ones only work across "
        "CPUs (on one CPU a spinner waits out the scheduler's time slice). "
        "Compare transports within one placement, and quote the placement "
        "with any figure.")


def _about_fanin(results):
    env = results.environment
    cpus = len(env.get("affinity_cpus") or []) or env.get("cpus_online")
    over = (f"This run could use {cpus} CPU{'s' if cpus != 1 else ''}, so "
            f"from {cpus} producer{'s' if cpus != 1 else ''} on (N producers "
            f"+ 1 consumer > {cpus} CPUs) it is oversubscribed"
            if cpus else "Once producers plus the consumer outnumber the "
            "CPUs (on 2 CPUs: from 2 producers on) the run is oversubscribed")
    return (
        "N producer processes send to one consumer over the same transport; "
        "each producer count (1, 2, 4, \u2026) is a benchmark of its own. The "
        "top panel is the consumer's aggregate receive rate, all producers "
        "together, in messages/s on a log scale; one column per message "
        "size. The panels below show fairness: Jain's index of the "
        "per-producer message counts (1 = every producer got the same share, "
        "1/N = one producer got everything) and the smallest (\u25bc) and "
        "largest (\u25b2) producer's share against the fair share 1/N. "
        f"{over}: the processes time-share CPUs, and aggregate rate and "
        "fairness then reflect the scheduler's time slices at least as much "
        "as the transport (grey background in the chart).")


def _about_fanout(results):
    env = results.environment
    cpus = len(env.get("affinity_cpus") or []) or env.get("cpus_online")
    over = (f"This run could use {cpus} CPU{'s' if cpus != 1 else ''}: "
            f"from {cpus} consumer{'s' if cpus != 1 else ''} on (N consumers "
            f"+ 1 producer > {cpus} CPUs)" if cpus else "Once consumers "
            "plus the producer outnumber the CPUs")
    return (
        "One producer sends back to back and N consumer processes each "
        "receive every message over the same transport; each consumer count "
        "(1, 2, 4, \u2026) is a benchmark of its own. The top panel is the "
        "delivered rate: messages received by all consumers together, over "
        "the time from the producer's first timed send until the last "
        "consumer's last arrival, in messages/s on a log scale; one column "
        "per message size. The middle panel is the loss: the share of "
        "messages (consumers \u00d7 sent) that consumers never received. A "
        "lossless transport (filled markers: its send waits for the slowest "
        "consumer) loses nothing, and a single missing message fails its "
        "benchmark; one that may drop (hollow markers, \"may drop\" in the "
        "legend and the table: ZeroMQ's publish/subscribe, for one) never "
        "waits for a slow consumer, so its producer may send far faster than "
        "anything arrives, and its loss is written beside each point. Compare "
        "delivered rates only together with the loss. The bottom panel is "
        "the send-to-receive latency of sampled messages, every consumer's "
        "samples together (p50, p99 dotted), queueing behind earlier "
        "messages included: with a producer sending back to back it "
        f"measures the backlog as much as the transport. {over} the "
        "processes time-share CPUs (grey background in the chart).")


# module of a chart -> (section heading, explanation of how to read it)
SECTIONS = {
    "rate_latency": ("Latency under load", _about_rate),
    "placement_compare": ("Placement", _about_placement),
    "fanin_throughput": ("Fan-in", _about_fanin),
    "fanout_throughput": ("Fan-out", _about_fanout),
}


def sections(results, charts):
    """A section (heading, explanation, chart) per chart of SECTIONS."""
    out = []
    for c in charts:
        heading, about = SECTIONS[c["module"]]
        out.append(f'<section id="section-{e(c["module"])}"><h2>{e(heading)}'
                   f'</h2><p>{e(about(results))}</p>{figures([c])}</section>')
    return "".join(out)


# Scenarios whose figures the summary names at each message size (rate and
# fan-in vary offered rate and producers too: their own sections).
SUMMARY_SCENARIOS = ("pingpong", "oneway", "stream")


def best_per_family(results, scenario):
    """([Family, ...], [(size, {Family: headline}, best headline)]): the
    families among the scenario's successful benchmarks, and at each message
    size each family's best benchmark and the best of all, by the scenario's
    headline figure (headlines.py)."""
    kind = HEADLINES[scenario]
    heads = results.select(scenario)
    present = [f for f, _ in families.group(
        heads, transport=lambda h: h["transport"])]
    rows = []
    for size in results.sizes(scenario):
        at = [h for h in heads if h["message_bytes"] == size]
        best = {f: best_first(kind, group)[0] for f, group in families.group(
            at, transport=lambda h: h["transport"])}
        rows.append((size, best, best_first(kind, at)[0]))
    return present, rows


def summary_figures(scenario, h):
    """A summary cell's figures: "p50 1.2 µs · p99 3.4 µs" for latency,
    "1.23 GB/s · 150 k msgs/s" for stream."""
    kind = HEADLINES[scenario]
    if kind.unit == "ns":
        text = f"{METRICS[kind.key]} {fmt_ns(h[kind.key])}"
        if h[kind.tail] is not None:
            text += f" \u00b7 {METRICS[kind.tail]} {fmt_ns(h[kind.tail])}"
        elif h.get("batch_means"):
            text += " (mean of batches: no p99)"
        return text
    import heatmap
    text = heatmap.cell_text(h[kind.key], kind.unit)
    if kind.unit == "B/s" and h["msgs_per_s"] is not None:
        text += f" \u00b7 {fmt_rate(h['msgs_per_s'])} msgs/s"
    return text


def answer(results):
    """The report's opening: per scenario, a table of the best transport of
    each family at each message size, with its figures; "" when the run
    has none of SUMMARY_SCENARIOS."""
    parts = []
    for scenario in SUMMARY_SCENARIOS:
        present, rows = best_per_family(results, scenario)
        if not rows:
            continue
        kind = HEADLINES[scenario]
        variants = cc.variants_of(results, scenario)
        head = "<tr><th>size</th>" + "".join(
            f"<th>{e(f.title)}</th>" for f in present) + "</tr>"
        body = []
        for size, best, overall in rows:
            cells = [f'<td class="n">{e(fmt_bytes(size))}</td>']
            for f in present:
                h = best.get(f)
                if h is None:
                    cells.append("<td>\u2014</td>")
                    continue
                cls = ' class="best"' if h is overall else ""
                cells.append(f"<td{cls}><b>{e(variants.label(h))}</b><br>"
                             f"{e(summary_figures(scenario, h))}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        better = "higher" if kind.higher_is_better else "lower"
        parts.append(
            f"<h3>{e(kind.title)}</h3><p class=\"sub\">Best by "
            f"{e(METRICS[kind.key])}, {better} is better; green: the best of "
            "every family at that size.</p>"
            f'<div class="wide"><table class="summary"><thead>{head}</thead>'
            f'{"".join(body)}</table></div>')
    if not parts:
        return ""
    return ('<section id="summary"><h2>Which transport at my message size?'
            "</h2><p>The best transport of each family at each message "
            "size, by each scenario's headline figure. Families group "
            "transports by name (plot/families.py): byte pipes (pipe, fifo, "
            "unix_stream, tcp), message sockets and queues (unix_dgram, "
            "unix_seqpacket, udp, the message queues), shared memory "
            "(shm_*, mmap_file, bipc_shm, inproc, eventfd, signal), "
            "middleware (zmq_*, gRPC, Redis, NATS, iceoryx), and other. The "
            "heatmaps under Charts show every transport at every size.</p>"
            + "".join(parts) + "</section>")


def contents(charts, has_summary):
    """The table of contents: links to the summary, the boxes, the
    environment, each chart and section, and the table."""
    def item(anchor, text, inner=""):
        link = f'<a href="#{e(anchor)}">{e(text)}</a>' if anchor else e(text)
        return f"<li>{link}{inner}</li>"
    plain = [c for c in charts if c.get("module") not in SECTIONS]
    own = [c for c in charts if c.get("module") in SECTIONS]
    chart_items = "".join(
        item(c.get("stem"), c["title"] + (" (not drawn)" if "missing" in c
                                          else "")) for c in plain)
    items = [item("summary", "Which transport at my message size?")
             ] if has_summary else []
    items += [item("problems", "Warnings, failures and skipped"),
              item("environment", "Environment"),
              item("charts", "Charts", f"<ul>{chart_items}</ul>"
                   if chart_items else "")]
    items += [item(f"section-{c['module']}", SECTIONS[c["module"]][0])
              for c in own]
    items.append(item("every", "Every benchmark"))
    return f'<nav id="contents"><h2>Contents</h2><ul>{"".join(items)}</ul></nav>'


def chart_file(stem, ext):
    """A chart's file name as a relative URL (the file is beside the
    report)."""
    return urllib.parse.quote(f"{stem}.{ext}")


def figures(charts):
    out = []
    for c in charts:
        if "missing" in c:
            out.append(f"<figure><figcaption><b>{e(c['title'])}</b>: not drawn"
                       f" ({e(c['missing'])})</figcaption></figure>")
            continue
        png, svg = chart_file(c["stem"], "png"), chart_file(c["stem"], "svg")
        out.append(
            f'<figure id="{e(c["stem"])}"><a href="{e(svg)}"><img alt="'
            f'{e(c["title"])}" src="{e(png)}" loading="lazy"></a><figcaption>'
            f'<b>{e(c["title"])}</b> \u2014 {e(c["stem"])}.png, and '
            f'{e(c["stem"])}.svg (click the chart), beside this report'
            '</figcaption></figure>')
    return "".join(out)


def page(results, charts):
    """The whole report.html as a string."""
    env = results.environment
    counts = {s: sum(h["status"] == s for h in results.headlines)
              for s in ("ok", "failed", "skipped", "invalid")}
    title = (f"ipcbench report \u2014 {env.get('hostname', '?')}, "
             f"{str(results.context.get('date', ''))[:16].replace('T', ' ')}")
    reps = results.max_repetitions()
    summary = (f"{len(results.headlines)} benchmarks: {counts['ok']} measured,"
               f" {counts['failed']} failed, {counts['skipped']} skipped")
    if counts["invalid"]:
        summary += (f", {counts['invalid']} with an invalid figure (NaN, "
                    "infinite or negative: in no chart)")
    summary += ". "
    summary += (f"{reps} repetitions: headline figures are the median across "
                "repetitions (Google Benchmark's median aggregate of the "
                "percentiles the harness computed per repetition)."
                if reps > 1 else "One repetition: headline figures are those "
                "of the single run (add --benchmark_repetitions=N for "
                "medians and significance tests).")
    summary += " Nothing is recomputed here."
    plain = [c for c in charts if c.get("module") not in SECTIONS]
    own = [c for c in charts if c.get("module") in SECTIONS]
    opening = answer(results)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{CSS}</style></head><body>
<h1>{e(title)}</h1>
<p class="sub">{e(results.machine_caption())}</p>
<p>{e(summary)}</p>
{opening}
{contents(charts, bool(opening))}
<section id="problems">{problems(results)}</section>
<section id="environment"><h2>Environment</h2>{environment(results)}</section>
<section id="charts"><h2>Charts</h2>{figures(plain)}</section>
{sections(results, own)}
<section id="every"><h2>Every benchmark</h2>
<p class="sub">Ranked by each scenario's headline figure among benchmarks
of the same scenario, size and settings (offered rate, producers,
consumers, placement, pairs). Headline: {e(ranking_text())}. Click a column
to sort. Latencies p50 to p99.9 are round trips, except for rate (from the
intended send time), fan-in and fan-out (send to receive). A fan-out's
msgs/s and MB/s are what its producer sent; its headline is what the
consumers received, and its note says its loss. CPU \u00b5s: CPU time over
the timed phase per round trip (ping-pong, one-way) or per message (the
others) of the driver, the peer (all peers together) and the transport's own
broker (redis-server, nats-server, RouDi; \u2014 where there is none), from
the repetition with the median headline.</p>
{table(results)}</section>
<p class="sub">Source: <code>{e(results.path)}</code>, schema_version
{e(str(results.block.get("schema_version")))}; written by plot/report.py.</p>
<script>{SORT_JS}</script>
</body></html>
"""
