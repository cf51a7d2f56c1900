"""Foley evaluation harness (issue 6). YAMNet is the independent ear.

Stages (each runs when its inputs exist; missing inputs are reported, not fatal):
  real       real held-out clips: YAMNet top-5 adherence per category (calibration),
             embeddings for the Fréchet distance.
  ae         autoencoder reconstruction of held-out clips through the PyTorch reference
             (tools/reference/foley_reference): MR-STFT distance, SI-SDR, YAMNet agreement
             (top-1 class of the reconstruction among the original's top 5).
  gen        generation from held-out captions (English and Chinese) with the engine CLI
             (or the PyTorch reference): adherence per category, Fréchet distance
             (YAMNet embeddings, generated vs real), signal checks (clipping, silence,
             loudness spread, exact duration) over --signal-count generations.

Example (calibration on real clips only):
  nice -n 10 /usr/bin/python3 tools/eval/run_eval.py --manifest data-cache/dataset/manifest.jsonl
Full:
  nice -n 10 /usr/bin/python3 tools/eval/run_eval.py --manifest ... --model models/foley-mini \
      --engine build-release/cli/foley
Results: tools/eval/results/REPORT.md and results.json (override with --out).
"""
from __future__ import annotations

import argparse
import collections
import datetime
import glob
import json
import math
import os
import shlex
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, HERE)
import audio_io  # noqa: E402
import category_map  # noqa: E402
import manifest as manifest_mod  # noqa: E402
import metrics  # noqa: E402
import yamnet  # noqa: E402

# cli/generate_command.cpp: foley generate --model DIR [--t5 DIR] "PROMPT" [options] -o OUT.wav
DEFAULT_ENGINE_CMD = ("{engine} generate --model {model} {prompt} --duration {seconds} "
                      "--seed {seed} --cfg {cfg} {steps_opt} {sampler_opt} --threads 1 -o {out}")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- YAMNet helpers ------------------------------------------------------------------

def yamnet_result(net: yamnet.YAMNet, data: np.ndarray, sr: int) -> yamnet.Result:
    return net(audio_io.to_mono_16k(data, sr, normalize_peak=True))


def adherence_hit(net, result, cat) -> tuple[bool, int | None]:
    accepted = set(category_map.accepted_indices(cat, net.class_names))
    top5 = result.top(5)
    ranks = [r for r, i in enumerate(top5) if i in accepted]
    return (bool(ranks), ranks[0] + 1 if ranks else None)


def top5_names(net, result) -> list[str]:
    return [net.class_names[i] for i in result.top(5)]


# --- stages ----------------------------------------------------------------------------

class YamnetCache:
    """YAMNet results of real clips keyed by (path, size, mtime), so repeated runs skip them."""

    def __init__(self, path):
        self.path, self.entries = path, {}
        if path and os.path.exists(path):
            try:
                with np.load(path, allow_pickle=False) as z:
                    for key, scores, emb in zip(z["keys"], z["scores"], z["embeddings"]):
                        self.entries[str(key)] = (scores, emb)
            except (OSError, ValueError, KeyError):
                self.entries = {}
        self.dirty = False

    @staticmethod
    def key(path):
        st = os.stat(path)
        return f"{os.path.abspath(path)}|{st.st_size}|{int(st.st_mtime)}"

    def get(self, path):
        hit = self.entries.get(self.key(path))
        return None if hit is None else yamnet.Result(hit[0], hit[1], hit[0][None], hit[1][None])

    def put(self, path, result):
        self.entries[self.key(path)] = (result.scores.astype(np.float32),
                                        result.embedding.astype(np.float32))
        self.dirty = True

    def save(self):
        if not self.path or not self.dirty:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        keys = list(self.entries)
        np.savez(self.path + ".tmp.npz", keys=np.array(keys),
                 scores=np.stack([self.entries[k][0] for k in keys]),
                 embeddings=np.stack([self.entries[k][1] for k in keys]))
        os.replace(self.path + ".tmp.npz", self.path)


CACHE = YamnetCache(None)


def clip_category(clip):
    """The category of a held-out clip's caption: from the English caption, and from the Chinese
    only when there is no English one. Chinese keywords match as substrings, without word
    boundaries, so a fallback from an English caption with no category read "potion" (药水) as
    water and "fruit gathering" (水果采集) as water too."""
    if clip.caption_en.strip():
        return category_map.categorize(clip.caption_en)
    return category_map.categorize(clip.caption_zh)


