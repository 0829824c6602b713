"""Test images built locally, without any registry.

`ensure_busybox_image(client)` imports a tiny rootfs (the host's static
busybox plus applet symlinks and a web root) as `lab-test/busybox:latest`.
Its default command serves HTTP on port 8080, so a test can prove that a
published port answers. Reusable by every suite that needs a container.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

BUSYBOX_IMAGE = "lab-test/busybox:latest"
BUSYBOX_HTTP_PORT = 8080
INDEX_HTML = b"<!doctype html><title>lab-test</title><p>lab-test busybox httpd</p>\n"

_BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
_APPLETS = ("sh", "httpd", "sleep", "cat", "echo", "ls", "true", "false", "kill", "wget", "env")
_CMD = ["/bin/busybox", "httpd", "-f", "-p", str(BUSYBOX_HTTP_PORT), "-h", "/www"]
_CONTENT_LABEL = "lab.test.rootfs"


def find_static_busybox() -> str | None:
    """Path of the host's busybox binary (Debian's busybox-static), or None."""
    for path in _BUSYBOX_CANDIDATES:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def _add_symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def busybox_rootfs_tar(busybox_path: str) -> bytes:
    """An uncompressed tar of a minimal rootfs: /bin/busybox, applet links, /www, /tmp."""
    with open(busybox_path, "rb") as fh:
        binary = fh.read()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("bin", "www", "etc"):
            _add_dir(tar, directory)
        _add_dir(tar, "tmp", mode=0o1777)
        _add_file(tar, "bin/busybox", binary, mode=0o755)
        for applet in _APPLETS:
            _add_symlink(tar, f"bin/{applet}", "busybox")
        _add_file(tar, "www/index.html", INDEX_HTML)
        _add_file(tar, "etc/passwd", b"root:x:0:0:root:/:/bin/sh\n")
        _add_file(tar, "etc/group", b"root:x:0:\n")
    return buf.getvalue()


def ensure_busybox_image(client, name: str = BUSYBOX_IMAGE) -> str:
    """Make sure `name` exists locally; build it from the host's busybox if not.

    Idempotent: an image already holding the same rootfs (checked through a
    content-hash label) is reused as is. Returns the image reference.
    Raises RuntimeError when the host has no busybox binary.
    """
    import docker.errors  # local import: the module stays importable without docker

    busybox = find_static_busybox()
    if busybox is None:
        raise RuntimeError("busybox-static is not installed (apt-get install busybox-static)")
    rootfs = busybox_rootfs_tar(busybox)
    digest = hashlib.sha256(rootfs + json.dumps(_CMD).encode()).hexdigest()[:16]
    try:
        existing = client.images.get(name)
    except docker.errors.ImageNotFound:
        existing = None
    if existing is not None and (existing.labels or {}).get(_CONTENT_LABEL) == digest:
        return name

    repository, _, tag = name.rpartition(":")
    if not repository or "/" in tag:
        repository, tag = name, "latest"
    changes = [
        f"CMD {json.dumps(_CMD)}",
        f"EXPOSE {BUSYBOX_HTTP_PORT}/tcp",
        "WORKDIR /",
        f"LABEL {_CONTENT_LABEL}={digest}",
    ]
    client.api.import_image_from_data(rootfs, repository=repository, tag=tag, changes=changes)
    return name
