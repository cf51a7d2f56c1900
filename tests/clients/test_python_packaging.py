#!/usr/bin/env python3
"""clients/python builds as a wheel with the setuptools backend (PEP 517, no network, no
pip), and the installed package works: `python -m foley_client`, the console script entry
point, py.typed. Exits 77 (skip) when setuptools cannot build wheels here (Debian:
python3-setuptools, python3-wheel)."""

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = 77


def main() -> int:
    try:
        from setuptools import build_meta  # noqa: F401
    except ImportError:
        print("skipped: setuptools is not installed (apt-get install python3-setuptools)", file=sys.stderr)
        return SKIP
    try:  # setuptools >= 70.1 builds wheels itself; older ones need the wheel package
        from setuptools.command import bdist_wheel  # noqa: F401
    except ImportError:
        try:
            import wheel  # noqa: F401
        except ImportError:
            print("skipped: this setuptools needs the wheel package (apt-get install python3-wheel)", file=sys.stderr)
            return SKIP
    work = tempfile.mkdtemp(prefix="foley-wheel-")
    try:
        # Build from a copy so the source tree gets no build/ or *.egg-info.
        source = os.path.join(work, "src")
        shutil.copytree(os.path.join(REPO, "clients", "python"), source,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
        wheels = os.path.join(work, "dist")
        build = subprocess.run(
            [sys.executable, "-c", f"from setuptools import build_meta; print(build_meta.build_wheel({wheels!r}))"],
            cwd=source, capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            print(f"wheel build failed:\n{build.stdout}\n{build.stderr}")
            return 1
        wheel = os.path.join(wheels, build.stdout.strip().splitlines()[-1])
        site = os.path.join(work, "site")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            archive.extractall(site)
        problems = []
        for needed in ("foley_client/__init__.py", "foley_client/py.typed", "foley_client/cli.py"):
            if needed not in names:
                problems.append(f"{needed} missing from {os.path.basename(wheel)}")
        if any(name.startswith("tests/") for name in names):
            problems.append("the wheel ships the tests")
        entry_points = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        if entry_points:
            parser = configparser.ConfigParser()
            parser.read(os.path.join(site, entry_points[0]))
            if parser.get("console_scripts", "foley-client", fallback="") != "foley_client.cli:main":
                problems.append("console script foley-client -> foley_client.cli:main is missing")
        else:
            problems.append("no entry_points.txt in the wheel")
        metadata = [n for n in names if n.endswith(".dist-info/METADATA")]
        if metadata:
            with open(os.path.join(site, metadata[0]), encoding="utf-8") as file:
                if "Requires-Dist" in file.read():
                    problems.append("the package declares dependencies; it must need only the standard library")
        env = dict(os.environ, PYTHONPATH=site)
        for args in (["-m", "foley_client", "--version"],
                     ["-c", "import sys; from foley_client.cli import main; sys.exit(main(['--version']))"]):
            run = subprocess.run([sys.executable, *args], env=env, cwd=work, capture_output=True, text=True, timeout=60)
            if run.returncode != 0 or "0.1.0" not in run.stdout:
                problems.append(f"{' '.join(args)}: exit {run.returncode}: {run.stdout}{run.stderr}")
        for problem in problems:
            print(problem)
        if not problems:
            print(f"ok: {os.path.basename(wheel)}")
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