def stage_real(net, clips, max_clips):
    """YAMNet on real held-out clips. Returns per-clip records and embeddings."""
    records, embeddings = [], []
    for clip in clips[:max_clips]:
        try:
            r = CACHE.get(clip.path) if os.path.exists(clip.path) else None
            if r is None:
                data, sr = audio_io.read(clip.path)
                if len(data) == 0:
                    records.append({"id": clip.id, "error": "empty audio"})
                    continue
                r = yamnet_result(net, data, sr)
                CACHE.put(clip.path, r)
                seconds = len(data) / sr
            else:
                seconds = clip.seconds
        except (audio_io.AudioError, OSError) as e:
            records.append({"id": clip.id, "error": str(e)})
            continue
        cat = clip_category(clip)
        rec = {"id": clip.id, "caption_en": clip.caption_en, "caption_zh": clip.caption_zh,
               "category": cat.name if cat else None, "top5": top5_names(net, r),
               "seconds": seconds}
        if cat:
            rec["hit"], rec["rank"] = adherence_hit(net, r, cat)
        records.append(rec)
        embeddings.append(r.embedding)
    return records, np.array(embeddings)


def load_reference_model(model_dir):
    """SAOSModel from the folder. The T5 width comes from the folder's own t5/config.json
    (the reference otherwise assumes t5-base's 768 and would expect a projection)."""
    sys.path.insert(0, os.path.join(ROOT, "tools/reference"))
    import foley_reference
    with open(os.path.join(model_dir, "model_config.json")) as f:
        config = json.load(f)
    t5_cfg = os.path.join(model_dir, "t5", "config.json")
    if os.path.exists(t5_cfg):
        with open(t5_cfg) as f:
            d_model = json.load(f)["d_model"]
        for c in config["model"]["conditioning"]["configs"]:
            if c.get("type") == "t5":
                c.setdefault("config", {}).setdefault("t5_dim", d_model)
    model = foley_reference.build_model(config)
    model.load_weights(os.path.join(model_dir, "model.safetensors"))
    return model.eval()


def load_training_autoencoder(ckpt_path):
    """(model, step, encode) for an in-progress VAE checkpoint of tools/train/train_autoencoder.py
    ({"autoencoder": state_dict, "step": n}) inside the foley-mini config, for early autoencoder
    numbers. `encode` (audio, sample) -> latents is the encoder the decoder was trained with: the
    VAE's, or the computed band latents of a --band-latents run (tools/train/band_latents.py)."""
    sys.path.insert(0, os.path.join(ROOT, "tools/train"))
    import common
    from band_latents import BandLatents
    model, checkpoint = common.load_autoencoder(ckpt_path)
    encode = model.pretransform.encode
    if "band_latents" in checkpoint:
        encode = BandLatents(checkpoint["band_latents"]).encode
    return model.eval(), checkpoint.get("step"), encode


def band_latent_encoder(model_dir, scale):
    """encode(audio, sample) for an export whose decoder reads computed band latents (its metadata
    holds their statistics: tools/train/export.py), in the pretransform's units (latents / scale);
    None for an export of a learned autoencoder, whose own encoder makes its latents."""
    sys.path.insert(0, os.path.join(ROOT, "tools/train"))
    from band_latents import BandLatents, state_from_json
    from foley_reference.safetensors_io import read_header
    meta = read_header(os.path.join(model_dir, "model.safetensors"))[0].get("__metadata__") or {}
    if "band_latents" not in meta:
        return None
    bands = BandLatents(state_from_json(meta["band_latents"]))
    return lambda audio, sample=True: bands.encode(audio, sample) / scale


def band_vocoder_decoder(band_latents_path, scale, excitation="white"):
    sys.path.insert(0, os.path.join(ROOT, "tools/train"))
    import common
    from band_latents import BandLatents
    from excitation_vocoder import ExcitationVocoder
    from vocoder_ceiling import BandVocoderDecoder
    state = common.load_checkpoint(band_latents_path)
    if excitation == "white":
        return BandVocoderDecoder(state, scale)
    vocoder = ExcitationVocoder(BandLatents(state))
    return lambda z: vocoder(z * scale)


