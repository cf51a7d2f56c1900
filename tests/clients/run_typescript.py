#!/usr/bin/env python3
"""CTest steps for the TypeScript SDK, run from any directory:

    run_typescript.py build <out dir>   # tsc (the SDK's pinned compiler) into <out dir>
    run_typescript.py unit <out dir>    # node --test on the compiled unit tests

Exits 77 (CTest's skip code here) when clients/typescript/node_modules is missing: run
`npm ci` there (scripts/run-tests.sh does).
"""

import glob
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TS_DIR = os.path.join(REPO, "clients", "typescript")
TSC = os.path.join(TS_DIR, "node_modules", "typescript", "bin", "tsc")
SKIP = 77


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("build", "unit"):
        print(__doc__, file=sys.stderr)
        return 2
    step, out = sys.argv[1], os.path.abspath(sys.argv[2])
    if not os.path.exists(TSC):
        print(f"skipped: {TSC} is missing; run `npm ci` in clients/typescript", file=sys.stderr)
        return SKIP
    if step == "build":
        for config in ("tsconfig.json", "tsconfig.browser.json"):
            args = ["node", TSC, "-p", os.path.join(TS_DIR, config)]
            if config == "tsconfig.json":
                args += ["--outDir", out]
            if subprocess.run(args).returncode != 0:
                return 1
        return 0
    tests = sorted(glob.glob(os.path.join(out, "test", "*.test.js")))
    if not tests:
        print(f"no compiled tests in {out}/test: run the build step first", file=sys.stderr)
        return 1
    return subprocess.run(["node", "--test", *tests]).returncode


if __name__ == "__main__":
    sys.exit(main())
