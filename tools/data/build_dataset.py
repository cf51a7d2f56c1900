#!/usr/bin/env python3
"""Build the Foley training set from the unpacked packages (run fetch_packages.py first).

Step 2 of the dataset build. Reads strict-sfx-paths.tsv (the 6,004 sound-effect files the
corpus survey kept after leaving out music and speech), keeps those of packages.tsv that were
unpacked, drops paths that still name music/speech (captions.is_excluded) or carry no known
sound word, removes byte-identical duplicates (md5), decodes (wav: scipy; ogg/oga: oggdec;
flac: flac), converts to 48 kHz stereo (scipy.signal.resample_poly), trims silence, peak-
normalises to -1 dBFS and writes

  <cache>/clips/<clip>.wav     48 kHz stereo 16-bit
  <cache>/manifest.tsv         clip, package, path, licence, seconds, source_rate, category,
                               split, caption_en, caption_zh

Deterministic: the same packages give the same manifest and the same split.
Usage: build_dataset.py --cache /work/main/data-cache [--jobs 2] [--max-seconds 30]
"""
import argparse
import hashlib
import io
import os
import subprocess
import sys
import wave
from math import gcd
from multiprocessing import Pool

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import captions  # noqa: E402

TARGET_RATE = 48000
SILENCE = 10 ** (-60 / 20)  # -60 dBFS
PEAK = 10 ** (-1 / 20)      # -1 dBFS