@torch.no_grad()
def stage_autoencoder(net, model, clips, max_clips, max_seconds, encode=None):
    sr = model.sample_rate
    ratio = model.pretransform.downsampling_ratio
    channels = model.pretransform.io_channels
    out = []
    # Reconstructions decode a posterior sample, as the decoder saw in training and as the DiT's
    # latents are: a VAE may keep channels at the prior (train_autoencoder.pin_noise_channels)
    # whose mean alone is silence for the decoder's excitation. Seeded, so reruns agree.
    torch.manual_seed(0)
    for clip in clips[:max_clips]:
        try:
            data, file_sr = audio_io.read(clip.path)
        except (audio_io.AudioError, OSError) as e:
            out.append({"id": clip.id, "error": str(e)})
            continue
        x = audio_io.resample(data.astype(np.float64), file_sr, sr)
        if x.shape[1] == 1 and channels == 2:
            x = np.repeat(x, 2, axis=1)
        x = x[:int(max_seconds * sr), :channels]
        n = (len(x) // ratio) * ratio
        if n < ratio * 4:
            continue
        x = x[:n]
        audio = torch.from_numpy(x.T[None].astype(np.float32))
        recon = model.pretransform.decode((encode or model.pretransform.encode)(audio, sample=True))
        y = recon[0].numpy().T.astype(np.float64)[:n]
        r_orig, r_rec = yamnet_result(net, x, sr), yamnet_result(net, y, sr)
        cat = clip_category(clip)
        hits = {"orig_hit": adherence_hit(net, r_orig, cat)[0],
                "recon_hit": adherence_hit(net, r_rec, cat)[0]} if cat else {}
        out.append({"id": clip.id, "caption_en": clip.caption_en, **hits,
                    "mr_stft": metrics.mr_stft_distance(y, x), "si_sdr": metrics.si_sdr(y, x),
                    "yamnet_agree": r_rec.top(1)[0] in r_orig.top(5),
                    "orig_top1": net.class_names[r_orig.top(1)[0]],
                    "recon_top1": net.class_names[r_rec.top(1)[0]]})
    return out


def ae_adherence(ae_records):
    """Caption adherence of the originals and of their reconstructions, over the clips with a
    category. Generated audio passes through the same decoder, so the reconstruction rate is
    roughly the ceiling a generator can reach with this autoencoder."""
    cat = [a for a in ae_records if "recon_hit" in a]
    if not cat:
        return None
    return {"n": len(cat), "original": float(np.mean([a["orig_hit"] for a in cat])),
            "reconstruction": float(np.mean([a["recon_hit"] for a in cat]))}


class EngineGenerator:
    """Runs the C++ CLI once per clip and reads the WAV it writes."""

    def __init__(self, engine, model_dir, template, cfg, steps, sampler=None):
        self.engine, self.model_dir, self.template = engine, model_dir, template
        self.cfg, self.steps, self.sampler = cfg, steps, sampler
        self.name = f"engine {os.path.relpath(engine, ROOT)}"

    def __call__(self, prompt, seconds, seed, out_path):
        fields = {"engine": shlex.quote(self.engine), "model": shlex.quote(self.model_dir),
                  "prompt": shlex.quote(prompt), "seconds": f"{seconds:g}", "seed": str(seed),
                  "cfg": f"{self.cfg:g}", "steps": str(self.steps), "out": shlex.quote(out_path),
                  "steps_opt": f"--steps {self.steps}" if self.steps > 0 else "",
                  "sampler_opt": f"--sampler {self.sampler}" if self.sampler else ""}
        cmd = self.template.format(**fields)
        if os.path.exists(out_path):
            os.remove(out_path)
        proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not os.path.exists(out_path):
            raise RuntimeError(f"engine failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
        return audio_io.read(out_path)


class ReferenceGenerator:
    """PyTorch reference pipeline (used when no engine binary is given)."""

    def __init__(self, model, model_dir, cfg, steps, sampler=None):
        sys.path.insert(0, os.path.join(ROOT, "tools/reference"))
        import foley_reference
        t5_dir = os.path.join(model_dir, "t5")
        for c in model.config["model"]["conditioning"]["configs"]:
            if c.get("type") == "t5":
                encoder = foley_reference.T5PromptEncoder(
                    t5_dir, max_length=c.get("config", {}).get("max_length", 64))
                model.conditioner.conditioners[c["id"]].attach_encoder(encoder)
                self.prompt_id = c["id"]
        # The engine's defaults: the model's own "sampling" block, else SAOS's ping-pong, 8 steps.
        sampling = model.config.get("sampling", {})
        self.sampler = sampler or sampling.get("sampler", "pingpong")
        self.model, self.cfg = model, cfg
        self.steps = steps if steps > 0 else int(sampling.get("steps", 8))
        self.name = f"PyTorch reference (tools/reference), {self.sampler}, {self.steps} steps, cfg {cfg:g}"

    @torch.no_grad()
    def __call__(self, prompt, seconds, seed, out_path):
        m = self.model
        inputs = m.condition([{self.prompt_id: prompt, "seconds_total": float(seconds)}])
        ratio = m.pretransform.downsampling_ratio
        frames = max(1, math.ceil(seconds * m.sample_rate / ratio))
        frames = min(frames, m.sample_size // ratio)
        audio = m.generate(inputs, seed=seed, steps=self.steps, cfg_scale=self.cfg, sampler=self.sampler,
                           latent_frames=frames)[0].numpy().T
        audio = audio[:int(round(seconds * m.sample_rate))]
        audio_io.write_wav(out_path, audio, m.sample_rate)
        return audio_io.read(out_path)


def choose_prompts(records, clips_by_id, per_category):
    """Distinct held-out captions grouped by category: up to per_category each."""
    by_cat = collections.defaultdict(list)
    seen = set()
    for rec in records:
        if rec.get("category") and rec["id"] in clips_by_id:
            clip = clips_by_id[rec["id"]]
            if clip.caption_en in seen or len(by_cat[rec["category"]]) >= per_category:
                continue
            seen.add(clip.caption_en)
            by_cat[rec["category"]].append(clip)
    return by_cat


def clip_seconds(clip, fixed, max_seconds):
    """--seconds > 0: that duration; 0: the held-out clip's own duration in [1 s, max]."""
    if fixed > 0:
        return fixed
    d = clip.seconds if clip.seconds else 3.0
    return min(round(max(d, 1.0), 2), math.floor(max_seconds * 100) / 100)


def stage_generate(net, gen, prompts_by_cat, seconds, out_dir, budget_s, signal_count,
                   expected_sr, expected_channels, seeds=1, seed0=1000, max_seconds=5.0):
    """English and Chinese prompt of each chosen caption share a seed, so the two
    languages are compared on the same noise."""
    t0 = time.time()
    records, embeddings, checks = [], [], []
    jobs = []
    for s_index in range(seeds):
        for cat_name, clips in sorted(prompts_by_cat.items()):
            for clip in clips:
                seed = seed0 + len(jobs) // 2
                d = clip_seconds(clip, seconds, max_seconds)
                jobs.append((cat_name, "en", clip.caption_en, clip, seed, d, None))
                zh, source = clip.caption_zh, "manifest"
                if not zh:
                    zh, source = category_map.by_name(cat_name).chinese[0], "category keyword"
                jobs.append((cat_name, "zh", zh, clip, seed, d, source))
    os.makedirs(out_dir, exist_ok=True)
    k = 0

    def run_one(prompt, seed, d, tag):
        path = os.path.join(out_dir, f"{k:04d}_{tag}.wav")
        data, sr = gen(prompt, d, seed, path)
        checks.append(metrics.signal_checks(data, sr, expected_seconds=d,
                                            expected_sr=expected_sr,
                                            expected_channels=expected_channels))
        return data, sr

    for cat_name, lang, prompt, clip, seed, d, zh_source in jobs:
        if time.time() - t0 > budget_s:
            log(f"generation budget reached after {k} clips")
            break
        try:
            data, sr = run_one(prompt, seed, d, lang)
        except Exception as e:  # a failing generation is a finding, keep going
            records.append({"category": cat_name, "lang": lang, "prompt": prompt, "error": str(e)})
            checks.append({"error": str(e)})
            k += 1
            continue
        r = yamnet_result(net, data, sr)
        hit, rank = adherence_hit(net, r, category_map.by_name(cat_name))
        records.append({"category": cat_name, "lang": lang, "prompt": prompt, "seed": seed,
                        "seconds": d, "hit": hit, "rank": rank, "top5": top5_names(net, r),
                        "clip_id": clip.id, "zh_source": zh_source,
                        "file": os.path.basename(out_dir.rstrip("/")) + f"/{k:04d}_{lang}.wav"})
        embeddings.append(r.embedding)
        k += 1
        if k % 20 == 0:
            log(f"generated {k} clips")
    # extra generations (new seeds) so the signal checks cover signal_count clips
    i = 0
    while len(checks) < signal_count and jobs and time.time() - t0 <= budget_s:
        cat_name, lang, prompt, clip, seed, d, _ = jobs[i % len(jobs)]
        try:
            run_one(prompt, seed0 + 100000 + i, d, "sig")
        except Exception as e:
            checks.append({"error": str(e)})
        i += 1
        k += 1
    return records, np.array(embeddings), checks, time.time() - t0


# --- summaries ---------------------------------------------------------------------------

def adherence_table(records):
    per = collections.defaultdict(lambda: [0, 0])
    for r in records:
        if r.get("category") and "hit" in r:
            per[r["category"]][0] += int(r["hit"])
            per[r["category"]][1] += 1
    total_hit = sum(v[0] for v in per.values())
    total = sum(v[1] for v in per.values())
    return {"overall": total_hit / total if total else None, "n": total,
            "categories": len(per),
            "per_category": {k: {"hits": v[0], "n": v[1], "rate": v[0] / v[1]}
                             for k, v in sorted(per.items())}}


def summarize_checks(checks):
    ok = [c for c in checks if "error" not in c]
    return {
        "n": len(checks), "errors": len(checks) - len(ok),
        "clipping": sum(c["clipping"] for c in ok),
        "silent": sum(c["silent"] for c in ok),
        "non_finite": sum(not c["finite"] for c in ok),
        "exact_duration": sum(c.get("exact_duration", False) for c in ok),
        "sample_rate_ok": sum(c.get("sample_rate_ok", False) for c in ok),
        "channels_ok": sum(c.get("channels_ok", False) for c in ok),
        "lufs": metrics.spread([c["lufs"] for c in ok]),
        "peak": metrics.spread([c["peak"] for c in ok]),
    }


def split_half_fd(emb, seed=0):
    if len(emb) < 8:
        return None
    idx = np.random.default_rng(seed).permutation(len(emb))
    h = len(idx) // 2
    return metrics.frechet_distance(emb[idx[:h]], emb[idx[h:2 * h]])


# --- report -----------------------------------------------------------------------------

def fd_without_each_caption(records, gen_emb, real_emb, top=3):
    """The Fréchet distance with the generations of one held-out caption left out (both languages,
    every seed), for the `top` captions whose removal lowers it most: [(caption, fd)]. One caption
    whose clips all come out alike (a 5 s request answered by a blip and silence) can double the
    distance of hundreds of clips (twenty-fifth run), and this says which."""
    good = [r for r in records if "error" not in r]
    if len(good) != len(gen_emb):
        raise ValueError("one embedding per successful generation expected")
    ids = np.array([r["clip_id"] for r in good])
    english = {r["clip_id"]: r["prompt"] for r in good if r["lang"] == "en"}
    rows = []
    for clip_id in dict.fromkeys(ids):
        keep = ids != clip_id
        if keep.sum() >= 2:
            rows.append((english.get(clip_id, clip_id), metrics.frechet_distance(gen_emb[keep], real_emb)))
    return sorted(rows, key=lambda row: row[1])[:top]


def fmt(v, spec=".1%"):
    return "—" if v is None else format(v, spec)


def render_report(res):
    L = ["# Foley evaluation report", "",
         f"Generated {res['timestamp']} by:", "", "```", res["command"], "```", "",
         "Ear: YAMNet (AudioSet, 521 classes) from `/work/shared/eval/yamnet.tflite`, run by our "
         "own port (`tools/eval/yamnet.py`; verification in `port_verification.md`). A clip "
         "adheres to its caption when any accepted AudioSet class of the caption's category "
         "(`tools/eval/category_map.py`) is in YAMNet's top 5. Clips are peak-normalised "
         "before YAMNet.", ""]
    d = res["data"]
    L += ["## Data", "",
          f"- manifest: `{d['manifest']}`; held-out clips: {d['held_out']} "
          f"(split `{d['split']}`), evaluated: {d['evaluated']}, with a category: {d['categorized']}",
          ""]
    if d.get("missing"):
        L += ["**Missing:** " + "; ".join(d["missing"]), ""]
    real = res.get("real_adherence")
    gen = res.get("gen")
    if real:
        L += ["## Prompt adherence (YAMNet top 5)", ""]
        g_en = gen["adherence_en"] if gen else None
        g_zh = gen["adherence_zh"] if gen else None
        L += ["| category | real held-out clips (calibration) | generated, English | generated, Chinese |",
              "|---|---|---|---|"]
        cats = sorted(set(real["per_category"]) | set((g_en or {}).get("per_category", {})))
        for c in cats:
            def cell(t):
                if not t or c not in t["per_category"]:
                    return "—"
                v = t["per_category"][c]
                return f"{v['rate']:.0%} ({v['hits']}/{v['n']})"
            L.append(f"| {c} | {cell(real)} | {cell(g_en)} | {cell(g_zh)} |")
        L.append(f"| **all** | **{fmt(real['overall'])}** (n={real['n']}, {real['categories']} "
                 f"categories) | **{fmt(g_en['overall'] if g_en else None)}** "
                 f"(n={g_en['n'] if g_en else 0}) | **{fmt(g_zh['overall'] if g_zh else None)}** "
                 f"(n={g_zh['n'] if g_zh else 0}) |")
        L += ["", "Target: generated clips ≥ 50 % over ≥ 20 categories in each language. The real-clip "
              "column is the ceiling the ear allows on this data (game sound effects are often "
              "stylised, and some captions name actions YAMNet has no class for).", ""]
    ft = res.get("fd_train_vs_heldout")
    if ft:
        L += ["## Fréchet distance reference (real audio only)", "",
              f"- YAMNet-embedding FD, {ft['n']} random training clips vs the {res['n_real_embeddings']} "
              f"held-out clips: {ft['fd']:.2f}; held-out split in two halves: "
              f"{fmt(res.get('fd_real_split_half'), '.2f')}. A generator matching the data "
              "distribution would score near the first number (FD grows as n shrinks).", ""]
    if res.get("ae"):
        a = res["ae"]
        L += ["## Autoencoder reconstruction (held-out clips)", "",
              f"- clips: {a['n']} (first {a['max_seconds']:g} s of each)",
              f"- MR-STFT distance: mean {a['mr_stft']['mean']:.3f}, median {a['mr_stft']['median']:.3f}",
              f"- SI-SDR: mean {a['si_sdr']['mean']:.2f} dB, median {a['si_sdr']['median']:.2f} dB",
              f"- YAMNet agreement (reconstruction top-1 in original top-5): {a['agreement']:.1%} "
              f"(target ≥ 80 %)"]
        if a.get("adherence"):
            h = a["adherence"]
            L += [f"- Caption adherence of the same clips (categorized: {h['n']}): originals "
                  f"{h['original']:.1%}, reconstructions {h['reconstruction']:.1%}. Generated clips pass "
                  "through this decoder, so the second number is about the most they can reach."]
        L += [""]
        if a.get("disagreements"):
            L += ["Disagreements (original top-1 → reconstruction top-1): " +
                  "; ".join(a["disagreements"][:15]), ""]
    if gen:
        L += ["## Generation", "", f"- generator: {gen['generator']}",
              f"- clips: {gen['n_adherence']} for adherence, {gen['signal']['n']} for signal checks, "
              + (f"{gen['seconds']:g} s each" if gen['seconds'] > 0 else
                 "each as long as its held-out clip (1 s … model maximum)")
              + f", wall time {gen['wall_s']:.0f} s"]
        if gen.get("fd") is not None:
            L += [f"- Fréchet distance, YAMNet 1024-d embeddings, generated vs real held-out: "
                  f"**{gen['fd']:.2f}** (generated n={gen['n_embeddings']}, held-out n="
                  f"{res['n_real_embeddings']}); reference: real training clips vs the same held-out "
                  f"clips at the same n: {fmt(gen.get('fd_train_matched'), '.2f')}"]
            if gen.get("fd_without_caption"):
                L += ["- the same with one caption's generations left out, the three that lower it most: "
                      + "; ".join(f"without \"{c}\" {fd:.2f}" for c, fd in gen["fd_without_caption"])]
        s = gen["signal"]
        L += ["", "### Signal checks", "",
              f"- clipping (≥{metrics.CLIP_RUN} consecutive samples at |x| ≥ {metrics.CLIP_LEVEL}): "
              f"{s['clipping']} / {s['n']}",
              f"- silent (RMS < {metrics.SILENCE_DBFS:g} dBFS): {s['silent']} / {s['n']}",
              f"- exact duration (round(d × sr) frames): {s['exact_duration']} / {s['n']}; "
              f"sample rate ok: {s['sample_rate_ok']}; 2 channels: {s['channels_ok']}; "
              f"errors: {s['errors']}; non-finite: {s['non_finite']}"]
        if s["lufs"].get("n"):
            lu = s["lufs"]
            L.append(f"- loudness (BS.1770 integrated): median {lu['median']:.1f} LUFS, "
                     f"p10–p90 {lu['p10']:.1f} … {lu['p90']:.1f}, min {lu['min']:.1f}, max {lu['max']:.1f}")
        if gen.get("errors"):
            L.append("- generation errors (first ones): " + " | ".join(
                e.replace("\n", " ")[:200] for e in gen["errors"][:3]))
        tops = collections.Counter(r["top5"][0] for r in gen["records"] if r.get("top5"))
        if tops:
            L.append("- most frequent YAMNet top-1 of generated clips: " + ", ".join(
                f"{name} ({n})" for name, n in tops.most_common(8)))
        weak = [c for c, v in gen["adherence_en"]["per_category"].items() if v["rate"] < 0.5]
        if weak:
            L += ["", "Weak categories (English adherence < 50 %): " + ", ".join(sorted(weak))]
        L.append("")
    else:
        L += ["## Generation", "", "Not run: " + res.get("gen_missing", "no model"), ""]
    L += ["## Notes", ""] + [f"- {n}" for n in res.get("notes", [])] + [""]
    return "\n".join(L)


def find_default_manifest():
    for pattern in ("data-cache/**/manifest*.jsonl", "data-cache/**/manifest*.json",
                    "data-cache/**/manifest*.tsv", "data-cache/**/manifest*.csv"):
        hits = sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True))
        hits = [h for h in hits if "/eval/" not in h]
        if hits:
            return hits[0]
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", help="dataset manifest (default: first data-cache/**/manifest*)")
    ap.add_argument("--split", help="held-out split name (default: test/heldout/eval/...)")
    ap.add_argument("--audio-root", help="base directory for relative audio paths")
    ap.add_argument("--model", help="model directory (SAOS layout: model_config.json, "
                    "model.safetensors, t5/)")
    ap.add_argument("--ae-checkpoint", help="evaluate only the autoencoder of a tools/train "
                    "checkpoint (autoencoder.pt) instead of an exported model")
    ap.add_argument("--band-vocoder", metavar="BAND_LATENTS_PT",
                    help="reference generation only: decode with the noise vocoder of these band latents "
                         "(tools/train/band_latents.py) instead of the model's decoder, to measure the DiT alone")
    ap.add_argument("--band-vocoder-excitation", choices=("white", "latents"), default="white",
                    help="with --band-vocoder: white noise, or the generated latents' own excitation channels "
                         "(tools/train/excitation_vocoder.py, the decoder's --teacher)")
    ap.add_argument("--engine", help="foley CLI binary (default: PyTorch reference generation)")
    ap.add_argument("--engine-cmd", default=DEFAULT_ENGINE_CMD)
    ap.add_argument("--cfg", type=float, default=4.5)
    ap.add_argument("--steps", type=int, default=0, help="sampler steps (0: model/engine default)")
    ap.add_argument("--sampler", choices=("pingpong", "euler", "dpmpp"),
                    help="sampler (default: the model's; dpmpp only with --engine, the reference has none)")
    ap.add_argument("--seconds", type=float, default=0.0, help="duration of generated clips "
                    "(0: each held-out clip's own duration, clamped to [1 s, model maximum])")
    ap.add_argument("--max-real", type=int, default=2000)
    ap.add_argument("--ae-clips", type=int, default=60)
    ap.add_argument("--ae-seconds", type=float, default=4.0)
    ap.add_argument("--per-category", type=int, default=4, help="held-out captions per category")
    ap.add_argument("--fd-reference-n", type=int, default=200,
                    help="training clips embedded as the real-vs-real FD reference")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per caption and language")
    ap.add_argument("--signal-count", type=int, default=200)
    ap.add_argument("--gen-budget-min", type=float, default=12.0)
    ap.add_argument("--skip", default="", help="comma list of stages to skip: ae,gen")
    ap.add_argument("--gen-dir", default=os.path.join(ROOT, "data-cache/eval/generated"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--note", action="append", default=[], help="extra line for the report's notes")
    ap.add_argument("--render-only", metavar="RESULTS_JSON",
                    help="re-render REPORT from an existing results JSON (with --note lines added)")
    ap.add_argument("--no-cache", action="store_true", help="recompute YAMNet on real clips")
    ap.add_argument("--tag", default="", help="suffix for REPORT/results file names")
    args = ap.parse_args()
    if args.band_vocoder_excitation != "white" and not args.band_vocoder:
        ap.error("--band-vocoder-excitation needs --band-vocoder")
    if args.band_vocoder and (args.engine or args.ae_checkpoint or not args.model):
        ap.error("--band-vocoder replaces the decoder of the PyTorch reference: give --model, not --engine")
    if args.sampler == "dpmpp" and not args.engine:
        ap.error("--sampler dpmpp needs --engine: the PyTorch reference has ping-pong and Euler only")
    torch.set_num_threads(1)  # the machine is shared; one thread is plenty for YAMNet
    if args.render_only:
        with open(args.render_only, encoding="utf-8") as f:
            res = json.load(f)
        res["notes"] = res.get("notes", []) + args.note
        with open(args.render_only, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, default=float, ensure_ascii=False)
        out_md = os.path.join(os.path.dirname(args.render_only),
                              os.path.basename(args.render_only).replace("results", "REPORT")
                              .replace(".json", ".md"))
        with open(out_md, "w", encoding="utf-8") as f:
            f.write(render_report(res))
        log(f"wrote {out_md}")
        return 0
    skip = set(filter(None, args.skip.split(",")))
    notes, missing = [], []

    net = yamnet.default_model()
    global CACHE
    CACHE = YamnetCache(None if args.no_cache else os.path.join(ROOT, "data-cache/eval/yamnet_real_cache.npz"))
    manifest = args.manifest or find_default_manifest()
    res = {"timestamp": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
           "command": " ".join(shlex.quote(a) for a in ["python3", os.path.relpath(__file__, ROOT)] + sys.argv[1:]),
           "notes": notes}
    notes.extend(args.note)
    if not manifest or not os.path.exists(manifest):
        missing.append("no dataset manifest found (tools/data has not written one yet)")
        clips, held = [], []
    else:
        clips = manifest_mod.load(manifest, args.audio_root)
        held = manifest_mod.held_out(clips, args.split)
        if not held:
            missing.append(f"manifest has no held-out split (splits: {sorted({c.split for c in clips})})")
    log(f"held-out clips: {len(held)}")
    records, real_emb = stage_real(net, held, args.max_real)
    ok = [r for r in records if "error" not in r]
    res["data"] = {"manifest": os.path.relpath(manifest, ROOT) if manifest else None,
                   "split": args.split or "auto", "held_out": len(held), "evaluated": len(ok),
                   "categorized": sum(1 for r in ok if r.get("category")),
                   "read_errors": len(records) - len(ok), "missing": missing}
    res["real_adherence"] = adherence_table(ok) if ok else None
    res["n_real_embeddings"] = len(real_emb)
    res["fd_real_split_half"] = split_half_fd(real_emb) if len(real_emb) else None
    # Reference for the generated-vs-real FD: real training clips (same number as the
    # generated set will have) against the same held-out clips. FD is biased by sample size.
    train = [c for c in clips if c.split == "train"]
    train_emb = np.zeros((0, 1024))
    if train and len(real_emb) >= 2:
        pick = np.random.default_rng(0).permutation(len(train))[:args.fd_reference_n]
        _, train_emb = stage_real(net, [train[i] for i in pick], args.fd_reference_n)
        if len(train_emb) >= 2:
            res["fd_train_vs_heldout"] = {"n": len(train_emb),
                                          "fd": metrics.frechet_distance(train_emb, real_emb)}
    uncategorized = [r["caption_en"] for r in ok if not r.get("category")]
    if uncategorized:
        notes.append(f"{len(uncategorized)} held-out captions map to no category, e.g. "
                     + "; ".join(f"'{c}'" for c in uncategorized[:8]))
    log(f"real adherence: {res['real_adherence'] and res['real_adherence']['overall']}")

    model, encode = None, None
    if args.ae_checkpoint:
        model, step, encode = load_training_autoencoder(args.ae_checkpoint)
        notes.append(f"autoencoder from training checkpoint {os.path.relpath(args.ae_checkpoint, ROOT)} "
                     f"(step {step}), not an exported model")
        skip.add("gen")
    elif args.model:
        try:
            model = load_reference_model(args.model)
            encode = band_latent_encoder(args.model, model.pretransform.scale)
        except Exception as e:  # report, continue with what we can do
            notes.append(f"could not load {args.model} with the PyTorch reference: {e}")
        if encode is not None:
            notes.append("autoencoder stage: the model's decoder reads computed band latents (tools/train/"
                         "band_latents.py, statistics from the export's metadata), so they encode the clips")
        if args.band_vocoder and model is not None:
            model.pretransform.decode = band_vocoder_decoder(args.band_vocoder, model.pretransform.scale,
                                                             args.band_vocoder_excitation)
            skip.add("ae")
            notes.append(f"generated latents decoded by the noise vocoder of "
                         f"{os.path.relpath(args.band_vocoder, ROOT)} ({args.band_vocoder_excitation} excitation), "
                         "not by the model's decoder (tools/train/vocoder_ceiling.py, excitation_vocoder.py)")
    if model is not None and "ae" not in skip and ok:
        log("autoencoder stage")
        held_ok = [c for c in held if any(r["id"] == c.id for r in ok)]
        ae = [a for a in stage_autoencoder(net, model, held_ok, args.ae_clips, args.ae_seconds, encode)
              if "error" not in a]
        if ae:
            res["ae"] = {"n": len(ae), "max_seconds": args.ae_seconds,
                         "mr_stft": metrics.spread([a["mr_stft"] for a in ae]),
                         "si_sdr": metrics.spread([a["si_sdr"] for a in ae]),
                         "agreement": float(np.mean([a["yamnet_agree"] for a in ae])),
                         "adherence": ae_adherence(ae),
                         "disagreements": [f"{a['orig_top1']} → {a['recon_top1']}"
                                           for a in ae if not a["yamnet_agree"]],
                         "clips": ae}
    elif model is None:
        notes.append("autoencoder metrics not run: no --model given")

    if args.model and "gen" not in skip and ok:
        gen = None
        if args.engine:
            gen = EngineGenerator(os.path.abspath(args.engine), os.path.abspath(args.model),
                                  args.engine_cmd, args.cfg, args.steps, args.sampler)
        elif model is not None:
            gen = ReferenceGenerator(model, args.model, args.cfg, args.steps, args.sampler)
        if gen:
            clips_by_id = {c.id: c for c in held}
            prompts = choose_prompts(ok, clips_by_id, args.per_category)
            sr = model.sample_rate if model is not None else 48000
            max_seconds = (model.sample_size / model.sample_rate) if model is not None else 5.0
            log(f"generation with {gen.name}: {sum(len(v) for v in prompts.values())} captions, "
                f"{len(prompts)} categories")
            recs, gen_emb, checks, wall = stage_generate(
                net, gen, prompts, args.seconds, args.gen_dir, args.gen_budget_min * 60,
                args.signal_count, expected_sr=48000, expected_channels=2, seeds=args.seeds,
                max_seconds=max_seconds)
            good = [r for r in recs if "error" not in r]
            res["gen"] = {
                "generator": gen.name, "seconds": args.seconds, "wall_s": wall,
                "n_adherence": len(good), "errors": [r["error"] for r in recs if "error" in r][:5],
                "adherence_en": adherence_table([r for r in good if r["lang"] == "en"]),
                "adherence_zh": adherence_table([r for r in good if r["lang"] == "zh"]),
                "fd": (metrics.frechet_distance(gen_emb, real_emb)
                       if len(gen_emb) >= 2 and len(real_emb) >= 2 else None),
                "fd_without_caption": (fd_without_each_caption(recs, gen_emb, real_emb)
                                       if len(gen_emb) >= 3 and len(real_emb) >= 2 else []),
                "n_embeddings": len(gen_emb), "signal": summarize_checks(checks),
                "fd_train_matched": (metrics.frechet_distance(train_emb[:len(gen_emb)], real_emb)
                                     if len(gen_emb) >= 2 and len(train_emb) >= len(gen_emb)
                                     else None),
                "records": recs, "model_sample_rate": sr,
            }
            if any(r.get("zh_source") == "category keyword" for r in good):
                notes.append("some Chinese prompts came from the category's Chinese keyword "
                             "because the manifest has no Chinese caption for that clip")
        else:
            res["gen_missing"] = "no engine binary and the reference could not load the model"
    elif not args.model:
        res["gen_missing"] = ("autoencoder checkpoint only" if args.ae_checkpoint else
                              "no model given (--model); models/foley-mini not committed yet")

    CACHE.save()
    res["real_records"] = records
    os.makedirs(args.out, exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    with open(os.path.join(args.out, f"results{suffix}.json"), "w") as f:
        json.dump(res, f, indent=1, default=float, ensure_ascii=False)
    with open(os.path.join(args.out, f"REPORT{suffix}.md"), "w") as f:
        f.write(render_report(res))
    log(f"wrote {args.out}/REPORT{suffix}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
