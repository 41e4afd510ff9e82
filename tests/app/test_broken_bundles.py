"""A broken bundle shows one clear message in the page, the others stay usable, and the
CLI exits non-zero with the same message."""

from __future__ import annotations

import json
import shutil

import pytest

from cvae import bundle, catalog
from cvae.cli import evaluate
from harness.apptest import assert_healthy, run_app, widget_values


def _truncate(path):
    w = path / bundle.WEIGHTS
    w.write_bytes(w.read_bytes()[:1000])


def _remove(path):
    (path / bundle.WEIGHTS).unlink()


def _swap_in_other_weights(path):
    shutil.copy(catalog.bundle_path("class-prior-2d") / bundle.WEIGHTS, path / bundle.WEIGHTS)
    config = json.loads((path / bundle.CONFIG).read_text())
    config["files"][bundle.WEIGHTS] = bundle.sha256(path / bundle.WEIGHTS)
    (path / bundle.CONFIG).write_text(json.dumps(config))


DAMAGE = {"truncated": (_truncate, "does not match its checksum"),
          "missing": (_remove, "is missing"),
          "mismatched": (_swap_in_other_weights, "does not fit recipe 'tutorial-2d'")}


@pytest.fixture
def weights(tmp_path, monkeypatch):
    """A weights folder with intact tutorial-2d and class-prior-2d plus damaged copies."""
    for name in ("tutorial-2d", "class-prior-2d"):
        shutil.copytree(catalog.bundle_path(name), tmp_path / name)
    for kind, (damage, _) in DAMAGE.items():
        broken = tmp_path / f"broken-{kind}"
        shutil.copytree(tmp_path / "tutorial-2d", broken)
        damage(broken)
    monkeypatch.setenv("CVAE_WEIGHTS", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_broken_bundle_gives_one_message_and_others_stay_usable(weights, kind, capsys):
    name, expected = f"broken-{kind}", DAMAGE[kind][1]
    at = run_app({"model": name})
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert f"`{name}` cannot be loaded" in message and expected in message
    assert "Pick another model" in message

    at.selectbox(key="model").set_value("tutorial-2d").run()
    assert_healthy(at)
    assert widget_values(at)["model"] == "tutorial-2d"

    assert evaluate.main([str(weights / name), "--iw", "0"]) == 2
    err = capsys.readouterr().err
    assert expected in err and name in err
