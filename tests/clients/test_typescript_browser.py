#!/usr/bin/env python3
"""The built TypeScript SDK in headless Chromium against a live `foley serve`.

The page (browser/sdk-test.html) and the SDK are served by the server itself
(`--web-root`), so the browser calls the API same-origin with fetch, as a web app would
through its own backend. Exits 77 (skip) without Chromium or without the built SDK.

    FOLEY_BIN=... test_typescript_browser.py <built SDK dir>
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from live_server import LiveServer, foley_binary  # noqa: E402

SKIP = 77


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sdk = os.path.join(sys.argv[1], "src")
    browser = find_browser()
    if browser is None or not os.path.exists(os.path.join(sdk, "index.js")):
        print(f"skipped: {'no Chromium' if browser is None else 'no built SDK in ' + sdk}", file=sys.stderr)
        return SKIP
    web_root = tempfile.mkdtemp(prefix="foley-browser-")
    try:
        shutil.copytree(sdk, os.path.join(web_root, "sdk", "src"))
        shutil.copy(os.path.join(HERE, "browser", "sdk-test.html"), web_root)
        with LiveServer(foley_binary(), extra_args=["--web-root", web_root]) as server:
            # --virtual-time-budget keeps the page alive while its fetches are pending;
            # --dump-dom prints the DOM once the page settles.
            result = subprocess.run(
                [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 f"--user-data-dir={os.path.join(web_root, 'profile')}", "--virtual-time-budget=240000",
                 "--dump-dom", f"{server.base_url}/sdk-test.html#{server.key}"],
                capture_output=True, text=True, timeout=400)
    finally:
        shutil.rmtree(web_root, ignore_errors=True)
    lines = [line for line in result.stdout.splitlines() if "RESULT:{" in line and "<pre" in line]
    if not lines:
        print(f"no result from the page (chromium exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return 1
    payload = lines[0].split("RESULT:", 1)[1].rsplit("</pre>", 1)[0]
    data = json.loads(payload.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    print(json.dumps(data, indent=2))
    expected_error = {"name": "ValidationError", "isValidationError": True, "code": "VALIDATION_ERROR"}
    checks = [
        ("no failure", "failure" not in data),
        ("a model is listed", bool(data.get("models"))),
        ("n=1 is a WAV of 1 s", data.get("magic") == "RIFF" and data.get("wavBytes") == 44 + 48000 * 4),
        ("n=2 seeds", data.get("seeds") == [5, 6]),
        ("variant seeds", data.get("variantSeeds") == [9, 10, 11]),
        ("typed error", {k: (data.get("error") or {}).get(k) for k in expected_error} == expected_error
         and str((data.get("error") or {}).get("requestId", "")).startswith("req")),
    ]
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(f"{'ok' if ok else 'FAILED'}: {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
