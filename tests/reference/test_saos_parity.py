#!/usr/bin/env python3
"""Parity of tools/reference/foley_reference against the official-code fixtures
(tests/data/saos-tiny, tests/data/t5-tiny): every reference tensor must reach
cosine >= 0.99999 and max|diff|/max|ref| <= 1e-4."""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

from foley_reference import T5Encoder, load_model, load_safetensors, pingpong_sigmas, sample_pingpong  # noqa: E402

SAOS = os.path.join(ROOT, "tests", "data", "saos-tiny")
T5 = os.path.join(ROOT, "tests", "data", "t5-tiny")
MIN_COSINE = 0.99999
MAX_REL = 1e-4

results = []


def check(name, ours, ref):
    ours = ours.detach().double().reshape(-1)
    ref = ref.detach().double().reshape(-1)
    if ours.shape != ref.shape:
        results.append((name, False, f"shape {tuple(ours.shape)} vs {tuple(ref.shape)}"))
        return
    denom = ref.abs().max().item()
    rel = (ours - ref).abs().max().item() / (denom if denom > 0 else 1.0)
    if ours.norm() == 0 and ref.norm() == 0:
        cos = 1.0
    else:
        cos = torch.nn.functional.cosine_similarity(ours, ref, dim=0).item()
    results.append((name, cos >= MIN_COSINE and rel <= MAX_REL, f"cos {cos:.9f} rel {rel:.2e}"))


def dit_cases(model, c):
    dit = model.dit
    # (a) seconds_total conditioner
    emb, mask = model.conditioner.conditioners["seconds_total"](c["seconds.input"])
    check("seconds.output", emb, c["seconds.output"])
    check("seconds.mask", mask, c["seconds.mask"])
    # (b) one DiT forward, three ways
    x, t = c["dit.x"], c["dit.t"]
    cross, glob = c["dit.cross_attn_cond"], c["dit.global_cond"]
    trace = {}
    v = dit(x, t, cross_attn_cond=cross, global_cond=glob, cfg_scale=1.0, trace=trace)
    check("dit.cfg1.v", v, c["dit.cfg1.v"])
    for key in ("timestep_embed", "global_embed_proj", "cond_embed", "project_in_input", "project_in_output",
                "block0_input", "project_out_output"):
        check(f"dit.cfg1.{key}", trace[key], c[f"dit.cfg1.{key}"])
    blocks = trace["blocks"]
    check("dit.cfg1.block0_self_attn_out", blocks[0]["self_attn_out"], c["dit.cfg1.block0_self_attn_out"])
    check("dit.cfg1.block0_cross_attn_out", blocks[0]["cross_attn_out"], c["dit.cfg1.block0_cross_attn_out"])
    check("dit.cfg1.block0_ff_out", blocks[0]["ff_out"], c["dit.cfg1.block0_ff_out"])
    for i, b in enumerate(blocks):
        check(f"dit.cfg1.block{i}_output", b["output"], c[f"dit.cfg1.block{i}_output"])
    v, u = dit(x, t, cross_attn_cond=cross, global_cond=glob, cfg_scale=4.5, return_uncond=True)
    check("dit.cfg.v", v, c["dit.cfg.v"])
    check("dit.cfg.uncond_v", u, c["dit.cfg.uncond_v"])
    v, u = dit(x, t, cross_attn_cond=cross, global_cond=glob, cfg_scale=4.5,
               negative_cross_attn_cond=c["dit.neg_cross_attn_cond"],
               negative_cross_attn_mask=c["dit.neg_cross_attn_mask"], return_uncond=True)
    check("dit.cfg_neg.v", v, c["dit.cfg_neg.v"])
    check("dit.cfg_neg.uncond_v", u, c["dit.cfg_neg.uncond_v"])


def routing_case(model, c, prefix):
    secs = model.conditioner.conditioners["seconds_total"](c[f"{prefix}.seconds_total"])
    cond = {"prompt": (c[f"{prefix}.prompt"], c[f"{prefix}.prompt_mask"]), "seconds_total": secs}
    inputs = model.get_conditioning_inputs(cond)
    check(f"{prefix}.cross_attn_cond", inputs["cross_attn_cond"], c[f"{prefix}.cross_attn_cond"])
    check(f"{prefix}.global_cond", inputs["global_cond"], c[f"{prefix}.global_cond"])
    neg = None
    if f"{prefix}.neg_prompt" in c:
        neg = model.get_conditioning_inputs(
            {"prompt": (c[f"{prefix}.neg_prompt"], c[f"{prefix}.neg_prompt_mask"]), "seconds_total": secs})
    return inputs, neg


