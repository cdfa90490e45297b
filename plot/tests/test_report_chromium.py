"""report.html renders in headless Chromium (Debian's chromium): a
screenshot that is not blank, no console message (report.html logs
nothing, so any message is an error or a warning: a script error, a
blocked resource) and every image or chart file it refers to beside it.
Skipped, saying so, when chromium is not installed (run_all.sh installs
it). As root with no terminal (CI): --no-sandbox, a private profile in a
temporary directory, removed afterwards."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import fixture
import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium; "
           "run_all.sh --test installs it)")
# Chromium prints the page's console messages, whatever their level, as
# "...:INFO:CONSOLE(12)] "message", source: URL (12)" (or "CONSOLE:12").
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]\s*(.*)")


def render(page, out_dir):
    """(console messages, screenshot path) of `page` in headless Chromium."""
    shot = os.path.join(out_dir, "screenshot.png")
    profile = os.path.join(out_dir, "chromium-profile")
    env = {k: v for k, v in os.environ.items()
           if k != "DBUS_SESSION_BUS_ADDRESS"}
    try:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             f"--user-data-dir={profile}", "--no-first-run",
             "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--window-size=1280,1600", f"--screenshot={shot}",
             "--enable-logging=stderr", "--v=0",
             "file://" + os.path.abspath(page)],
            capture_output=True, text=True, env=env, timeout=90,
            stdin=subprocess.DEVNULL, cwd=out_dir)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [m for m in CONSOLE.findall(proc.stderr)], shot


def non_background_fraction(png):
    """The fraction of pixels that differ from the most common colour."""
    import matplotlib.image
    import numpy
    pixels = matplotlib.image.imread(png)[:, :, :3].reshape(-1, 3)
    colours, counts = numpy.unique(numpy.round(pixels * 255).astype(int),
                                   axis=0, return_counts=True)
    return 1.0 - counts.max() / counts.sum()


def test_report_renders_without_console_errors(tmp_path, capsys):
    out = tmp_path / "out"
    assert report.main([fixture("small.json"), "--out-dir", str(out)]) == 0
    page = capsys.readouterr().out.strip()
    with open(page, encoding="utf-8") as f:
        html = f.read()
    refs = re.findall(r'<img [^>]*src="([^"]+)"', html)
    refs += [r for r in re.findall(r'href="([^"#][^"]*)"', html)
             if "://" not in r]
    assert refs, "the report shows no chart"
    for ref in refs:
        assert (out / ref).is_file(), f"report.html refers to missing {ref}"
    messages, shot = render(page, str(tmp_path))
    assert messages == [], f"console messages: {messages}"
    assert os.path.getsize(shot) > 10_000
    assert non_background_fraction(shot) > 0.01, "the screenshot is blank"
    assert not (tmp_path / "chromium-profile").exists()


def test_console_messages_are_recognised():
    """The pattern above finds what Chromium prints of a page's console."""
    stderr = (
        '[1:1:1204/140052.897383:INFO:CONSOLE:1] "boom", source: '
        'file:///tmp/bad.html (1)\n'
        '[1:1:1204/140052.897467:INFO:CONSOLE(7)] "Uncaught ReferenceError: '
        'f is not defined", source: file:///tmp/bad.html (7)\n'
        '[1:2:1204/140030.252227:ERROR:dbus/bus.cc:405] Failed to connect\n')
    assert [m.split(",")[0] for m in CONSOLE.findall(stderr)] == [
        '"boom"', '"Uncaught ReferenceError: f is not defined"']
