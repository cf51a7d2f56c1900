#!/usr/bin/env python3
"""PyTorch side of the SAOS CPU benchmark: the foley_reference implementation on the weights of
make_random_saos.py, float32, per-stage wall times (median of --runs after one warm-up) and
peak RSS. Writes a JSON summary (--json) that bench/saos_full/run.sh turns into the report.

Thread/BLAS environment must be set before torch loads; the defaults below apply when the
caller did not set them (run.sh sets them explicitly):
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
"""
import os

for _k, _v in (("OPENBLAS_NUM_THREADS", "2"), ("OMP_NUM_THREADS", "2"), ("OMP_WAIT_POLICY", "PASSIVE")):
    os.environ.setdefault(_k, _v)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from foley_reference import T5PromptEncoder, load_model  # noqa: E402

PROMPT = "heavy rain on a tin roof with distant thunder"


def loaded_blas():
    """Shared libraries providing BLAS in this process, resolved to real files."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if "/" in line else ""
            name = os.path.basename(path)
            if "blas" in name or "mkl" in name or "lapack" in name:
                libs.add(f"{path} -> {os.path.realpath(path)}" if os.path.realpath(path) != path else path)
    return sorted(libs)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, runs):
    """Wall time and process CPU time (all threads) per run. On a machine shared with other
    jobs the wall time is inflated; CPU time / threads is the better estimate of an idle machine."""
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"median_s": statistics.median(times), "min_s": min(times), "runs_s": times,
            "median_cpu_s": statistics.median(cpu), "runs_cpu_s": cpu}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(ROOT, "build-bench", "saos-random"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--stages", default="t5,dit_b1,dit_b2,sample_cfg1,sample_cfg4.5,decode,decode_chunked")
    ap.add_argument("--json", help="write the summary here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    wanted = args.stages.split(",")

    loadavg_start = os.getloadavg()
    t0 = time.perf_counter()
    model = load_model(args.model_dir)
    prompts = T5PromptEncoder(os.path.join(args.model_dir, "t5"), max_length=64)
    load_s = time.perf_counter() - t0
    rss_after_load = peak_rss_mb()
    seconds = model.sample_size / model.sample_rate
    frames = model.sample_size // model.pretransform.downsampling_ratio

    results = {}

    def run(name, fn):
        if name not in wanted:
            return
        results[name] = timed(fn, args.runs)
        r = results[name]
        print(f"{name:16s} median {r['median_s']:8.3f} s  min {r['min_s']:8.3f} s  cpu {r['median_cpu_s']:8.3f} s  "
              f"runs {[round(x, 3) for x in r['runs_s']]}  load {os.getloadavg()[0]:.1f}", flush=True)

    with torch.no_grad():
        emb, mask = prompts([PROMPT])
        secs = model.conditioner.conditioners["seconds_total"]([seconds])
        inputs = model.get_conditioning_inputs({"prompt": (emb, mask), "seconds_total": secs})
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(1, model.io_channels, frames, generator=gen)
        t = torch.tensor([0.7])
        cross, glob = inputs["cross_attn_cond"], inputs["global_cond"]

        run("t5", lambda: prompts([PROMPT]))
        run("dit_b1", lambda: model.dit(x, t, cross, glob, cfg_scale=1.0))
        run("dit_b2", lambda: model.dit(x, t, cross, glob, cfg_scale=4.5))
        run("sample_cfg1", lambda: model.sample(inputs, x, steps=args.steps, cfg_scale=1.0, generator=gen))
        run("sample_cfg4.5", lambda: model.sample(inputs, x, steps=args.steps, cfg_scale=4.5, generator=gen))
        latent = model.sample(inputs, x, steps=args.steps, cfg_scale=1.0, generator=gen)
        decoded = {}

        def decode_whole():
            decoded["audio"] = model.pretransform.decode(latent, chunked=False)

        run("decode", decode_whole)
        run("decode_chunked", lambda: model.pretransform.decode(latent, chunked=True))
        # RMS of the decoded clip: a sanity check that the random weights keep activations O(1).
        audio_rms = float(decoded["audio"].square().mean().sqrt()) if "audio" in decoded else None

    med = {k: v["median_s"] for k, v in results.items()}
    if all(k in med for k in ("t5", "sample_cfg1", "sample_cfg4.5", "decode")):
        med["clip_cfg1"] = med["t5"] + med["sample_cfg1"] + med["decode"]
        med["clip_cfg4.5"] = med["t5"] + med["sample_cfg4.5"] + med["decode"]
    summary = {
        "implementation": "foley_reference (PyTorch)",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY",
                                                "LD_LIBRARY_PATH")},
        "blas_libraries": loaded_blas(),
        "python": platform.python_version(),
        "model_dir": args.model_dir,
        "clip_seconds": seconds,
        "latent_frames": frames,
        "steps": args.steps,
        "runs": args.runs,
        "load_s": load_s,
        "rss_after_load_mb": rss_after_load,
        "peak_rss_mb": peak_rss_mb(),
        "audio_rms": audio_rms,
        "stages": results,
        "median_s": med,
        "loadavg_end": os.getloadavg(),
        "loadavg_start": loadavg_start,
    }
    print(json.dumps({k: summary[k] for k in ("blas_libraries", "peak_rss_mb", "median_s")}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
