"""Streamlit's static bundle sent compressed from stored bytes (`cvae.compressed_static`),
on a copy of Streamlit's real main JavaScript bundle."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from cvae.compressed_static import CompressedStatic, prepare, streamlit_bundle


def main_bundle() -> Path:
    """The JavaScript file Streamlit's index.html loads first."""
    html = (streamlit_bundle().parent / "index.html").read_text()
    name = re.search(r"static/js/(index\.[\w-]+\.js)", html).group(1)
    return streamlit_bundle() / "js" / name


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A small bundle: the real main JS file and an already-compressed font."""
    src = tmp_path / "bundle"
    (src / "js").mkdir(parents=True)
    (src / "media").mkdir()
    shutil.copy2(main_bundle(), src / "js" / main_bundle().name)
    (src / "media" / "font.woff2").write_bytes(bytes(range(256)) * 40)
    return src


async def streamlit(scope, receive, send) -> None:
    """Stands in for Streamlit: says who answered."""
    await PlainTextResponse(f"streamlit {scope['path']}")(scope, receive, send)


@pytest.fixture
def client(source: Path, tmp_path: Path) -> TestClient:
    app = CompressedStatic(streamlit, prefix="/static/", cache=tmp_path / "cache",
                           source=source, background=False)
    assert app.ready
    return TestClient(app)


def raw_get(client: TestClient, path: str, **headers: str) -> tuple[int, dict, bytes]:
    """Status, headers and the body bytes as sent (not decoded)."""
    with client.stream("GET", path, headers=headers) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_raw())


def test_gzip_request_gets_stored_gzip_of_the_exact_file(client):
    original = main_bundle().read_bytes()
    status, headers, body = raw_get(client, f"/static/js/{main_bundle().name}",
                                    **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert headers["content-type"].startswith("text/javascript")
    assert int(headers["content-length"]) == len(body) < len(original) / 2
    assert gzip.decompress(body) == original


def test_brotli_preferred_when_accepted(client):
    original = main_bundle().read_bytes()
    _, headers, body = raw_get(client, f"/static/js/{main_bundle().name}",
                               **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == original


def test_no_accept_encoding_gets_the_identity_bytes(client):
    original = main_bundle().read_bytes()
    status, headers, body = raw_get(client, f"/static/js/{main_bundle().name}",
                                    **{"Accept-Encoding": "identity"})
    assert status == 200
    assert "content-encoding" not in headers
    assert "accept-encoding" in headers["vary"].lower()
    assert body == original


def test_long_immutable_caching_and_revalidation(client):
    path = f"/static/js/{main_bundle().name}"
    _, headers, _ = raw_get(client, path, **{"Accept-Encoding": "gzip"})
    cache = headers["cache-control"]
    assert "immutable" in cache and "public" in cache
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600
    status, _, body = raw_get(client, path, **{"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""


def test_incompressible_file_is_sent_as_is(client, source):
    _, headers, body = raw_get(client, "/static/media/font.woff2", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers
    assert body == (source / "media" / "font.woff2").read_bytes()


def test_other_paths_and_unknown_files_reach_streamlit(client):
    assert client.get("/").text == "streamlit /"
    assert client.get("/_stcore/health").text == "streamlit /_stcore/health"
    assert client.get("/static/js/missing.js").text == "streamlit /static/js/missing.js"
    assert client.post(f"/static/js/{main_bundle().name}").text.startswith("streamlit")


def test_the_copy_is_made_once_and_kept_out_of_the_bundle(source, tmp_path):
    cache = tmp_path / "cache"
    first = prepare(source, cache)
    stored = first / "files" / "js" / f"{main_bundle().name}.gz"
    stamp = stored.stat().st_mtime_ns, stored.stat().st_ino
    again = prepare(source, cache)
    assert again == first
    assert (stored.stat().st_mtime_ns, stored.stat().st_ino) == stamp  # not made again
    assert not list(source.rglob("*.gz")) and not list(source.rglob("*.br"))


def test_the_copy_links_to_the_bundle_and_other_users_can_read_it(source, tmp_path):
    """A container makes the copy as root at build time and serves it as uid 10001, and
    its bytes are not stored twice in the image."""
    copy = prepare(source, tmp_path / "cache")
    original = copy / "files" / "js" / main_bundle().name
    assert original.is_symlink()
    assert original.resolve() == (source / "js" / main_bundle().name).resolve()
    assert not (copy / "files" / "js" / f"{main_bundle().name}.gz").is_symlink()
    for folder in (copy, copy / "files", copy / "files" / "js"):
        assert folder.stat().st_mode & 0o005 == 0o005, folder  # others may list and enter


def test_another_install_of_the_bundle_gets_its_own_copy(source, tmp_path):
    """The links name the bundle's place: a bundle elsewhere (another virtualenv) must not
    reuse links into the first one."""
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(source, elsewhere)
    assert prepare(source, tmp_path / "cache") != prepare(elsewhere, tmp_path / "cache")


def test_without_a_writable_cache_streamlit_serves_uncompressed(source, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    app = CompressedStatic(streamlit, prefix="/static/", cache=blocker / "cache",
                           source=source, background=False)
    assert not app.ready
    assert TestClient(app).get(f"/static/js/{main_bundle().name}").text.startswith("streamlit")
