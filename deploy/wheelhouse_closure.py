"""Print the requirements that wheels in a wheelhouse need on some patch release
of the images' Python but that the wheelhouse lacks.

`pip download --python-version` picks wheels for another interpreter but still
evaluates environment markers against the running one, so a dependency such as
redis' `async-timeout; python_full_version < "3.11.3"` is skipped on a 3.11.7
host although Debian 12's 3.11.2 needs it. Usage:
    python3 deploy/wheelhouse_closure.py WHEELHOUSE 3.11 x86_64
"""

import sys
import zipfile
from pathlib import Path

from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename


def environments(minor: str, machine: str) -> list[dict]:
    base = {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
        "python_version": minor,
        "extra": "",
    }
    return [dict(base, python_full_version=f"{minor}.{patch}", implementation_version=f"{minor}.{patch}")
            for patch in (0, 99)]


def missing(wheelhouse: Path, minor: str, machine: str) -> set[str]:
    wheels = sorted(wheelhouse.glob("*.whl"))
    have = {canonicalize_name(parse_wheel_filename(w.name)[0]) for w in wheels}
    needed = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = archive.read(name).decode("utf-8", "replace")
        for line in metadata.splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if canonicalize_name(req.name) in have:
                continue
            if req.marker is None or any(req.marker.evaluate(env) for env in environments(minor, machine)):
                needed.add(f"{req.name}{req.specifier}")
    return needed


if __name__ == "__main__":
    for requirement in sorted(missing(Path(sys.argv[1]), sys.argv[2], sys.argv[3])):
        print(requirement)
