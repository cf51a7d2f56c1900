#!/usr/bin/env python3
"""Fetch the Debian packages listed in packages.tsv and unpack their audio files.

Reproducible step 1 of the dataset build. For each package:
  <cache>/debs/<pkg>_<ver>_all.deb            (apt-get download PKG)
  <cache>/raw/<pkg>/usr/...                   audio files and the copyright file
  <cache>/raw/<pkg>/zip_<container>/...       audio inside zip/pk3/wz containers

Only audio (ogg, oga, wav, flac) and the package's copyright file are kept, so the 0ad
3 GB public.zip is unpacked to its audio/ folder only and then deleted.
Usage: fetch_packages.py --cache /work/main/data-cache [--packages p1,p2]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
AUDIO_PATTERNS = ["*.ogg", "*.oga", "*.wav", "*.flac"]
CONTAINER_SUFFIXES = (".zip", ".pk3", ".wz")


def read_package_list(path):
    packages = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            packages.append(line.rstrip("\n").split("\t")[0])
    return packages


def download(pkg, deb_dir):
    existing = glob.glob(os.path.join(deb_dir, f"{pkg}_*.deb"))
    if existing:
        return existing[0]
    # apt-get download writes into the current directory.
    subprocess.run(["apt-get", "download", "-q", pkg], cwd=deb_dir, check=True,
                   stdout=subprocess.DEVNULL)
    found = glob.glob(os.path.join(deb_dir, f"{pkg}_*.deb"))
    if not found:
        raise RuntimeError(f"apt-get download {pkg} produced no .deb")
    return found[0]


def unpack_deb(deb, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    patterns = AUDIO_PATTERNS + ["*" + s for s in CONTAINER_SUFFIXES] + ["*/copyright"]
    tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    # tar exits 2 when a wildcard matches nothing; that is expected for most packages.
    subprocess.run(["tar", "-x", "-C", out_dir, "--wildcards"] + patterns, stdin=tar.stdout,
                   stderr=subprocess.DEVNULL)
    tar.wait()


def unpack_containers(out_dir):
    for root, _, files in os.walk(out_dir):
        if os.path.basename(root).startswith("zip_"):
            continue
        for name in files:
            if not name.lower().endswith(CONTAINER_SUFFIXES):
                continue
            container = os.path.join(root, name)
            target = os.path.join(out_dir, "zip_" + name)
            os.makedirs(target, exist_ok=True)
            # unzip exits 11 when no member matches; containers without audio are fine.
            subprocess.run(["unzip", "-qq", "-o", container] + AUDIO_PATTERNS + ["-d", target],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.remove(container)  # huge (0ad public.zip is 3 GB) and no longer needed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, help="data cache directory (git-ignored)")
    ap.add_argument("--packages", default="", help="comma-separated subset of packages.tsv")
    args = ap.parse_args()
    packages = read_package_list(os.path.join(HERE, "packages.tsv"))
    if args.packages:
        wanted = args.packages.split(",")
        unknown = [p for p in wanted if p not in packages]
        if unknown:
            sys.exit(f"not in packages.tsv: {', '.join(unknown)}")
        packages = wanted
    deb_dir = os.path.join(args.cache, "debs")
    os.makedirs(deb_dir, exist_ok=True)
    for pkg in packages:
        out_dir = os.path.join(args.cache, "raw", pkg)
        done_marker = os.path.join(out_dir, ".unpacked")
        if os.path.exists(done_marker):
            print(f"{pkg}: already unpacked", flush=True)
            continue
        try:
            deb = download(pkg, deb_dir)
        except (subprocess.CalledProcessError, RuntimeError) as err:
            print(f"{pkg}: download failed ({err}); skipped", flush=True)
            continue
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        unpack_deb(deb, out_dir)
        unpack_containers(out_dir)
        with open(done_marker, "w") as f:
            f.write(os.path.basename(deb) + "\n")
        print(f"{pkg}: unpacked {os.path.basename(deb)}", flush=True)


if __name__ == "__main__":
    main()
