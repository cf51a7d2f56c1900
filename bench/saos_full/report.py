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


PRECISIONS = ("f32", "bf16")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bench/saos_full/run.sh")
    ap.add_argument("--note", action="append", default=[], help="extra bullet for the Notes section")
    args = ap.parse_args()
    pt = load(os.path.join(args.results, "pytorch.json"))
    # engine[precision][decode mode]: the JSON that foley_bench_saos printed.
    engine = {p: {mode: load(os.path.join(args.results, f"engine_{p}_{mode}.json")) for mode in ("unchunked", "chunked")}
              for p in PRECISIONS}
    gemm = load(os.path.join(args.results, "gemm.json"))
    m = machine_facts()

    ptm = (pt or {}).get("median_s", {})
    ptc = {k: v.get("median_cpu_s") for k, v in (pt or {}).get("stages", {}).items()}
    steps = (pt or {}).get("steps", 8)

    def value(p, key, what):
        """Engine median seconds for one row key, or None when not measured."""
        mode = "chunked" if key == "decode_chunked" else "unchunked"
        cfg = 4.5 if key in ("dit_b2", "sample_cfg4.5", "clip_cfg4.5") else 1.0
        r = engine_result(engine[p][mode], cfg)
        if not r:
            return None
        v = r.get(what + "_median_s")
        return v / steps if (v is not None and key.startswith("dit")) else v

    # stage key -> (label, engine field, note)
    rows = [
        ("T5-base encoder, 64 tokens", "t5", "text_encoder", ""),
        ("DiT forward, batch 1 (257 tokens)", "dit_b1", "sampler", "engine: sampler cfg 1 / steps"),
        ("DiT forward, batch 2 (CFG)", "dit_b2", "sampler", "engine: sampler cfg 4.5 / steps"),
        (f"{steps}-step ping-pong, cfg 1", "sample_cfg1", "sampler", ""),
        (f"{steps}-step ping-pong, cfg 4.5", "sample_cfg4.5", "sampler", ""),
        ("Oobleck decode, 256 frames, whole clip", "decode", "decoder", ""),
        ("Oobleck decode, chunked 128/32", "decode_chunked", "decoder", ""),
        ("**whole clip, cfg 1**", "clip_cfg1", "total", "PyTorch: T5 + sampling + whole-clip decode"),
        ("**whole clip, cfg 4.5**", "clip_cfg4.5", "total", "PyTorch: T5 + sampling + whole-clip decode"),
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
        "stereo clip (524,288 samples at 44.1 kHz, 256 latent frames), 2 threads. PyTorch runs float32 "
        "(as the official code does on CPU); the engine runs float32 (`--precision f32`, the parity path) "
        "and BF16 (`--precision bf16`: the DiT linears and decoder convolutions as BF16 oneDNN matmuls "
        "with float32 accumulation, everything else float32). Times are wall seconds, median of the runs "
        "after one warm-up.")
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
    for p in PRECISIONS:
        for mode, e in engine[p].items():
            if e and "loadavg" in e:
                add(f"- Load average (1 min) around the engine run ({p}, {mode} decode): {e['loadavg']}.")
    add(f"- Compiler: {m['compiler']}")
    add("")
    shared = pt and max(pt["loadavg_start"][0], pt["loadavg_end"][0]) > 2.5
    if shared:
        add("> **Caution: the machine was shared** (the load average was above the 2 cores). Wall times are "
            "inflated by an unknown, varying factor; re-run on an idle machine for publishable numbers.")
        add("")
    add("## Per stage")
    add("")
    add("| stage | GFLOP | official code (performance.md) | PyTorch reference | engine F32 | engine BF16 | "
        "PyTorch / F32 | PyTorch / BF16 | note |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, key, what, note in rows:
        ptw = ptm.get(key)
        if key.startswith("clip") and ptw is None and "t5" in ptm and "decode" in ptm:
            part = "sample_cfg1" if key == "clip_cfg1" else "sample_cfg4.5"
            ptw = ptm["t5"] + ptm.get(part, 0) + ptm["decode"] if part in ptm else None
        f32, bf16 = value("f32", key, what), value("bf16", key, what)
        ratio = lambda eng: ptw / eng if (ptw and eng) else None  # noqa: E731
        add(f"| {label} | {GFLOP.get(key, '')} | {fmt(OFFICIAL.get(key))} | {fmt(ptw)} | {fmt(f32)} | {fmt(bf16)} | "
            f"{fmt(ratio(f32))} | {fmt(ratio(bf16))} | {note} |")
    post = value("f32", "post", "postprocess")
    if post is not None:
        add(f"| post-processing (resample to 48 kHz, normalise, PCM) | | | | {fmt(post, 3)} | "
            f"{fmt(value('bf16', 'post', 'postprocess'), 3)} | | | engine only |")
    add("")
    add("### CPU time (process, all threads)")
    add("")
    add("| part | PyTorch CPU-s | engine F32 CPU-s | engine BF16 CPU-s |")
    add("|---|---:|---:|---:|")
    cpu_rows = [
        ("T5 + sampling, cfg 1", ["t5", "sample_cfg1"], "clip_cfg1", "text_and_sampler_cpu"),
        ("T5 + sampling, cfg 4.5", ["t5", "sample_cfg4.5"], "clip_cfg4.5", "text_and_sampler_cpu"),
        ("decode (+ engine post-processing), whole clip", ["decode"], "decode", "decoder_and_post_cpu"),
        ("whole clip, cfg 1", ["t5", "sample_cfg1", "decode"], "clip_cfg1", "total_cpu"),
        ("whole clip, cfg 4.5", ["t5", "sample_cfg4.5", "decode"], "clip_cfg4.5", "total_cpu"),
    ]
    for label, keys, key, what in cpu_rows:
        ptv = sum(ptc[k] for k in keys) if all(ptc.get(k) for k in keys) else None
        add(f"| {label} | {fmt(ptv)} | {fmt(value('f32', key, what))} | {fmt(value('bf16', key, what))} |")
    add("")
    add("## Peak memory (RSS)")
    add("")
    add("| process | after load | peak |")
    add("|---|---:|---:|")
    add("| official code (performance.md) | | 4.0 GB |")
    if pt:
        add(f"| PyTorch reference | {pt['rss_after_load_mb'] / 1024:.2f} GiB | {pt['peak_rss_mb'] / 1024:.2f} GiB |")
    for p in PRECISIONS:
        for mode, e in engine[p].items():
            if e:
                add(f"| Foley engine {p.upper()}, {mode} decode | {e['rss_after_load_mb'] / 1024:.2f} GiB | "
                    f"{e['peak_rss_mb'] / 1024:.2f} GiB |")
    add("")
    if not any(e for by_mode in engine.values() for e in by_mode.values()):
        add("**Engine side not measured**: `foley_bench_saos` was not built or failed (see "
            "`build-bench/results/engine_*.log`).")
        add("")
    if gemm:
        add("## DiT GEMM shapes (y = x·Wᵀ, 2 threads)")
        add("")
        add("| backend | M | N | K | GFLOP/s (median of 3) |")
        add("|---|---:|---:|---:|---:|")
        for b in gemm.get("benchmarks", []):
            if b.get("aggregate_name") != "median" or "FLOP/s" not in b:
                continue
            name = b["run_name"].split("/")[0].replace("BM_", "")
            add(f"| {name} | {int(b['M'])} | {int(b['N'])} | {int(b['K'])} | {b['FLOP/s'] / 1e9:.1f} |")
        add("")
        add("`cblas_sgemm` calls OpenBLAS directly (float32); `engine_linear` is the engine's float32 path "
            "(`foley::ops::linear`, OpenBLAS underneath); `engine_linear_bf16` is its BF16 path "
            "(`ops::LinearWeight`: oneDNN matmul on weights packed once, activations rounded to BF16 per call, "
            "float32 output). The CPU's peak is about 170-240 GFLOP/s float32 and twice that in BF16 for both "
            "cores (performance.md).")
        add("")
    add("## Notes")
    add("")
    add("- The PyTorch side is `tools/reference/foley_reference` (a re-implementation checked against the official "
        "code's fixtures to cosine 1.0), not stable-audio-tools itself; same math and the same torch/OpenBLAS. "
        "The official column is quoted from performance.md, not re-measured.")
    add("- PyTorch `whole clip` = T5 + sampling + whole-clip decode medians; the engine's is the measured "
        "generate() wall time, which also includes post-processing (48 kHz resampling, normalisation, PCM).")
    add("- Engine DiT-forward rows are sampler time / steps (the public API has no single-forward call).")
    add("- BF16 changes the numbers slightly (tests/engine/bf16_test.cpp: DiT output cosine > 0.999 against "
        "float32); F32 is the parity path that `foley check` verifies against the reference fixtures.")
    add("- Raw data: `build-bench/results/*.json` (git-ignored).")
    for note in args.note:
        add(f"- {note}")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