def sample_case(model, c, prefix, cfg_scale):
    inputs, neg = routing_case(model, c, prefix)
    sigmas = pingpong_sigmas(8)
    check(f"{prefix}.sigmas", sigmas, c[f"{prefix}.sigmas"])
    steps = {"x": [], "v": [], "denoised": []}

    def record(info):
        for k in steps:
            steps[k].append(info[k])

    # Closed loop: our model drives the sampler from the recorded noises.
    latent = model.sample(inputs, c[f"{prefix}.noise_init"], steps=8, cfg_scale=cfg_scale,
                          negative_inputs=neg, step_noise=list(c[f"{prefix}.step_noise"]), callback=record)
    check(f"{prefix}.latent", latent, c[f"{prefix}.latent"])
    for k in steps:
        check(f"{prefix}.step_{k}", torch.stack(steps[k]), c[f"{prefix}.step_{k}"])
    # Open loop: the sampler alone replays the official velocities bit for bit.
    replay = iter(c[f"{prefix}.step_v"])
    replayed = sample_pingpong(lambda x, t: next(replay), c[f"{prefix}.noise_init"], c[f"{prefix}.sigmas"],
                               step_noise=list(c[f"{prefix}.step_noise"]))
    check(f"{prefix}.latent (sampler replay)", replayed, c[f"{prefix}.latent"])


def autoencoder_cases(model, c):
    pre = model.pretransform
    check("decode.audio", pre.decode(c["decode.latent"]), c["decode.audio"])
    check("decode2.audio", pre.decode(c["decode2.latent"]), c["decode2.audio"])
    trace = []
    pre.model.decode(c["decode2.latent"], trace=trace)
    for i, out in enumerate(trace):
        check(f"decode2.layer{i}", out, c[f"decode2.layer{i}"])
    check("encode.pre_bottleneck", pre.model.encode(c["encode.audio"], skip_bottleneck=True),
          c["encode.pre_bottleneck"])


def t5_cases():
    enc = T5Encoder.from_pretrained(T5)
    c = load_safetensors(os.path.join(T5, "cases.safetensors"))
    out, hidden = enc(c["input_ids"], c["attention_mask"].bool(), output_hidden_states=True)
    check("t5.last_hidden_state", out, c["last_hidden_state"])
    check("t5.masked_last_hidden_state", out * c["attention_mask"][..., None], c["masked_last_hidden_state"])
    for i, h in enumerate(hidden):
        check(f"t5.hidden_states.{i}", h, c[f"hidden_states.{i}"])
    check("t5.position_bias_block0", enc.encoder.block[0].layer[0].SelfAttention.compute_bias(64, 64),
          c["position_bias_block0"])


def roundtrip_and_training(model, c):
    """save_weights -> load_weights is exact; a deep copy (EMA) and one backward pass work."""
    import copy
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        model.save_weights(path, {"producer": "test"})
        again = load_model(SAOS, weights=False)
        again.load_weights(path)
        same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
        results.append(("save/load round trip", same, "bit-exact" if same else "differs"))
    ema = copy.deepcopy(model)
    ema.train()
    v = ema.dit(c["dit.x"], c["dit.t"], cross_attn_cond=c["dit.cross_attn_cond"], global_cond=c["dit.global_cond"],
                cfg_dropout_prob=0.1)
    audio = ema.pretransform.decode(c["decode2.latent"])
    (v.square().mean() + audio.square().mean()).backward()
    used = list(ema.dit.parameters()) + list(ema.pretransform.model.decoder.parameters())
    has_grads = sum(p.grad is not None for p in used)
    results.append(("deepcopy + backward", has_grads == len(used), f"{has_grads}/{len(used)} DiT+decoder params with grad"))


def main():
    torch.set_num_threads(1)
    model = load_model(SAOS)  # strict=True
    cases = load_safetensors(os.path.join(SAOS, "cases.safetensors"))
    with torch.no_grad():
        dit_cases(model, cases)
        sample_case(model, cases, "sample", 1.0)
        sample_case(model, cases, "sample_cfg", 4.5)
        autoencoder_cases(model, cases)
        t5_cases()
    # The state_dict round-trips through our writer with the official key set.
    ref_keys = set(load_safetensors(os.path.join(SAOS, "model.safetensors")))
    ok_keys = ref_keys == set(model.state_dict())
    results.append(("state_dict keys == checkpoint keys", ok_keys, f"{len(ref_keys)} keys"))
    roundtrip_and_training(model, cases)
    failed = [r for r in results if not r[1]]
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print(f"{len(results) - len(failed)}/{len(results)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
