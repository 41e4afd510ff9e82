"""Every ``CVAE_*`` variable is read through `cvae.settings`: one switch parser (a value it
does not take is an error naming the variable), and the README's table lists them all."""

from __future__ import annotations

import ast
import re

import pytest

from cvae import settings
from harness.paths import ROOT


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("Yes", True),
                                           ("0", False), ("false", False), ("NO", False),
                                           ("", None), ("  ", None)])
def test_a_switch_takes_one_true_yes_and_zero_false_no(monkeypatch, value, on):
    monkeypatch.setenv(settings.BATCHING, value)
    assert settings.switch(settings.BATCHING, True) is (True if on is None else on)
    assert settings.switch(settings.BATCHING, False) is (False if on is None else on)


@pytest.mark.parametrize("value", ["2", "off", "ja", "-1"])
def test_any_other_switch_value_is_an_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(settings.NO_WORKAROUNDS, value)
    with pytest.raises(settings.SettingError, match=f"CVAE_NO_WORKAROUNDS .*{value!r}"):
        settings.switch(settings.NO_WORKAROUNDS, False)


def test_numbers_and_counts_refuse_what_they_cannot_use(monkeypatch):
    monkeypatch.setenv(settings.LIVE_DECODES_PER_CLIENT, "2.5")
    assert settings.number(settings.LIVE_DECODES_PER_CLIENT, 60.0) == 2.5
    for bad in ("0", "-3", "many"):
        monkeypatch.setenv(settings.LIVE_DECODES_PER_CLIENT, bad)
        with pytest.raises(settings.SettingError, match="CVAE_LIVE_DECODES_PER_CLIENT"):
            settings.number(settings.LIVE_DECODES_PER_CLIENT, 60.0)
    monkeypatch.setenv(settings.OP_THREADS, "0")
    assert settings.count(settings.OP_THREADS, 1) == 0
    monkeypatch.setenv(settings.OP_THREADS, "two")
    with pytest.raises(settings.SettingError, match="CVAE_OP_THREADS"):
        settings.count(settings.OP_THREADS, 1)


def environment_reads(tree: ast.AST) -> list[str]:
    """Reads of ``os.environ`` / ``os.getenv`` by a ``CVAE_`` literal or by a name."""
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        elif isinstance(node, ast.Call) and node.args and ast.unparse(node.func) in (
                "os.environ.get", "os.getenv"):
            key = node.args[0]
        if key is not None and (isinstance(key, ast.Name) or (
                isinstance(key, ast.Constant) and str(key.value).startswith("CVAE_"))):
            found.append(ast.unparse(node))
    return found


def test_no_module_reads_a_cvae_variable_but_settings():
    assert environment_reads(ast.parse('os.environ.get("CVAE_X", "1")'))  # it can find one
    reads = {str(path.relative_to(ROOT)): environment_reads(ast.parse(path.read_text()))
             for path in [*sorted((ROOT / "cvae").rglob("*.py")), *ROOT.glob("*.py")]
             if path.name != "settings.py"}
    assert {path: found for path, found in reads.items() if found} == {}


def test_the_readme_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(CVAE_[A-Z_]+)` \| (.+?) \|", readme, re.M))
    assert rows == {s.name: s.default for s in settings.SETTINGS}
