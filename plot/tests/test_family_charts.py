"""The line charts of a run of several families: a row of panels per
family (families.py), the same axes in each, each other family's best line
in grey, spin dashed and block solid."""

import copy

import pytest

from conftest import fixture, write_json
from derive import load_doc
import chart_common as cc
import families
import ipcbench_results as ir
import latency_vs_size
import rate_latency
import throughput_vs_size
from families import family_of

# ---- a run of several families --------------------------------------------

# transport of small.json -> the transports made of it for a run of every
# family (and one no rule knows)
RENAMES = {"pipe": ["pipe", "fifo", "unix_dgram", "posix_mq"],
           "tcp": ["tcp", "shm_ring", "eventfd", "zmq_ipc", "grpc_uds",
                   "quantum_link"]}


def many_families_doc(renames=RENAMES, waits=("block",)):
    """small.json with each transport's records copied under other
    transport names and waits, each copy's latencies and throughputs scaled
    by its own factor (so that each family has a distinct best)."""
    doc = load_doc("small.json")
    out = []
    for rec in doc["ipcbench"]["benchmarks"]:
        for i, name in enumerate(renames.get(rec["transport"], [])):
            for wait in waits:
                r = copy.deepcopy(rec)
                f = 1 + 0.25 * i + (0.1 if wait == "spin" else 0)
                r["name"] = rec["name"].replace(
                    f"/{rec['transport']}/", f"/{name}:{wait}/")
                r.update(transport=name, wait=wait)
                if "latency" in r:
                    r["latency"]["percentiles_ns"] = {
                        p: v * f for p, v in
                        r["latency"]["percentiles_ns"].items()}
                if "throughput" in r:
                    for k in ("bytes_per_second", "msgs_per_s"):
                        r["throughput"][k] /= f
                out.append(r)
    doc["ipcbench"]["benchmarks"] = out
    doc["benchmarks"] = []
    return doc


@pytest.fixture
def many(tmp_path):
    return write_json(tmp_path / "many.json", many_families_doc(
        waits=("block", "spin")))


def chart_lines(ax):
    """(the panel's own lines, its grey reference lines) by legend label."""
    own, refs = {}, {}
    for line in ax.get_lines():
        label = line.get_label()
        if label.startswith(cc.REFERENCE_PREFIX):
            refs[label] = line
        elif not label.startswith("_"):
            own[label] = line
    return own, refs


@pytest.mark.parametrize("module, per_row", [(latency_vs_size, 1),
                                             (throughput_vs_size, 2)])
def test_a_row_of_panels_per_family_with_the_others_best_in_grey(
        many, module, per_row):
    r = ir.load(many)
    plt = cc.import_pyplot()
    fig, _ = module.make_figure(r, plt)
    axes = fig.axes
    titles = [ax.get_title(loc="left") for ax in axes[::per_row]]
    assert titles == [f.title for f in families.FAMILIES]
    for row, family in zip(range(0, len(axes), per_row), families.FAMILIES):
        for ax in axes[row:row + per_row]:
            own, refs = chart_lines(ax)
            # its own transports, block solid and spin dashed
            assert own and all(family_of(label) == family for label in own)
            for label, line in own.items():
                assert line.get_linestyle() == (
                    "--" if label.endswith(":spin") else "-")
            # one grey line per other family, named after it
            assert {label.split(": ")[0] for label in refs} == {
                f"{cc.REFERENCE_PREFIX}{f.title}"
                for f in families.FAMILIES if f != family}
            assert len(refs) == len(families.FAMILIES) - 1
            assert all(line.get_color() == cc.REFERENCE_COLOUR
                       for line in refs.values())
            # the same axes in every row (per column)
            column = axes[axes.index(ax) % per_row]
            assert ax.get_shared_y_axes().joined(ax, column)
            assert ax.get_shared_x_axes().joined(ax, axes[0])
    busiest = max(len(chart_lines(ax)[0]) + len(chart_lines(ax)[1])
                  for ax in axes)
    plt.close(fig)
    # byte pipes: pipe, fifo, tcp x block/spin, and 4 references
    assert busiest == 3 * 2 + 4


def test_the_best_of_a_family_is_its_reference(many):
    r = ir.load(many)
    plt = cc.import_pyplot()
    fig, _ = latency_vs_size.make_figure(r, plt)
    _, refs = chart_lines(fig.axes[0])
    plt.close(fig)
    # the copies are slower the later they come: the first of each family,
    # with block (spin is scaled up a little), is its best
    assert f"{cc.REFERENCE_PREFIX}shared memory: shm_ring:block" in refs
    assert f"{cc.REFERENCE_PREFIX}middleware: zmq_ipc:block" in refs
    assert f"{cc.REFERENCE_PREFIX}other: quantum_link:block" in refs


def test_rate_rows_per_family(tmp_path):
    r = ir.load(fixture("rate.json"))
    plt = cc.import_pyplot()
    fig, _ = rate_latency.make_figure(r, plt)
    titles = [ax.get_title() for ax in fig.axes]
    refs = [chart_lines(ax)[1] for ax in fig.axes]
    plt.close(fig)
    assert titles == ["byte pipes \u00b7 64 B messages",
                      "shared memory \u00b7 64 B messages"]
    assert list(refs[0]) == [
        f"{cc.REFERENCE_PREFIX}shared memory: shm_ring:block"]
    assert list(refs[1]) == [f"{cc.REFERENCE_PREFIX}byte pipes: pipe:block"]

