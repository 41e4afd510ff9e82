"""Streamlit's frontend bundle (``/static/...``) sent compressed, from stored bytes.

Streamlit 1.67 sends ``/static/`` uncompressed on purpose (its gzip middleware skips it:
compressing per request costs CPU). Here it is compressed once instead: a tree of links
to the bundle's files with a ``.gz`` and a ``.br`` beside every compressible file is made per
installed bundle in a cache directory (``$CVAE_STATIC_CACHE``, else ``$XDG_CACHE_HOME`` or
``~/.cache``, under ``cvae-explorer/static``; never in site-packages), readable by every user
(a container makes it at build time as root and serves it as another user), and ServeStatic
(the maintained ASGI successor of WhiteNoise) serves the stored bytes with
``Content-Encoding``, ``Vary: Accept-Encoding``, an ETag and a long immutable
``Cache-Control``. `CompressedStatic` is the ASGI middleware that ``st.App`` wraps
around Streamlit; until the copy is ready (a few seconds after the first start of a
Streamlit version), and for any file it does not hold, Streamlit answers as before.

The copy also holds Streamlit's icon and text fonts cut down to what this app can draw
(`cvae.font_subsets`: 375 + 170 kB before the first paint become 8 + 82 kB).

``python -m cvae.compressed_static`` makes the copy ahead of time (a build step).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from cvae import font_subsets, settings

_LOG = logging.getLogger(__name__)

READY = ".complete"  # written last: a copy without it is unfinished
BROTLI_QUALITY = 9   # quality 11 (brotli's default) took 17 s for Plotly's 4.7 MB chunk, 9 took 1 s


def streamlit_bundle() -> Path:
    """The directory Streamlit serves as ``/static/`` (inside the installed package)."""
    from streamlit import file_util

    return Path(file_util.get_static_dir()) / "static"


def cache_root() -> Path:
    """Where compressed copies are kept (``$CVAE_STATIC_CACHE`` or the user cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return settings.path(settings.STATIC_CACHE, Path(base) / "cvae-explorer" / "static")


def bundle_key(source: Path) -> str:
    """A name for this exact bundle: Streamlit's version and a digest of where it is
    installed (the copy links to its files) and of its file list."""
    import streamlit

    digest = hashlib.sha256(f"{source.resolve()}\n".encode())
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(source)}\0{path.stat().st_size}\n".encode())
    digest.update(f"fonts {font_subsets.VERSION}\n".encode())
    return f"streamlit-{streamlit.__version__}-{digest.hexdigest()[:12]}"


def _compressor() -> Any:
    import brotli
    from servestatic.compress import Compressor

    class _Compressor(Compressor):
        @staticmethod
        def compress_brotli(data: bytes) -> bytes:
            return brotli.compress(data, quality=BROTLI_QUALITY)

    return _Compressor(use_zstd=False, quiet=True)


def prepare(source: Path | None = None, cache: Path | None = None) -> Path:
    """The compressed copy of ``source`` (default: Streamlit's bundle) under ``cache``,
    made if it is not there yet: a symbolic link to every file (its bytes are not stored
    twice; the link shows the file's own modification time, so ETags stay the same across
    restarts), plus ``.gz`` and ``.br`` where they are smaller."""
    source = source or streamlit_bundle()
    cache = cache or cache_root()
    target = cache / bundle_key(source)
    if (target / READY).is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=cache, prefix=".building-"))
    try:
        building.chmod(0o755)  # mkdtemp's 0700 would hide the copy from other users
        files = building / "files"
        shutil.copytree(source, files, copy_function=_link)
        _cut_fonts(files, source)
        compressor = _compressor()
        for path in sorted(p for p in files.rglob("*") if p.is_file()):
            if compressor.should_compress(path.name):
                compressor.compress(str(path))
        (building / READY).write_text(source.as_posix() + "\n")
        try:
            building.rename(target)
        except OSError:  # another process finished the same copy first
            if not (target / READY).is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _cut_fonts(files: Path, source: Path) -> None:
    """Store the cut web fonts (`cvae.font_subsets`) in place of the links to the originals."""
    for path in sorted(files.rglob("*.woff2")):
        cut = font_subsets.cut(path, source)
        if cut is not None:
            path.unlink()
            path.write_bytes(cut)
            path.chmod(0o644)


def _link(src: str, dst: str) -> None:
    os.symlink(os.path.abspath(src), dst)


class CompressedStatic:
    """ASGI middleware: ``GET``/``HEAD`` ``{prefix}...`` answered from the compressed copy
    once it is ready; everything else goes to ``app`` (Streamlit)."""

    def __init__(self, app: Any, prefix: str | None = None, cache: Path | None = None,
                 source: Path | None = None, background: bool = True) -> None:
        if prefix is None:
            from cvae.live.routes import base_path

            prefix = f"{base_path()}/static/"
        self.app, self.prefix = app, prefix
        self._files: Any = None  # the ServeStatic app, once the copy is ready
        if background:
            threading.Thread(target=self._load, args=(source, cache), daemon=True,
                             name="compressed-static").start()
        else:
            self._load(source, cache)

    def _load(self, source: Path | None, cache: Path | None) -> None:
        try:
            root = prepare(source, cache) / "files"
        except Exception as exc:  # no cache to write to: Streamlit serves as it always did
            _LOG.warning("static files stay uncompressed: %s", exc)
            return
        from servestatic import ServeStaticASGI

        # The links point out of `root` by design (into Streamlit's bundle), which
        # ServeStatic's symlink check would refuse; it still serves only the files it found
        # under `root` when it started (no autorefresh), so no request reaches another file.
        self._files = ServeStaticASGI(self.app, root=root, prefix=self.prefix,
                                      allow_all_origins=False, allow_unsafe_symlinks=True,
                                      immutable_file_test=lambda path, url: True)

    @property
    def ready(self) -> bool:
        """Whether the compressed copy is being served."""
        return self._files is not None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        files = self._files
        if (files is not None and scope["type"] == "http"
                and scope["method"] in ("GET", "HEAD")
                and scope["path"].startswith(self.prefix)):
            await files(scope, receive, send)  # an unknown file falls through to Streamlit
        else:
            await self.app(scope, receive, send)


def main() -> int:
    target = prepare()
    print(f"compressed copy of {streamlit_bundle()} ready in {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
