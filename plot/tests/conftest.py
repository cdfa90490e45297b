"""Shared helpers for the plot/ tests: the plot directory on sys.path, the
fixture files, and running a script as a user would (a subprocess)."""

import json
import os
import subprocess
import sys

import pytest

PLOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(PLOT_DIR, "tests", "fixtures")
sys.path.insert(0, PLOT_DIR)
os.environ.setdefault("MPLBACKEND", "Agg")


def fixture(name):
    return os.path.join(FIXTURES, name)


def run_script(script, *args, env=None):
    """Runs plot/<script> with this interpreter; returns CompletedProcess."""
    full_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    return subprocess.run([sys.executable, os.path.join(PLOT_DIR, script),
                           *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=120)


def write_json(path, doc):
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.fixture
def small_doc():
    with open(fixture("small.json")) as f:
        return json.load(f)
