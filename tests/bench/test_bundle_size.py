"""Smoke run of bench/bundle_size.py on a real Vite build: it measures every route,
and every page stays a lazily loaded chunk. Sizes are printed, never asserted."""

import shutil

import pytest

from bench import bundle_size
from tests.support import require


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    require(
        shutil.which("npx") is not None and (bundle_size.FRONTEND / "node_modules" / ".bin" / "vite").exists(),
        "Node with frontend/node_modules (make frontend-deps)",
    )
    out = tmp_path_factory.mktemp("bundle")
    bundle_size.build(out)
    return out


def test_every_page_under_app_routes_is_its_own_lazily_loaded_chunk(build):
    """A page imported statically would weigh on every route, the login page too."""
    manifest = bundle_size.load_manifest(build)
    pages = {
        str(path.relative_to(bundle_size.FRONTEND))
        for path in (bundle_size.FRONTEND / bundle_size.ROUTES_DIR).rglob("*.jsx")
        if not path.name.endswith(".test.jsx")
    }
    pages |= {module for modules in bundle_size.ROUTES.values() for module in modules}
    bundled = sorted(page for page in pages if not manifest.get(page, {}).get("isDynamicEntry"))
    assert bundled == [], "import these pages with lazyPage() in src/app/router.jsx"


def test_bundle_report_covers_every_route_and_each_costs_at_least_the_entry(build, capsys):
    base, routes = bundle_size.measure(build)
    bundle_size.report(base, routes)
    printed = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + printed)
    assert set(bundle_size.ROUTES) <= set(routes)
    assert base.js > 0 and base.css > 0
    for url, size in routes.items():
        assert size.js > base.js, url
        assert f"\n{url} " in printed
