"""The docs stay true: docs/transports.md lists exactly the transports of
`ipcbench --list`, with the same wait strategies and fan-in support;
docs/flags.md holds `ipcbench --help` as it is; README.md stays short; and
every relative link in README.md and docs/*.md points to a file that
exists (and, with a #fragment, to a heading of it).

$IPCBENCH names the binary (CTest sets it), else build/ipcbench."""
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"
IPCBENCH = os.environ.get("IPCBENCH", str(ROOT / "build" / "ipcbench"))
README_MAX_LINES = 250


def ipcbench(*args):
    if not os.access(IPCBENCH, os.X_OK):
        pytest.fail(f"no ipcbench at {IPCBENCH}: build it, or set IPCBENCH")
    r = subprocess.run([IPCBENCH, *args], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def listed_transports():
    """{name: (waits, fanin)} from `ipcbench --list`: the rows whose first
    column is a name (the indented lines below hold the limits)."""
    lines = ipcbench("--list").splitlines()
    assert lines[0].split()[:5] == ["transport", "max_msg", "bounds", "waits",
                                    "fanin"], lines[0]
    rows = {}
    for line in lines[1:]:
        if not line or line[0].isspace():
            continue
        name, _max, _bounds, waits, fanin = line.split()[:5]
        rows[name] = (set(waits.split(",")), fanin)
    return rows


def documented_transports():
    """{name: (waits, fan-in cell)} from the table of docs/transports.md whose
    header is | name | mechanism | waits | fan-in |."""
    text = (ROOT / "docs" / "transports.md").read_text()
    header = re.search(r"^\| name \| mechanism \| waits \| fan-in \|$", text,
                       re.M)
    assert header, "docs/transports.md: no | name | mechanism | waits | fan-in | table"
    rows = {}
    for line in text[header.end():].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].strip("`")
        assert name not in rows, f"docs/transports.md: {name} twice"
        rows[name] = ({w.strip() for w in cells[2].split(",")}, cells[3])
    return rows


def test_transports_doc_lists_exactly_the_transports_of_ipcbench_list():
    listed, documented = listed_transports(), documented_transports()
    assert listed, "ipcbench --list listed no transport"
    assert sorted(set(listed) - set(documented)) == [], \
        "in ipcbench --list but not in docs/transports.md"
    assert sorted(set(documented) - set(listed)) == [], \
        "in docs/transports.md but not in ipcbench --list"


def test_transports_doc_gives_each_transport_its_waits_and_fanin():
    listed, documented = listed_transports(), documented_transports()
    for name, (waits, fanin) in listed.items():
        doc_waits, doc_fanin = documented[name]
        assert doc_waits == waits, f"{name}: waits"
        # The fan-in size comes from this machine's sysctls; the doc says
        # whether there is fan-in and whether any size goes.
        if fanin == "no":
            assert doc_fanin == "—", f"{name}: --list says no fan-in"
        elif fanin == "any":
            assert doc_fanin.startswith("any size"), f"{name}: fan-in any size"
        else:
            assert doc_fanin.startswith("≤"), f"{name}: fan-in up to {fanin} B"


def test_flags_doc_holds_ipcbench_help_as_it_is():
    assert ipcbench("--help") in (ROOT / "docs" / "flags.md").read_text(), \
        "docs/flags.md: paste the output of ipcbench --help again"


def test_readme_is_short():
    lines = README.read_text().count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines"


def test_readme_links_every_doc():
    text = README.read_text()
    for doc in DOCS:
        assert f"](docs/{doc.name})" in text, f"README.md: no link to {doc.name}"


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's anchors for the headings of a Markdown file."""
    out = set()
    for line in path.read_text().splitlines():
        m = re.match(r"#+\s+(.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(slug.replace(" ", "-"))
    return out


def relative_links(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        yield target


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_points_to_an_existing_file(page):
    links = list(relative_links(page))
    assert links or page.name == "security.md", f"{page.name}: no links"
    for target in links:
        file, _, fragment = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: broken link {target}"
        assert ROOT in dest.parents, f"{page.name}: {target} leaves the repository"
        if fragment and dest.suffix == ".md":
            assert fragment in anchors(dest), \
                f"{page.name}: no heading #{fragment} in {file or page.name}"
