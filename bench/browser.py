"""Province map page in headless Chromium: HTML size and time until the company markers are drawn."""

from __future__ import annotations

import statistics
import time

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def map_page(base: str, auth: str, runs: int = 3) -> dict:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright not installed"}
    times, size = [], 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800},
                                          extra_http_headers={"Authorization": auth})
            page = context.new_page()
            for _ in range(runs):
                started = time.perf_counter()
                response = page.goto(f"{base}/maps/province")
                # The map page sets this once its run-time markers/clusters are on the map.
                page.wait_for_selector("body[data-markers-drawn='1']", state="attached", timeout=120_000)
                times.append(time.perf_counter() - started)
                size = len(response.body())
            browser.close()
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    return {"seconds": statistics.median(times), "all": times, "html_bytes": size}
