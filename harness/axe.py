"""axe-core (npm ``axe-core``) in a Playwright page: where its script is, and a run.

The script is found at ``$CVAE_AXE`` (a path to ``axe.min.js``), else under
``.ci/node_modules`` (what ``.ci/run`` installs from ``.ci/package.json``: ``npm ci
--prefix .ci``), else under a ``node_modules`` at the repo root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.paths import ROOT

AXE_FILE = Path("node_modules") / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")

# Every rule axe has (or the rules named), on the whole document (Streamlit's shadow-root
# components included).
_RUN = """async (rules) => {
  const options = {resultTypes: ['violations']};
  if (rules) options.runOnly = {type: 'rule', values: rules};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary}))}));
}"""


def axe_script() -> Path | None:
    """The path of ``axe.min.js``, or None when axe-core is not installed."""
    env = os.environ.get("CVAE_AXE")
    candidates = [Path(env)] if env else []
    candidates += [ROOT / ".ci" / AXE_FILE, ROOT / AXE_FILE]
    return next((path for path in candidates if path.is_file()), None)


def axe_missing() -> str | None:
    """Why axe cannot run, or None when it can."""
    if axe_script() is not None:
        return None
    return ("axe-core is not installed: run `npm ci --prefix .ci` (what .ci/run does) or "
            "set CVAE_AXE to the path of axe.min.js")


def violations(page: Any, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (of every rule, or of ``rules`` only: those not on
    by default too), injecting the script first when needed."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        script = axe_script()
        if script is None:
            raise RuntimeError(axe_missing())
        page.add_script_tag(path=str(script))
    return list(page.evaluate(_RUN, rules))


def blocking(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations of impact critical or serious."""
    return [v for v in found if v["impact"] in BLOCKING]


def describe(found: list[dict[str, Any]]) -> str:
    """One line per violation and up to three of its elements, for an assertion message."""
    lines = []
    for v in found:
        lines.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        lines += [f"    {_short(n['target'])}: {_reason(n['summary'])}" for n in v["nodes"][:12]]
    return "\n".join(lines)


def _short(target: list[Any]) -> str:
    """The last step of an axe selector (Streamlit's full selectors run to 500 characters)."""
    last = str(target[-1]) if target else "?"
    return last.rsplit(" > ", 1)[-1][-90:]


def _reason(summary: str | None) -> str:
    """The first concrete reason in an axe failure summary."""
    lines = [line.strip() for line in (summary or "").splitlines()[1:] if line.strip()]
    return lines[0][:160] if lines else ""