def read_licences():
    licences = {}
    with open(os.path.join(HERE, "packages.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            pkg, licence, holder = line.rstrip("\n").split("\t")
            licences[pkg] = (licence, holder)
    return licences


def locate(raw_dir, pkg, path):
    """The survey lists 0ad's files by their path inside public.zip; others by their full path."""
    candidates = [os.path.join(raw_dir, pkg, path)]
    pkg_dir = os.path.join(raw_dir, pkg)
    if os.path.isdir(pkg_dir):
        candidates += [os.path.join(pkg_dir, d, path) for d in sorted(os.listdir(pkg_dir)) if d.startswith("zip_")]
    for c in candidates:
        if os.path.isfile(c):
            return c
    return None


def _pcm_to_float(data):
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128.0) / 128.0
    if data.dtype == np.int16:
        return data.astype(np.float32) / 32768.0
    if data.dtype == np.int32:
        return data.astype(np.float32) / 2147483648.0
    return data.astype(np.float32)


def decode(path):
    """-> (float32 [channels, frames], rate). Raises on undecodable input."""
    lower = path.lower()
    if lower.endswith((".ogg", ".oga")):
        raw = subprocess.run(["oggdec", "-Q", "-o", "-", path], check=True, capture_output=True).stdout
        rate, data = wavfile.read(io.BytesIO(raw))
    elif lower.endswith(".flac"):
        raw = subprocess.run(["flac", "-d", "-c", "-s", path], check=True, capture_output=True).stdout
        rate, data = wavfile.read(io.BytesIO(raw))
    elif lower.endswith(".wav"):
        rate, data = wavfile.read(path)
    else:
        raise ValueError("unsupported format")
    data = _pcm_to_float(data)
    if data.ndim == 1:
        data = data[:, None]
    return np.ascontiguousarray(data.T), int(rate)


def to_target(audio, rate, max_seconds):
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    elif audio.shape[0] > 2:
        audio = audio[:2]
    audio = audio[:, : int(max_seconds * rate) + 1]
    if rate != TARGET_RATE:
        g = gcd(TARGET_RATE, rate)
        audio = resample_poly(audio, TARGET_RATE // g, rate // g, axis=1).astype(np.float32)
    loud = np.nonzero(np.abs(audio).max(axis=0) > SILENCE)[0]
    if loud.size == 0:
        return None
    start = max(0, loud[0] - int(0.005 * TARGET_RATE))
    end = min(audio.shape[1], loud[-1] + int(0.05 * TARGET_RATE))
    audio = audio[:, start:end]
    return audio * (PEAK / np.abs(audio).max())


def write_wav(path, audio):
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype("<i2").T.copy()
    with wave.open(path + ".tmp", "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(TARGET_RATE)
        w.writeframes(pcm.tobytes())
    os.replace(path + ".tmp", path)


def process(job):
    clip, src, out_path, max_seconds = job
    try:
        if os.path.exists(out_path):
            with wave.open(out_path) as w:
                return clip, w.getnframes() / TARGET_RATE, None, None
        audio, rate = decode(src)
        audio_48k = to_target(audio, rate, max_seconds)
        if audio_48k is None or audio_48k.shape[1] < int(0.05 * TARGET_RATE):
            return clip, 0.0, rate, "silent or shorter than 50 ms"
        write_wav(out_path, audio_48k)
        return clip, audio_48k.shape[1] / TARGET_RATE, rate, None
    except Exception as err:  # a broken file is reported and skipped, never fatal
        return clip, 0.0, None, f"{type(err).__name__}: {err}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--test-permille", type=int, default=50)
    args = ap.parse_args()
    raw_dir = os.path.join(args.cache, "raw")
    clip_dir = os.path.join(args.cache, "clips")
    os.makedirs(clip_dir, exist_ok=True)
    licences = read_licences()

    stats = {"listed": 0, "not unpacked": 0, "excluded music/speech": 0, "no caption": 0, "duplicate": 0}
    seen_md5, entries = {}, []
    with open(os.path.join(HERE, "strict-sfx-paths.tsv"), encoding="utf-8") as f:
        for line in f:
            pkg, path = line.rstrip("\n").split("\t")[:2]
            if pkg not in licences:
                continue
            stats["listed"] += 1
            src = locate(raw_dir, pkg, path)
            if src is None:
                stats["not unpacked"] += 1
                continue
            if captions.is_excluded(path):
                stats["excluded music/speech"] += 1
                continue
            cap = captions.caption_for_path(path)
            if cap is None:
                stats["no caption"] += 1
                continue
            with open(src, "rb") as fh:
                md5 = hashlib.md5(fh.read()).hexdigest()
            if md5 in seen_md5:
                stats["duplicate"] += 1
                continue
            seen_md5[md5] = path
            clip = hashlib.sha1(f"{pkg}/{path}".encode()).hexdigest()[:16]
            entries.append((clip, pkg, path, src, cap))

    jobs = [(clip, src, os.path.join(clip_dir, clip + ".wav"), args.max_seconds) for clip, _, _, src, _ in entries]
    results = {}
    with Pool(args.jobs) as pool:
        for i, (clip, seconds, rate, error) in enumerate(pool.imap(process, jobs, chunksize=8)):
            results[clip] = (seconds, rate, error)
            if (i + 1) % 500 == 0:
                print(f"decoded {i + 1}/{len(jobs)}", flush=True)
    rates_file = os.path.join(args.cache, "source_rates.tsv")  # cache: a rerun skips decoding
    known_rates = {}
    if os.path.exists(rates_file):
        with open(rates_file) as f:
            known_rates = dict(line.rstrip("\n").split("\t") for line in f if "\t" in line)

    kept = []
    errors = 0
    for clip, pkg, path, _, cap in entries:
        seconds, rate, error = results[clip]
        if error:
            errors += 1
            print(f"skip {pkg} {path}: {error}", file=sys.stderr)
            continue
        rate = rate or int(known_rates.get(clip, 0))
        known_rates[clip] = str(rate)
        kept.append((clip, pkg, path, seconds, rate, cap))
    with open(rates_file, "w") as f:
        f.writelines(f"{c}\t{r}\n" for c, r in sorted(known_rates.items()))

    split = captions.assign_split([(k[0], k[5][2]) for k in kept], args.test_permille)
    out = os.path.join(args.cache, "manifest.tsv")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("clip\tpackage\tpath\tlicence\tseconds\tsource_rate\tcategory\tsplit\tcaption_en\tcaption_zh\n")
        for clip, pkg, path, seconds, rate, (en, zh, category) in kept:
            f.write(f"{clip}\t{pkg}\t{path}\t{licences[pkg][0]}\t{seconds:.3f}\t{rate}\t{category}\t"
                    f"{split[clip]}\t{en}\t{zh}\n")
    os.replace(out + ".tmp", out)
    hours = sum(k[3] for k in kept) / 3600
    print(f"manifest: {len(kept)} clips, {hours:.2f} h, decode errors {errors}, {stats}")


if __name__ == "__main__":
    main()
