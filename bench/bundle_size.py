"""What the browser downloads per route of the web UI, gzip-compressed.

Builds the SPA with Vite's manifest into a scratch directory (or reads an
existing build with --dist), then for each route adds up the gzip size of the
entry chunk, the route's lazily loaded chunk(s) and every chunk they import
statically (each file counted once), JS and CSS apart. Chunks a page loads
only on a click (its own dynamic imports) are not counted.

Each route is printed against the goal (JS <= 200 kB, <= 110 kB for /login)
and against the baseline measured in the same build: the entry chunk alone,
which every route pays.

    .venv/bin/python bench/bundle_size.py [--dist frontend/dist]

Needs Node and frontend/node_modules when it builds; no network.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
ROUTES_DIR = "src/app/routes/"
# Level 6 is zlib's default, the level Vite's own build report and nginx users pick.
GZIP_LEVEL = 6
KB = 1000

GOAL_KB = 200
# The page a user sees before signing in has its own, smaller goal.
GOALS_KB = {"/login": 110, "/register": 110}

# URL -> the module(s) src/app/router.jsx loads for it. A route module under
# src/app/routes/ that is missing here is still measured, under its file name.
ROUTES: dict[str, tuple[str, ...]] = {
    "/login": ("src/app/routes/login.jsx",),
    "/register": ("src/app/routes/register.jsx",),
    "/": ("src/app/routes/student-dashboard.jsx",),
    "/admin": ("src/app/routes/admin/overview.jsx",),
    "/admin/bookings": ("src/app/routes/admin/bookings.jsx",),
    "/admin/nodes": ("src/app/routes/admin/nodes.jsx",),
    "/admin/users": ("src/app/routes/admin/users.jsx",),
}


@dataclass
class Size:
    js: int = 0
    css: int = 0

    def __add__(self, other: Size) -> Size:
        return Size(self.js + other.js, self.css + other.css)


def build(out_dir: Path) -> None:
    """Run the project's own Vite build with a manifest into `out_dir`."""
    subprocess.run(
        ["npx", "--no-install", "vite", "build", "--manifest", "--outDir", str(out_dir), "--emptyOutDir"],
        cwd=FRONTEND,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def load_manifest(dist: Path) -> dict:
    path = dist / ".vite" / "manifest.json"
    if not path.exists():
        raise SystemExit(f"{path} is missing: build with `vite build --manifest` (or omit --dist)")
    return json.loads(path.read_text())


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0))


def files_for(manifest: dict, keys: list[str]) -> set[str]:
    """The files the browser fetches for these manifest entries: their chunks, their
    CSS and the static-import closure, not their dynamic imports."""
    files: set[str] = set()
    seen: set[str] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        chunk = manifest[key]
        files.add(chunk["file"])
        files.update(chunk.get("css", ()))
        todo.extend(chunk.get("imports", ()))
    return files


def size_of(dist: Path, files: set[str], cache: dict[str, int]) -> Size:
    total = Size()
    for name in files:
        if name not in cache:
            cache[name] = gzip_size(dist / name)
        if name.endswith(".css"):
            total.css += cache[name]
        elif name.endswith(".js"):
            total.js += cache[name]
    return total


def route_table(manifest: dict) -> dict[str, list[str]]:
    """URL -> manifest keys of the route's own lazy chunks (empty when the route's
    module is bundled into the entry)."""
    table = {url: [m for m in modules if m in manifest] for url, modules in ROUTES.items()}
    known = {m for modules in ROUTES.values() for m in modules}
    for key, chunk in manifest.items():
        if chunk.get("isDynamicEntry") and key.startswith(ROUTES_DIR) and key not in known:
            table[f"({key.removeprefix(ROUTES_DIR)})"] = [key]
    return table


def measure(dist: Path) -> tuple[Size, dict[str, Size]]:
    """(the entry alone, the total per route) for the build in `dist`."""
    manifest = load_manifest(dist)
    entries = [key for key, chunk in manifest.items() if chunk.get("isEntry")]
    cache: dict[str, int] = {}
    base_files = files_for(manifest, entries)
    base = size_of(dist, base_files, cache)
    routes = {
        url: size_of(dist, base_files | files_for(manifest, keys), cache)
        for url, keys in route_table(manifest).items()
    }
    return base, routes


def report(base: Size, routes: dict[str, Size]) -> bool:
    """Print one line per route; True when every route meets its goal."""
    print(f"{'route':<28}{'JS gz kB':>10}{'goal':>7}{'of goal':>9}{'x entry':>9}{'CSS gz kB':>11}")
    print(f"{'entry alone (baseline)':<28}{base.js / KB:>10.1f}{'':>7}{'':>9}{1:>9.2f}{base.css / KB:>11.1f}")
    ok = True
    for url, size in routes.items():
        goal = GOALS_KB.get(url, GOAL_KB)
        met = size.js <= goal * KB
        ok = ok and met
        print(
            f"{url:<28}{size.js / KB:>10.1f}{goal:>7}{size.js / (goal * KB):>8.0%}{'' if met else '!'}"
            f"{size.js / base.js:>9.2f}{size.css / KB:>11.1f}"
        )
    largest = max(routes.values(), key=lambda s: s.js)
    print(f"largest route: {largest.js / KB:.1f} kB JS; every goal met: {'yes' if ok else 'NO'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, help="an existing `vite build --manifest` output to measure")
    args = parser.parse_args(argv)
    if args.dist:
        report(*measure(args.dist))
        return 0
    with tempfile.TemporaryDirectory(prefix="bundle-size-") as tmp:
        build(Path(tmp))
        report(*measure(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
