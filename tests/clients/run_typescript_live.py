#!/usr/bin/env python3
"""Starts the test servers and runs typescript_live.test.mjs against them on Node.

    FOLEY_BIN=... run_typescript_live.py <built SDK dir>
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from live_server import TestServers, foley_binary  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: run_typescript_live.py <dir with the compiled SDK (src/index.js)>", file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(sys.argv[1], "src", "index.js")):
        print(f"skipped: no compiled SDK in {sys.argv[1]} (clients_typescript_build skipped or failed)", file=sys.stderr)
        return 77
    with TestServers(foley_binary()) as servers:
        env = dict(os.environ, FOLEY_TS_DIST=os.path.abspath(sys.argv[1]), **servers.environment())
        return subprocess.run(["node", "--test", os.path.join(HERE, "typescript_live.test.mjs")], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
