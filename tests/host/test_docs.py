"""What the README and docs/ tell a new user works in a fresh clone: no link
or path leads outside the repository, every relative link resolves, every
`python -m tools.X` they name answers --help, and every piece of code or test
docs/certification.md names still exists."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")) + sorted(
    (ROOT / "examples").rglob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
TOOL = re.compile(r"python -m (tools\.[a-z_]+)")
# `lib/replenish/drs.py:Drs.replenish` and `tests/device/test_drs.py::test_replenish`
CODE_REF = re.compile(r"((?:lib|tools|tests)/[\w/]+\.py):{1,2}([\w.]+)")


def page_id(path):
    return path.relative_to(ROOT).as_posix()


def relative_links(page):
    text = page.read_text()
    return [t.split("#")[0] for t in LINK.findall(text)
            if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_nothing_points_outside_the_repository(page):
    text = page.read_text()
    paths = relative_links(page) + [c for c in CODE.findall(text) if c.startswith("../")]
    outside = [p for p in paths if ROOT not in (page.parent / p).resolve().parents
               and (page.parent / p).resolve() != ROOT]
    assert not outside, "%s points outside the repository: %s" % (page_id(page), outside)
    assert "shared/" not in text, "%s names the project's shared folder" % page_id(page)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves(page):
    missing = [t for t in relative_links(page) if not (page.parent / t).exists()]
    assert not missing, "%s links to missing files: %s" % (page_id(page), missing)


def named_tools():
    return sorted({tool for page in PAGES for tool in TOOL.findall(page.read_text())})


def test_the_pages_name_the_tools_a_maker_needs():
    assert {"tools.link", "tools.deploy"} <= set(named_tools())


@pytest.mark.parametrize("tool", named_tools())
def test_every_named_tool_answers_help_from_a_fresh_clone(tool):
    done = subprocess.run([sys.executable, "-m", tool, "--help"], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, "python -m %s --help: %s" % (tool, done.stderr[-1000:])
    assert "usage:" in done.stdout


def code_refs():
    return sorted(set(CODE_REF.findall((ROOT / "docs" / "certification.md").read_text())))


def test_the_certification_page_names_code_and_tests():
    refs = code_refs()
    assert any(f.startswith("tests/") for f, _ in refs)
    assert any(f.startswith("lib/") for f, _ in refs)


@pytest.mark.parametrize("file,name", code_refs(), ids=lambda v: v)
def test_every_code_and_test_the_certification_page_names_exists(file, name):
    source = (ROOT / file).read_text()
    for part in name.split("."):
        assert re.search(r"^\s*(def|class) %s\b" % re.escape(part), source, re.M), (
            "docs/certification.md names %s:%s, which %s does not define" % (file, name, file))
