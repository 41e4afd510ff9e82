"""Load test: concurrent browser sessions against one app server.

``python -m benchmarks.load_test [--sessions 8] [--interactions 50]`` starts ``streamlit run
app.py``, opens that many isolated sessions (one headless Chromium, one browser context
each) and drives them at the same time through slider moves (keyboard), class changes and
model switches. For every interaction it waits for the page to show that session's own new
state; at the end it checks each session still shows exactly what it set (no cross-talk)
and that no session ever showed an exception. Writes benchmarks/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from benchmarks.common import ROOT, percentiles, rss_mb
from cvae.explorer import DEFAULT_DIGIT
from cvae.recipes import DEFAULT_RECIPE

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RESULTS = ROOT / "benchmarks" / "results" / "load.json"
# The decoded digit's caption: in the latent map (shadow DOM; Playwright's CSS pierces it)
# or, without the map, under the image.
CAPTIONS = ".map-digit-caption, [data-testid='stImageCaption']"
PLAN = ("slider", "slider", "class", "slider", "slider", "class", "slider", "slider",
        "class", "model")  # one model switch per ten interactions


async def _decoded_caption(page: Any) -> str:
    return await page.locator(CAPTIONS).filter(
        has_text="p(x | z) at (").first.inner_text()


async def _session(browser: Any, base: str, index: int, names: list[str], steps: int,
                   log: list[dict[str, Any]]) -> dict[str, Any]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    model, digit = names[index % len(names)], index % 10
    await page.goto(f"{base}/?model={model}&digit={digit}", timeout=300_000)
    await page.wait_for_selector(IDLE, timeout=300_000)
    await page.get_by_text("Decoded digit").wait_for(timeout=300_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    exceptions = 0
    for step in range(steps):
        kind = PLAN[(step + index) % len(PLAN)]
        start = time.perf_counter()
        if kind == "slider":
            before = await _decoded_caption(page)
            thumb = sidebar.locator(".st-key-z1").get_by_role("slider")
            await thumb.focus()
            await thumb.press("ArrowRight" if step % 4 < 2 else "ArrowLeft")
            await page.wait_for_function(
                """(old) => [...document.querySelectorAll("[data-testid='stImageCaption']"),
                    ...[...document.querySelectorAll("[data-testid='stBidiComponentIsolated']")]
                      .flatMap((h) => h.shadowRoot
                        ? [...h.shadowRoot.querySelectorAll('.map-digit-caption')] : [])]
                       .some(c => c.textContent.startsWith('p(x | z) at (')
                                  && c.textContent !== old)""", arg=before, timeout=120_000)
        elif kind == "class":
            digit = (digit + 3) % 10
            await sidebar.get_by_role("radiogroup", name="Digit class").get_by_text(
                str(digit), exact=True).click()
            await page.get_by_text(f"Class-mean-shifted grid · digit {digit}").wait_for(
                timeout=120_000)
        else:
            model = names[(names.index(model) + 1) % len(names)]
            await sidebar.get_by_role("combobox", name="Model").click()
            await page.get_by_role("option", name=model, exact=True).click()
            await page.locator("[data-testid='stCaptionContainer'] code").filter(
                has_text=re.compile(f"^{re.escape(model)}$")).first.wait_for(timeout=300_000)
        await page.wait_for_selector(IDLE, timeout=300_000)
        log.append({"session": index, "kind": kind,
                    "ms": (time.perf_counter() - start) * 1000.0})
        exceptions += await page.locator("[data-testid='stException']").count()
    url = page.url
    combobox = sidebar.get_by_role("combobox", name="Model")
    shown = {"model": await combobox.input_value(),
             "digit": (await sidebar.get_by_role("radiogroup", name="Digit class")
                       .locator("label:has(input:checked)").inner_text()).strip()}
    query = parse_qs(urlsplit(url).query)  # a value equal to its default leaves the URL
    in_url = {"model": query.get("model", [DEFAULT_RECIPE])[-1],
              "digit": query.get("digit", [str(DEFAULT_DIGIT)])[-1]}
    own_state = shown == in_url == {"model": model, "digit": str(digit)}
    await context.close()
    return {"session": index, "expected": {"model": model, "digit": digit}, "shown": shown,
            "url": url, "own_state": own_state, "exceptions": exceptions,
            "page_errors": page_errors}


async def _warm_up(browser: Any, base: str, names: list[str]) -> None:
    """Visit every model once so the timed sessions measure a warm server (a model's first
    visitor pays its load, ~5-10 s, once per server)."""
    page = await browser.new_page()
    for name in names:
        await page.goto(f"{base}/?model={name}", timeout=300_000)
        await page.wait_for_selector(IDLE, timeout=300_000)
        await page.get_by_text("Decoded digit").wait_for(timeout=300_000)
    await page.close()


async def _run(sessions: int, steps: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from cvae.catalog import bundle_names
    from tests.e2e.conftest import LAUNCH, running_app

    names = bundle_names()
    log: list[dict[str, Any]] = []
    with running_app("load-server.log") as (base, proc):
        async with async_playwright() as p:
            browser = await p.chromium.launch(**LAUNCH)
            await _warm_up(browser, base, names)
            start = time.perf_counter()
            outcomes = await asyncio.gather(
                *(_session(browser, base, i, names, steps, log) for i in range(sessions)),
                return_exceptions=True)
            wall = time.perf_counter() - start
            await browser.close()
        memory = rss_mb(proc.pid)
    failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    by_kind = {kind: percentiles([r["ms"] for r in log if r["kind"] == kind])
               for kind in sorted({r["kind"] for r in log})}
    return {
        "sessions": sessions, "interactions_per_session": steps,
        "interactions_done": len(log), "wall_s": wall,
        "errors": len(failures) + sum(o["exceptions"] + len(o["page_errors"]) for o in done),
        "failed_sessions": failures,
        "sessions_with_own_state": sum(o["own_state"] for o in done),
        "latency_ms": percentiles([r["ms"] for r in log]) if log else None,
        "latency_ms_by_kind": by_kind, "server_memory": memory, "per_session": done,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_test",
                                     description=__doc__)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--interactions", type=int, default=50)
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args.sessions, args.interactions))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    lat = result["latency_ms"]
    print(f"{result['sessions']} sessions x {result['interactions_per_session']} interactions: "
          f"{result['interactions_done']} done in {result['wall_s']:.0f} s, "
          f"errors {result['errors']}, sessions showing their own state "
          f"{result['sessions_with_own_state']}/{result['sessions']}")
    if lat:
        print(f"interaction latency p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms "
              f"(target p95 <= 300 ms)")
        for kind, stats in result["latency_ms_by_kind"].items():
            print(f"  {kind:6s} p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms "
                  f"(n={stats['n']})")
    print(f"server peak RSS {result['server_memory']['peak_rss_mb']:.0f} MB; wrote "
          f"{RESULTS.relative_to(ROOT)}")
    ok = result["errors"] == 0 and result["sessions_with_own_state"] == result["sessions"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
