"""Ctrl-C (SIGINT) in every plot script: exit status 130, the one line
"plot: interrupted" on stderr, no traceback, and no partial output. The
signal is sent by the script to itself at a chosen point (while drawing,
while writing the output files, while renaming them into place), so that
the tests do not depend on timing."""

import errno
import os
import signal
import subprocess
import sys

import pytest

from conftest import PLOT_DIR, fixture, run_script
import chart_common as cc
from ipcbench_results import PlotError

# script -> its arguments before --out-dir, with a file it has data for
ENTRY_POINTS = {
    "latency_vs_size.py": [fixture("small.json")],
    "throughput_vs_size.py": [fixture("small.json")],
    "latency_cdf.py": [fixture("small.json")],
    "ranked_bar.py": [fixture("small.json")],
    "rate_latency.py": [fixture("rate.json")],
    "placement_compare.py": [fixture("placement.json")],
    "fanin_throughput.py": [fixture("fanin.json")],
    "heatmap.py": [fixture("small.json")],
    "report.py": [fixture("small.json")],
    "compare.py": [fixture("rep5_a.json"), fixture("rep5_a.json")],
}

# Runs a plot script's main() through chart_common.run, as the script
# does, with `attr` of `owner` wrapped: its nth call that concerns the
# output directory (any call, for drawing) first sends SIGINT to the
# process.
WRAPPER = """
import importlib, os, signal, sys
sys.path.insert(0, {plot!r})
out = {out!r}
owner = importlib.import_module({module!r})
if {cls!r}:
    owner = getattr(owner, {cls!r})
original = getattr(owner, {attr!r})
calls = []

def hooked(*args, **kwargs):
    values = [str(a) for a in list(args) + list(kwargs.values())]
    if {any_call!r} or any(v.startswith(out) for v in values):
        calls.append(1)
        if len(calls) == {nth!r}:
            os.kill(os.getpid(), signal.SIGINT)
    return original(*args, **kwargs)

setattr(owner, {attr!r}, hooked)
import chart_common
script = importlib.import_module({script!r})
sys.exit(chart_common.run(script.main, {argv!r}))
"""

# where -> (module, class, attribute, nth call, any call counts)
HOOKS = {
    "drawing": ("matplotlib.figure", "Figure", "savefig", 2, True),
    "writing": ("tempfile", None, "mkstemp", 2, False),
    "renaming": ("os", None, "replace", 2, False),
}


def run_interrupted(tmp_path, script, where):
    out = str(tmp_path / "out")
    module, cls, attr, nth, any_call = HOOKS[where]
    code = WRAPPER.format(plot=PLOT_DIR, out=out, module=module, cls=cls,
                          attr=attr, nth=nth, any_call=any_call,
                          script=script[:-3],
                          argv=ENTRY_POINTS[script] + ["--out-dir", out])
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=120)
    return done, out


def assert_interrupted(done):
    assert done.returncode == 130, done.stderr
    assert done.stderr == "plot: interrupted\n"


def listing(out):
    return sorted(os.listdir(out)) if os.path.exists(out) else []


@pytest.mark.parametrize("script", sorted(ENTRY_POINTS))
def test_interrupt_while_writing_leaves_nothing(tmp_path, script):
    """Ctrl-C after the first output file is written and before the last:
    none of them is left (every file goes to a temporary name first)."""
    done, out = run_interrupted(tmp_path, script, "writing")
    assert_interrupted(done)
    assert listing(out) == []


@pytest.mark.parametrize("script", ["report.py", "compare.py",
                                    "fanin_throughput.py"])
def test_interrupt_while_drawing_leaves_nothing(tmp_path, script):
    done, out = run_interrupted(tmp_path, script, "drawing")
    assert_interrupted(done)
    assert listing(out) == []


@pytest.mark.parametrize("script", ["report.py", "compare.py",
                                    "latency_vs_size.py"])
