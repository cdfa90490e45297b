"""run_all.sh where it is cheap to run whole: --report draws a results
file's charts and report again, and Ctrl-C during the report ends
run_all.sh with 130 (as docs/robustness.md says), not 0, with the results intact."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_ALL = str(ROOT / "run_all.sh")
FIXTURE = ROOT / "plot" / "tests" / "fixtures" / "small.json"


def results_copy(tmp_path):
    results = tmp_path / "results.json"
    shutil.copy(FIXTURE, results)
    return results


def report_running(session):
    """True while a plot/report.py of this session is running."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"plot/report.py" in cmdline and os.getsid(int(pid)) == session:
                return True
        except (OSError, ProcessLookupError):
            continue
    return False


def test_report_draws_the_charts_of_a_results_file_again(tmp_path):
    results = results_copy(tmp_path)
    r = subprocess.run([RUN_ALL, "--report", str(results)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "report.html").is_file()
    assert list(tmp_path.glob("*.png"))


def test_report_needs_one_results_file(tmp_path):
    r = subprocess.run([RUN_ALL, "--report", str(tmp_path / "none.json")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 2
    assert "--report needs one results file" in r.stderr


def test_ctrl_c_during_the_report_exits_130(tmp_path):
    results = results_copy(tmp_path)
    before = results.read_bytes()
    p = subprocess.Popen([RUN_ALL, "--report", str(results)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    while not report_running(p.pid):
        assert p.poll() is None, "run_all.sh ended before its report began"
        time.sleep(0.02)
    time.sleep(0.3)  # inside the report, as a user's Ctrl-C would be
    os.killpg(p.pid, signal.SIGINT)  # the terminal signals the whole group
    _, err = p.communicate(timeout=600)
    assert p.returncode == 130, err
    assert "report interrupted" in err
    assert "Traceback" not in err
    assert results.read_bytes() == before
    json.loads(before)
