#!/usr/bin/env python3
"""Turns the JSON results of bench/saos_full/run.sh into bench/results/saos_full_cpu.md."""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess

# Official stable-audio-tools on this kind of machine (docs/performance.md in /work/shared):
# 2-core AMD EPYC (Zen 4), torch 1.13, OpenBLAS 0.3.21, 2 threads, float32, median of 3.
OFFICIAL = {"t5": 0.10, "dit_b1": 1.18, "dit_b2": 2.22, "sample_cfg1": 10.8, "sample_cfg4.5": 18.9,
            "decode": 23.4, "decode_chunked": 30.9, "clip_cfg1": 34.3, "clip_cfg4.5": 42.4}
GFLOP = {"t5": 11.0, "dit_b1": 165.3, "dit_b2": 330.6, "sample_cfg1": 1323, "sample_cfg4.5": 2645,
         "decode": 1291, "decode_chunked": 1936}


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001 - facts are best effort
        return ""


def machine_facts():
    lscpu = sh("lscpu")
    field = lambda name: (re.search(rf"^{name}:\s*(.+)$", lscpu, re.M) or [None, "?"])[1]  # noqa: E731
    flags = field("Flags")
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16") if re.search(rf"\b{f}\b", flags)]
    mem = sh("free -g | awk '/Mem:/ {print $2}'")
    return {
        "cpu": field("Model name"), "cpus": field(r"CPU\(s\)"), "threads_per_core": field(r"Thread\(s\) per core"),
        "isa": ", ".join(isa), "memory_gib": mem, "kernel": platform.release(),
        "libblas": sh("readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3"),
        "openblas": sh("dpkg-query -W -f='${Version}' libopenblas0-pthread"),
        "torch": sh("dpkg-query -W -f='${Version}' python3-torch"),
        "compiler": sh("c++ --version | head -1"),
    }


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def engine_result(engine, cfg):
    if not engine:
        return None
    for r in engine.get("results", []):
        if abs(r["cfg"] - cfg) < 1e-6:
            return r
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bench/saos_full/run.sh")
    ap.add_argument("--note", action="append", default=[], help="extra bullet for the Notes section")
    args = ap.parse_args()
    pt = load(os.path.join(args.results, "pytorch.json"))
    eu = load(os.path.join(args.results, "engine_unchunked.json"))
    ec = load(os.path.join(args.results, "engine_chunked.json"))
    gemm = load(os.path.join(args.results, "gemm.json"))
    m = machine_facts()

    ptm = (pt or {}).get("median_s", {})
    ptc = {k: v.get("median_cpu_s") for k, v in (pt or {}).get("stages", {}).items()}
    steps = (pt or {}).get("steps", 8)
    e1, e45 = engine_result(eu, 1.0), engine_result(eu, 4.5)
    c1, c45 = engine_result(ec, 1.0), engine_result(ec, 4.5)
    g = lambda r, k: r.get(k + "_median_s") if r else None  # noqa: E731

    # stage -> (label, official, pytorch wall, pytorch cpu, engine wall, engine note)
    rows = [
        ("T5-base encoder, 64 tokens", "t5", g(e1, "text_encoder"), ""),
        ("DiT forward, batch 1 (257 tokens)", "dit_b1",
         g(e1, "sampler") / steps if e1 else None, "engine: sampler cfg 1 / steps"),
        ("DiT forward, batch 2 (CFG)", "dit_b2",
         g(e45, "sampler") / steps if e45 else None, "engine: sampler cfg 4.5 / steps"),
        (f"{steps}-step ping-pong, cfg 1", "sample_cfg1", g(e1, "sampler"), ""),
        (f"{steps}-step ping-pong, cfg 4.5", "sample_cfg4.5", g(e45, "sampler"), ""),
        ("Oobleck decode, 256 frames, whole clip", "decode", g(e1, "decoder"), ""),
        ("Oobleck decode, chunked 128/32", "decode_chunked", g(c1, "decoder"), ""),
        ("whole clip, cfg 1", "clip_cfg1", g(e1, "total"), "PyTorch: T5 + sampling + decode"),
        ("whole clip, cfg 4.5", "clip_cfg4.5", g(e45, "total"), "PyTorch: T5 + sampling + decode"),
    ]
    lines = []
    add = lines.append
    add("# SAOS full-size CPU benchmark: PyTorch reference vs Foley engine")
    add("")
    add(f"Generated {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')} by `{args.command}` "
        "(from the repository root).")
    add("")
    add("Model: random weights with the real Stable Audio Open Small shapes "
        "(`bench/saos_full/make_random_saos.py`: DiT 340,879,488 params, Oobleck decoder 78,122,626, "
        "encoder 77,989,888, T5-base encoder 109,628,544; official layout and key names), one 11.89 s "
        "stereo clip (524,288 samples at 44.1 kHz, 256 latent frames), float32, 2 threads. "
        "Times are wall seconds, median of the runs after one warm-up.")
    add("")
    add("## Machine")
    add("")
    add(f"- CPU: {m['cpu']}, {m['cpus']} CPUs ({m['threads_per_core']} thread per core), ISA: {m['isa']}; "
        f"{m['memory_gib']} GiB RAM; Linux {m['kernel']}")
    add(f"- BLAS: `libblas.so.3` -> `{m['libblas']}` (libopenblas0-pthread {m['openblas']}); "
        f"OPENBLAS_NUM_THREADS=2, OMP_NUM_THREADS=2, OMP_WAIT_POLICY=PASSIVE")
    if pt:
        add(f"- PyTorch: python3-torch {m['torch']} (torch {pt['torch']}), {pt['threads']} threads; BLAS libraries "
            f"mapped in the process: {', '.join('`' + b + '`' for b in pt['blas_libraries'])}")
        add(f"- Load average (1 min) while the PyTorch side ran: {pt['loadavg_start'][0]:.1f} at start, "
            f"{pt['loadavg_end'][0]:.1f} at the end, on {m['cpus']} CPUs.")
    add(f"- Compiler: {m['compiler']}")
    add("")
    shared = pt and max(pt["loadavg_start"][0], pt["loadavg_end"][0]) > 2.5
    if shared:
        add("> **Caution: the machine was shared** (other contributors' builds and a training job: the load "
            "average was far above the 2 cores). Wall times are inflated by an unknown, varying factor. "
            "The `PyTorch CPU-s` column (process CPU time over all threads) is less sensitive to that; "
            "CPU-s / 2 estimates the wall time on an idle machine. Compare engine and PyTorch only when "
            "both were measured under similar load (see the load averages) and re-run on an idle machine "
            "for publishable numbers.")
        add("")
    add("## Per stage")
    add("")
    add("| stage | GFLOP | official code (performance.md) | PyTorch reference | PyTorch CPU-s | Foley engine | "
        "PyTorch / engine | note |")
    add("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, key, eng, note in rows:
        ptw = ptm.get(key)
        cpu = ptc.get(key)
        if key.startswith("clip") and "t5" in ptc and "decode" in ptc:
            part = "sample_cfg1" if key == "clip_cfg1" else "sample_cfg4.5"
            cpu = (ptc.get("t5") or 0) + (ptc.get(part) or 0) + (ptc.get("decode") or 0)
        ratio = ptw / eng if (ptw and eng) else None
        add(f"| {label} | {GFLOP.get(key, '')} | {fmt(OFFICIAL.get(key))} | {fmt(ptw)} | {fmt(cpu)} | "
            f"{fmt(eng)} | {fmt(ratio)} | {note} |")
    if e1:
        add(f"| post-processing (resample to 48 kHz, normalise, PCM) | | | | | {fmt(g(e1, 'postprocess'), 3)} | | engine only |")
    add("")
    add("### CPU time (process, all threads; steadier than wall time on a shared machine)")
    add("")
    add("| part | PyTorch CPU-s | engine CPU-s | PyTorch / engine |")
    add("|---|---:|---:|---:|")
    cpu_rows = [
        ("T5 + sampling, cfg 1", ["t5", "sample_cfg1"], g(e1, "text_and_sampler_cpu")),
        ("T5 + sampling, cfg 4.5", ["t5", "sample_cfg4.5"], g(e45, "text_and_sampler_cpu")),
        ("decode (+ engine post-processing), whole clip", ["decode"], g(e1, "decoder_and_post_cpu")),
        ("decode (+ engine post-processing), chunked 128/32", ["decode_chunked"], g(c1, "decoder_and_post_cpu")),
        ("whole clip, cfg 1", ["t5", "sample_cfg1", "decode"], g(e1, "total_cpu")),
        ("whole clip, cfg 4.5", ["t5", "sample_cfg4.5", "decode"], g(e45, "total_cpu")),
    ]
    for label, keys, eng in cpu_rows:
        ptv = sum(ptc[k] for k in keys) if all(ptc.get(k) for k in keys) else None
        add(f"| {label} | {fmt(ptv)} | {fmt(eng)} | {fmt(ptv / eng if (ptv and eng) else None)} |")
    for name, e in (("whole-clip decode", eu), ("chunked decode", ec)):
        if e and "loadavg" in e:
            add(f"")
            add(f"Load average (1 min) around the engine run ({name}): {e['loadavg']}.")
    add("")
    add("## Peak memory (RSS)")
    add("")
    add("| process | after load | peak |")
    add("|---|---:|---:|")
    add("| official code (performance.md) | | 4.0 GB |")
    if pt:
        add(f"| PyTorch reference | {pt['rss_after_load_mb'] / 1024:.2f} GiB | {pt['peak_rss_mb'] / 1024:.2f} GiB |")
    for name, e in (("Foley engine, whole-clip decode", eu), ("Foley engine, chunked decode", ec)):
        if e:
            add(f"| {name} | {e['rss_after_load_mb'] / 1024:.2f} GiB | {e['peak_rss_mb'] / 1024:.2f} GiB |")
    add("")
    if not eu and not ec:
        add("**Engine side not measured**: `foley_bench_saos` was not built or failed (see "
            "`build-bench/results/engine_*.log`); the engine was not ready when this report was written.")
        add("")
    if gemm:
        add("## DiT GEMM shapes (y = x·Wᵀ, float32, 2 OpenBLAS threads)")
        add("")
        add("| backend | M | N | K | GFLOP/s (median of 3) |")
        add("|---|---:|---:|---:|---:|")
        for b in gemm.get("benchmarks", []):
            if b.get("aggregate_name") != "median":
                continue
            name = b["run_name"].split("/")[0].replace("BM_", "")
            add(f"| {name} | {int(b['M'])} | {int(b['N'])} | {int(b['K'])} | {b['FLOP/s'] / 1e9:.1f} |")
        add("")
        add("`cblas_sgemm` calls OpenBLAS directly; `engine_linear` goes through the engine's "
            "`foley::ops::linear` (engine/src/ops/gemm.h). The CPU's FP32 peak is about 170-240 GFLOP/s for "
            "both cores (performance.md).")
        add("")
    add("## Notes")
    add("")
    add("- The PyTorch side is `tools/reference/foley_reference` (a re-implementation checked against the official "
        "code's fixtures to cosine 1.0), not stable-audio-tools itself; on an idle machine it should land near the "
        "official numbers (same math and the same torch/OpenBLAS); the official column is quoted, not re-measured.")
    add("- PyTorch `whole clip` = T5 + sampling + whole-clip decode medians; the engine's is the measured "
        "generate() wall time, which also includes post-processing (48 kHz resampling, normalisation, PCM).")
    add("- Engine DiT-forward rows are sampler time / steps (the public API has no single-forward call).")
    add("- Raw data: `build-bench/results/*.json` (git-ignored).")
    for note in args.note:
        add(f"- {note}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
