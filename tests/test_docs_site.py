"""The built documentation site, opened in headless Chromium.

Needs the site (``python -m sphinx -b html docs docs/_build/html``; ``.ci/run`` builds it with
``-W`` and then runs this file), Debian's ``chromium`` package and playwright's Python API
(the ``docs`` extra), which drives that executable (no browser download). Each missing piece
skips the tests with the reason; ``python -m pytest`` before a docs build skips them all.

Checked: the index page, one API page and one gallery page each render their title, every
image on them loads (``complete`` with a non-zero natural width), no internal link is broken
(its file exists and its ``#fragment`` is an id there) and no script error is raised.
Screenshots go to ``docs/_build/screenshots/``. Without a browser: every public name of every
subpackage has its API page with the anchor ``solvers.<subpackage>.<name>``, every script of
``examples/`` a gallery page, and the benchmarks page shows the README's peers table.
"""

import html
import importlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "docs" / "_build" / "screenshots"
SUBPACKAGES = ("special", "stats", "linalg", "multigrid", "mgno", "pde", "optimize")

pytestmark = pytest.mark.skipif(
    not (SITE / "index.html").is_file(),
    reason="documentation site not built (run: python -m sphinx -b html docs docs/_build/html)")

# (path under the site, text its <title> and <h1> must contain, at least this many images)
PAGES = [
    ("index.html", "solvers", 0),
    ("api/generated/solvers.special.log_iv.html", "solvers.special.log_iv", 0),
    ("auto_examples/kronecker_sylvester.html", "2-D Poisson problem solved by fast diagonalization", 1),
]


def _chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _ids(path, _cache={}):
    if path not in _cache:
        text = path.read_text(encoding="utf-8", errors="replace")
        _cache[path] = {html.unescape(m) for m in re.findall(r'\bid="([^"]*)"', text)}
    return _cache[path]


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium executable (Debian: apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install -e '.[docs]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.mark.parametrize("rel, title, min_images", PAGES)
def test_page_renders_in_chromium(browser, rel, title, min_images):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((SITE / rel).as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (rel.replace("/", "_") + ".png")), full_page=False)

    assert title in page.title()
    h1 = page.locator("h1").first.inner_text()
    assert title in h1, h1
    assert page.locator("h1").first.is_visible()

    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.currentSrc || e.src, e.complete, e.naturalWidth])")
    assert len(images) >= min_images, images
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    assert not broken, f"images that did not load: {broken}"

    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    bad = []
    for href in hrefs:
        url = urlsplit(href)
        if url.scheme != "file":
            continue  # external links are not checked (no network in CI)
        target = Path(unquote(url.path))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            bad.append(href)
        elif url.fragment and target.suffix == ".html" and unquote(url.fragment) not in _ids(target):
            bad.append(href)
    assert hrefs and not bad, f"broken internal links on {rel}: {bad}"
    assert not errors, errors
    page.close()


def test_api_page_anchor_in_chromium(browser):
    page = browser.new_page()
    page.goto((SITE / PAGES[1][0]).as_uri() + "#solvers.special.log_iv")
    anchor = page.locator('[id="solvers.special.log_iv"]')
    assert anchor.count() == 1 and anchor.is_visible()
    page.close()


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_every_public_name_has_its_page(sub):
    mod = importlib.import_module(f"solvers.{sub}")
    missing = []
    for name in mod.__all__:
        full = f"solvers.{sub}.{name}"
        path = SITE / "api" / "generated" / f"{full}.html"
        if not path.is_file() or full not in _ids(path):
            missing.append(full)
    assert not missing, f"public names without an API page or anchor: {missing}"


def test_every_example_has_a_gallery_page():
    scripts = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    missing = [s for s in scripts if not (SITE / "auto_examples" / f"{s}.html").is_file()]
    assert scripts and not missing, missing


def test_benchmarks_page_shows_the_peers_table():
    text = (SITE / "benchmarks.html").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Results against peers", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert len(rows) > 10
    assert text.count("<tr") >= len(rows)       # header + every row
    assert "speed ratio" in text and "scipy.linalg.solve_sylvester" in text