def test_interrupt_while_renaming_finishes_the_set(tmp_path, script):
    """Ctrl-C among the renames into place (the last, short step) is held
    until every file is in place: the outputs are complete, never half."""
    done, out = run_interrupted(tmp_path, script, "renaming")
    assert_interrupted(done)
    normal = tmp_path / "normal"
    assert run_script(script, *ENTRY_POINTS[script], "--out-dir",
                      normal).returncode == 0
    assert listing(out) == listing(normal)
    for name in listing(out):
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        with open(os.path.join(normal, name), "rb") as f:
            assert len(data) > 0 and data[:8] == f.read(8)
    if script == "report.py":
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            assert f.read().endswith("</html>\n")


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    """A write that fails part-way (disk full) removes what it wrote."""
    real = cc.tempfile.mkstemp
    calls = []

    def full_disk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(cc.tempfile, "mkstemp", full_disk)
    out = tmp_path / "out"
    with pytest.raises(PlotError) as e:
        cc.write_outputs(str(out), {"a.png": b"a", "a.svg": b"b",
                                    "report.html": b"c"})
    assert "cannot write into" in str(e.value)
    assert listing(str(out)) == []


def test_outputs_replace_older_ones_whole(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_bytes(b"old")
    paths = cc.write_outputs(str(out), {"a.png": b"new", "a.svg": b"svg"})
    assert paths == [str(out / "a.png"), str(out / "a.svg")]
    assert (out / "a.png").read_bytes() == b"new"
    assert listing(str(out)) == ["a.png", "a.svg"]
    mode = (out / "a.svg").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


# numpy turns a Ctrl-C that lands inside its C extensions' import into
# ImportError("numpy.core.multiarray failed to import"). This finder does
# the same, deterministically, on the first import of `module`: it signals
# the process and, if the signal interrupts it, raises numpy's ImportError.
IMPORT_WRAPPER = """
import os, signal, sys, time
sys.path.insert(0, {plot!r})
fired = []

class NumpyLike:
    def find_spec(self, name, path, target=None):
        if name == {module!r} and not fired:
            fired.append(1)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
            except KeyboardInterrupt:
                raise ImportError("numpy.core.multiarray failed to import")
        return None

sys.meta_path.insert(0, NumpyLike())
import chart_common
script = __import__({script!r})
sys.exit(chart_common.run(script.main, {argv!r}))
"""


@pytest.mark.parametrize("script,module", [("report.py", "matplotlib.pyplot"),
                                           ("compare.py", "scipy.stats")])
def test_interrupt_while_importing_is_an_interruption(tmp_path, script,
                                                      module):
    """Ctrl-C during matplotlib's or scipy's import is held until the
    import ends: "plot: interrupted" and 130, not "matplotlib is not
    importable" and 3."""
    out = str(tmp_path / "out")
    argv = ENTRY_POINTS[script] + ["--out-dir", out]
    code = IMPORT_WRAPPER.format(plot=PLOT_DIR, module=module,
                                 script=script[:-3], argv=argv)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=120)
    assert_interrupted(done)
    assert listing(out) == []


def signalled_while_loading(before=""):
    """A Python that loads chart_common as plot/report.py would (a script of
    plot/ is __main__), then gets SIGINT; `before` runs first. It prints
    "survived" if the signal did not end it."""
    script = os.path.join(PLOT_DIR, "report.py")
    probe = (f"{before}import sys; sys.path.insert(0, {PLOT_DIR!r}); "
             f"import __main__; __main__.__file__ = {script!r}; "
             f"import chart_common, os, signal, time; "
             f"os.kill(os.getpid(), signal.SIGINT); time.sleep(0.5); "
             f"print('survived')")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True,
                          text=True, timeout=60)


def test_interrupt_while_the_script_loads_ends_it_quietly():
    """Run as a program, a plot script that gets Ctrl-C while it loads its
    modules, before run() begins, ends by the signal (the shell's 130) and
    prints nothing: no traceback."""
    done = signalled_while_loading()
    assert done.returncode == -signal.SIGINT, done
    assert done.stdout == "" and done.stderr == ""


def test_a_parent_that_ignores_ctrl_c_is_obeyed():
    """A SIGINT the parent ignores (a background job of a script) stays
    ignored: the quiet handler replaces only Python's own."""
    done = signalled_while_loading(
        "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); ")
    assert done.returncode == 0, done
    assert done.stdout == "survived\n"
