#!/usr/bin/env python3
"""Stage 3: train the T5 text encoder (from scratch) together with the DiT on cached latents.

Rectified flow as SAOS: x_t = (1 - t) x0 + t eps, target v = eps - x0, t logit-normal
for 70 % of a batch and uniform in [0.8, 1) for 30 %: near pure noise the latent tells the model
almost nothing, so that is where the prompt must decide the sound (at logit-normal t alone the
DiT learned to ignore the prompt: after 3,400 steps swapping prompts changed its output by 1 %).
Conditioning exactly as the engine computes it: T5 hidden states with padded positions
zeroed, seconds_total through the number conditioner, cross-attention on [prompt; seconds],
global token = seconds. Captions: English or Chinese at random, sometimes only the category
name (clips drawn caption-balanced, with --category-balance also category-balanced); 10 % of
contexts are dropped to zeros for classifier-free guidance. Windows of a quarter, half or all of
the 5.46 s (64, 128 or 256 latent frames); a clip shorter than its window is followed by the latent
of silence and seconds_total says where the sound ends (options: --fill-window for events that
died away, --fill-min-frames to fill only long windows, --fill-floor to fill with the clip's own
quiet end, --fill-max-peak to fill only after hits, --walk for footsteps). Keeps an EMA copy, which
is what gets exported.

Two training-only aids make the prompt matter sooner (neither changes the exported model):
an auxiliary head classifies the clip's category from the mean-pooled T5 output (so the text
features separate categories from the first steps; the head is not exported), and the text
path (T5, the DiT's cond projection and cross-attention) gets a higher learning rate. Every
50 steps the log shows the loss with each clip's own caption vs a caption rolled in from
another clip of the batch ("gap" > 0: the prompt helps).
Usage: train_dit.py --out checkpoints [--steps N] [--minutes 35]
"""
import argparse
import copy
import os
import random
import shutil
import signal
import time

import sentencepiece as spm
import torch
import torch.nn.functional as F

import common
from vocabulary import CATEGORY_NAMES, PARAPHRASES

WINDOWS = ((common.MAX_FRAMES // 4, 0.5), (common.MAX_FRAMES // 2, 0.3), (common.MAX_FRAMES, 0.2))
# --fill-window takes only clips whose last frame lies this far under their loudest (cache_latents.tail_drop_db):
# events that have died away, so the silence after them is what follows them anyway. Filling every
# short clip (thirteenth run) made even "rain" stop after 3.5 s; textures cut off loud (a loop, an
# engine) are left out, so that no training example says a texture may stop halfway through.
ENDED_DB = 30.0
# --walk lays the one-step clips of these captions end to end. A footstep recording is one step
# (median 0.45 s), and a walk is steps one after another, which is what "footsteps" means once the
# requested sound is longer than one step: without it a 5 s "footsteps on gravel" was 5 s of steady
# noise, heard as Vehicle (eighteenth and nineteenth runs).
STEP_WORDS = ("footsteps", "walking")
STEP_PERIOD_S = (0.45, 0.7)  # a step every 0.45-0.7 s: a walk's cadence (about 1.4-2.2 steps per second)


class Batcher:
    def __init__(self, latents, tokenizer, seed, fill_window=0.0, walk=0.0, paraphrase=0.0, category_balance=0.0,
                 fill_min_frames=0, fill_floor=False, fill_max_peak=0.0):
        self.clips = list(latents["clips"].values())
        self.scale = latents["latent_std"]
        self.silence = latents["silence"].float() / self.scale
        self.sp = tokenizer
        self.rng = random.Random(seed)
        self.fill_window = fill_window
        self.fill_min_frames = fill_min_frames
        self.fill_floor = fill_floor
        self.fill_max_peak = fill_max_peak
        self.walk = walk
        self.paraphrase = paraphrase
        self.steps_of = {}  # caption -> its clips, from which a walk draws its steps
        for clip in self.clips:
            if any(word in clip["caption_en"].split() for word in STEP_WORDS):
                self.steps_of.setdefault(clip["caption_en"], []).append(clip)
        needed = ["tail_drop_db"] * (fill_window > 0) + ["peak_s"] * (fill_max_peak > 0)
        if any(key not in c for c in self.clips for key in needed):
            raise SystemExit(f"--fill-window{' --fill-max-peak' if fill_max_peak > 0 else ''} needs latents_train.pt "
                             f"from this version of cache_latents.py (its clips' {' and '.join(needed)}): "
                             "run cache_latents.py again")
        self.token_cache = {}
        # Caption-balanced draws: a clip's weight is 1/sqrt(clips sharing its caption), so the
        # 188 "dying" clips do not drown the 5 "door" ones, while frequent sounds stay frequent.
        counts = {}
        for clip in self.clips:
            counts[clip["caption_en"]] = counts.get(clip["caption_en"], 0) + 1
        self.weights = [counts[c["caption_en"]] ** -0.5 for c in self.clips]
        # --category-balance b divides each category's total weight M by M^b: 0 leaves it, 1 gives
        # every category the same share, 0.5 its square root (door, 2 % of the draws, gets 3.5 %).
        mass = {}
        for clip, w in zip(self.clips, self.weights):
            mass[clip["category"]] = mass.get(clip["category"], 0.0) + w
        self.weights = [w * mass[c["category"]] ** -category_balance for c, w in zip(self.clips, self.weights)]

    def tokens(self, text):
        if text not in self.token_cache:
            ids = self.sp.encode(text)[: common.MAX_PROMPT_TOKENS - 1] + [1]  # </s>
            self.token_cache[text] = ids
        return self.token_cache[text]

    def caption(self, clip):
        r = self.rng.random()
        if r < 0.1:
            en, zh = CATEGORY_NAMES.get(clip["category"], ("sound effect", "音效"))
            return en if self.rng.random() < 0.5 else zh
        en, zh = clip["caption_en"], clip["caption_zh"]
        if self.paraphrase and self.rng.random() < self.paraphrase:
            en, zh = paraphrased(en, zh, self.rng)
        return en if r < 0.55 else zh

    def hit_first(self, clip):
        """Whether --fill-max-peak lets the clip be filled: it is loudest within its first seconds."""
        return not self.fill_max_peak or clip["peak_s"] <= self.fill_max_peak

    def sample(self, clip, start, frames):
        """A posterior sample of frames [start, start + frames) of a clip, scaled."""
        mean, std = clip["mean"][:, start:start + frames].float(), clip["std"][:, start:start + frames].float()
        return (mean + std * torch.randn_like(mean)) / self.scale

    def floor(self, clip, frames):
        """frames posterior samples of the clip's last frame: the level it died away to, held."""
        return self.sample({key: clip[key][:, -1:].expand(-1, frames) for key in ("mean", "std")}, 0, frames)

    def walk_of(self, clip, frames):
        """The window as a walk: steps drawn from the clips of the clip's caption, one every
        STEP_PERIOD_S (or after the step's own length, if longer), silence between them."""
        z = self.silence[:, None].repeat(1, frames)
        frame_s = common.DOWNSAMPLING / common.SAMPLE_RATE
        period = round(self.rng.uniform(*STEP_PERIOD_S) / frame_s)
        at = self.rng.randrange(period)
        step = clip
        while at < frames:
            piece = self.sample(step, 0, frames - at)
            z[:, at:at + piece.shape[1]] = piece
            at += max(period, piece.shape[1])
            step = self.rng.choice(self.steps_of[clip["caption_en"]])
        return z

    def batch(self, size):
        frames = self.rng.choices([w for w, _ in WINDOWS], weights=[p for _, p in WINDOWS])[0]
        x0 = self.silence[None, :, None].repeat(size, 1, frames)
        content = torch.zeros(size, 1, frames)  # 1 where the clip is, 0 on the silence after it
        seconds, categories, ids = [], [], torch.zeros(size, common.MAX_PROMPT_TOKENS, dtype=torch.long)
        mask = torch.zeros(size, common.MAX_PROMPT_TOKENS, dtype=torch.long)
        for i, clip in enumerate(self.rng.choices(self.clips, weights=self.weights, k=size)):
            length = clip["mean"].shape[1]
            start = self.rng.randrange(length - frames + 1) if length > frames else 0
            window_seconds = frames * common.DOWNSAMPLING / common.SAMPLE_RATE
            walkable = 2 * length <= frames and clip["caption_en"] in self.steps_of
            if self.walk and walkable and self.rng.random() < self.walk:
                # A walk of this caption's steps is the whole requested sound (see --walk).
                x0[i] = self.walk_of(clip, frames)
                content[i] = 1.0
                seconds.append(window_seconds)
            elif (length < frames and frames >= self.fill_min_frames and self.rng.random() < self.fill_window
                  and clip["tail_drop_db"] >= ENDED_DB and self.hit_first(clip)):
                # The whole window is the requested sound: the event, then silence (see --fill-window).
                x0[i, :, :length] = self.sample(clip, 0, length)
                if self.fill_floor:
                    x0[i, :, length:] = self.floor(clip, frames - length)
                content[i] = 1.0
                seconds.append(window_seconds)
            else:
                z = self.sample(clip, start, frames)
                x0[i, :, : z.shape[1]] = z
                content[i, :, : z.shape[1]] = 1.0
                real = clip["seconds"] - start * common.DOWNSAMPLING / common.SAMPLE_RATE
                seconds.append(min(real, window_seconds))
            categories.append(clip["category"])
            toks = self.tokens(self.caption(clip))
            ids[i, : len(toks)] = torch.tensor(toks)
            mask[i, : len(toks)] = 1
        return x0, seconds, ids, mask, categories, content


def paraphrased(en, zh, rng):
    """The caption with its first PARAPHRASES phrase (found in both languages) replaced by one of
    that phrase's paraphrases, or as it is when it holds none."""
    for (phrase_en, phrase_zh), options in PARAPHRASES:
        if phrase_en in en and phrase_zh in zh:
            other_en, other_zh = rng.choice(options)
            return en.replace(phrase_en, other_en), zh.replace(phrase_zh, other_zh)
    return en, zh


def conditioning(model, t5, ids, mask, seconds):
    hidden = t5(ids, mask)
    hidden = hidden * mask[..., None].to(hidden.dtype)
    secs = model.conditioner.conditioners["seconds_total"](seconds)
    pooled = hidden.sum(1) / mask.sum(1, keepdim=True).clamp_min(1)
    return model.get_conditioning_inputs({"prompt": (hidden, mask.bool()), "seconds_total": secs}), pooled


def load_aux_head(aux_head, opt, state, categories):
    """Restores the category head, and its Adam moments, row by category name: a cache built by a
    newer vocabulary can have other categories (the door fix of the seventeenth run added misc),
    and the head is training-only, so a category the checkpoint lacks starts from a fresh row."""
    saved = state.get("aux_categories")
    if saved is None and state["aux_head"]["weight"].shape[0] == len(categories):
        saved = categories  # an older checkpoint of the same categories
    if saved == categories:
        aux_head.load_state_dict(state["aux_head"])
        return
    if saved is None:  # an older checkpoint: row order unknown
        print("category head not reused: its categories were not saved and their number changed", flush=True)
        for p in aux_head.parameters():
            opt.state.pop(p, None)
        return
    rows = [(row, saved.index(c)) for row, c in enumerate(categories) if c in saved]
    with torch.no_grad():
        for name, p in aux_head.named_parameters():
            moments = opt.state.get(p, {})
            for key in ("exp_avg", "exp_avg_sq"):
                if key in moments:
                    moments[key] = remap_rows(moments[key], torch.zeros_like(p), rows)
            p.copy_(remap_rows(state["aux_head"][name], p, rows))
    new = [c for c in categories if c not in saved]
    if new:
        print(f"category head: fresh rows for {', '.join(new)}", flush=True)


def remap_rows(saved, fresh, rows):
    out = fresh.detach().clone()
    for row, saved_row in rows:
        out[row] = saved[saved_row]
    return out


def is_text_path(name):
    """Parameters that carry the prompt: T5, the DiT's cond-token projection, cross-attention."""
    return name.startswith("t5.") or ".to_cond_embed." in name or ".cross_attn." in name or ".cross_attend_norm." in name


def reset_cross_attention(trainable, ema, opt):
    """Fresh default-initialised cross-attention + cond projection, copied into the EMA, with
    their Adam moments dropped. For a DiT that learned to park its cross-attention on the zero
    padding rows: 97 % of the attention on padding and 3 % on the prompt at step 5,200, an
    output that swapping prompts changed by 1 %. A freshly initialised cross-attention made the same choice within 1,500 steps: its
    random output only hurt the trained DiT and attending to the zero rows switches it off. With
    a zero output projection there is nothing to switch off, and the projection grows only
    along what lowers the loss (as stable-audio-tools' zero_init_branch_outputs); in practice the
    DiT muted the prompt again (tools/train/README.md, third run). The rest of the DiT and the T5
    are kept."""
    names = []
    for name, module in trainable.named_modules():
        if ".cross_attn" in name or ".to_cond_embed" in name:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
                names.append(name)
            if name.endswith(".cross_attn.to_out"):  # zero output: no random perturbation to switch off
                torch.nn.init.zeros_(module.weight)
    ema_params = dict(ema.named_parameters())
    with torch.no_grad():
        for n, p in trainable.named_parameters():
            if is_text_path(n) and not n.startswith("t5."):
                ema_params[n].copy_(p)
                opt.state.pop(p, None)
    print(f"re-initialised {len(names)} modules: {', '.join(names[:3])}, ...", flush=True)


def pool_cross_attention(trainable, ema):
    """Uniform cross-attention: zero and freeze every query projection (and its LayerNorm), so
    each latent frame attends equally to all context rows and gets the same mean of the prompt's
    values (zero padding rows add nothing). The DiT can no longer switch the prompt off by
    attending to the padding rows; what reaches it is a pooled text embedding, as in class-
    conditional DiTs, through the value and output projections, which keep learning."""
    ema_params = dict(ema.named_parameters())
    frozen = 0
    with torch.no_grad():
        for n, p in trainable.named_parameters():
            if ".cross_attn.to_q." in n or ".cross_attn.q_norm." in n:
                p.zero_()
                ema_params[n].zero_()
                p.requires_grad_(False)
                frozen += 1
    print(f"pooled cross-attention: {frozen} query tensors zeroed and frozen", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=35)
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--cfg-dropout", type=float, default=0.1)
    ap.add_argument("--reset-cross-attention", action="store_true",
                    help="on resume, re-initialise the DiT's cross-attention and cond projection (and their EMA "
                         "and optimizer state), e.g. after it learned to attend to padding instead of the prompt")
    ap.add_argument("--pooled-cross-attention", action="store_true",
                    help="zero and freeze the cross-attention queries: uniform attention over the context rows")
    ap.add_argument("--pad-weight", type=float, default=1.0,
                    help="loss weight of the silence frames after a clip (the predictable part of the MSE)")
    ap.add_argument("--noise-channel-weight", type=float, default=1.0,
                    help="loss weight of the latent channels that carry no information (pinned to the prior, or "
                         "band latents' excitation): their x0 is fresh N(0, 1) noise, so their error is irreducible "
                         "(about 1.4 per channel against 0.35 for band latents' informative ones) and their gradient "
                         "is noise; the velocity they need is a fixed linear function of x_t that a small weight "
                         "still teaches")
    ap.add_argument("--fill-window", type=float, default=0.0,
                    help="share of clips shorter than their window, and died away by their end (ENDED_DB), "
                         "whose seconds_total is the whole window, the silence after them weighted as sound. "
                         "Without it seconds_total always says where the sound ends, and the training clips are short (median 0.9 s; footsteps 0.4 s, doors 0.9 s), so a "
                         "5 s \"door slam\" asked for 5 s of a door (the twelfth run's DiT made steady noise, heard as "
                         "Hiss, Vehicle or Spray); with it the model learns that a short event may end early")
    ap.add_argument("--fill-min-frames", type=int, default=0,
                    help="--fill-window only in windows of at least this many latent frames (256: the whole "
                         "5.46 s, where the API's default 5 s request falls). Shorter windows keep seconds_total "
                         "saying where the sound ends, which is what a request of a one-shot's own length asks. "
                         "Filling every window (twentieth run, 0.15) doubled the Fréchet distance; filling only "
                         "the whole window (twenty-first run, 0.5) made \"door slam\" a door at 5 s and kept the "
                         "distance within 4.3 for 2,000 steps, then it doubled too")
    ap.add_argument("--fill-floor", action="store_true",
                    help="--fill-window holds the clip's last frame (the quiet floor it died away to, as a "
                         "recording ends) after it, not digital silence: the whole-window fill of the twenty-first "
                         "run spread exact zeros into shorter requests (7.3 %% of the samples at 50,000 against "
                         "1.1 %%) and doubled the Fréchet distance. Tried from 48,500 (twenty-second run): the "
                         "5 s door fell from 25 to 7-9 of 48 and exact zeros stayed at 4.2 %%")
    ap.add_argument("--fill-max-peak", type=float, default=0.0,
                    help="--fill-window only for clips loudest within this many seconds of their start "
                         "(cache_latents.peak_seconds; 0: any): hits such as a slam, a shot or a blast, not a flyby "
                         "or an engine running down, which also die away. Tried in the twenty-fifth run: the door "
                         "came as without it, and the Fréchet distance still doubled (5 s requests of unseen or long "
                         "sounds answered by a blip and silence)")
    ap.add_argument("--walk", type=float, default=0.0,
                    help="share of footstep clips (STEP_WORDS in the caption) no longer than half their window "
                         "that become a walk: steps of the same caption one after another, the whole window the "
                         "requested sound")
    ap.add_argument("--paraphrase", type=float, default=0.0,
                    help="share of the captions holding a phrase of vocabulary.PARAPHRASES trained under one of "
                         "its paraphrases (\"door closing\" as \"door slam\"): users' words the file names lack")
    ap.add_argument("--category-balance", type=float, default=0.0,
                    help="exponent b in [0, 1]: a category's share of the draws goes from M (its clips' "
                         "caption-balanced weight) to M^(1-b); 1 draws every category equally often")
    ap.add_argument("--high-noise", type=float, default=0.3, help="share of t drawn from [0.8, 1)")
    ap.add_argument("--text-lr-mult", type=float, default=2.0, help="learning-rate factor of the text path")
    ap.add_argument("--aux-weight", type=float, default=0.1, help="weight of the category loss on pooled T5")
    ap.add_argument("--keep-every", type=int, default=0,
                    help="also keep the checkpoint every N steps as dit_STEP.pt: the listening proxy of two "
                         "checkpoints 457 steps apart went from 11/64 to 1/64 (eighteenth run), so a run is "
                         "worth choosing from, not only its last step")
    args = ap.parse_args()
    shares = (args.fill_window, args.walk, args.paraphrase, args.category_balance)
    if args.keep_every < 0 or args.fill_min_frames < 0 or args.fill_max_peak < 0 or not all(0 <= share <= 1 for share in shares):
        ap.error("--keep-every, --fill-min-frames and --fill-max-peak must be 0 (off) or more, and --fill-window, --walk, --paraphrase and "
                 "--category-balance in [0, 1]")
    if (args.fill_floor or args.fill_max_peak) and not args.fill_window:
        ap.error("--fill-floor and --fill-max-peak change what --fill-window fills: give --fill-window too")
    common.set_threads()
    device = common.training_device()
    torch.manual_seed(0)
    latents = common.load_checkpoint(os.path.join(args.out, "latents_train.pt"))
    latent_dim = next(iter(latents["clips"].values()))["mean"].shape[0]  # 64, or more with more bands
    config = common.model_config(latent_scale=latents["latent_std"], latent_dim=latent_dim)
    # The gap is measured on the channels that carry something: those pinned to the prior
    # (train_autoencoder.pin_noise_channels, zero mean in every clip) are noise no caption predicts.
    informative = torch.stack([c["mean"].float().abs().amax(1) for c in latents["clips"].values()]).amax(0) > 0
    informative = informative.to(device)
    channel_weight = torch.where(informative, 1.0, args.noise_channel_weight)
    model = common.build_foley_model(config)
    t5 = common.new_t5()
    for m in t5.modules():  # T5-style small init keeps the from-scratch encoder stable
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.normal_(m.weight, std=m.in_features ** -0.5)
    torch.nn.init.normal_(t5.shared.weight, std=1.0)
    trainable = common.dit_modules(model, t5).to(device)
    ema = copy.deepcopy(trainable).eval()
    categories = sorted({c["category"] for c in latents["clips"].values()})
    aux_head = torch.nn.Linear(common.T5_CONFIG["d_model"], len(categories)).to(device)  # training only, not exported
    text_params = [p for n, p in trainable.named_parameters() if is_text_path(n)] + list(aux_head.parameters())
    other_params = [p for n, p in trainable.named_parameters() if not is_text_path(n)]
    opt = torch.optim.AdamW([{"params": other_params, "lr_mult": 1.0},
                             {"params": text_params, "lr_mult": args.text_lr_mult}],
                            lr=args.lr, weight_decay=0.01, betas=(0.9, 0.99))
    ckpt_path = os.path.join(args.out, "dit.pt")
    step, log, warm_from = 0, [], 0
    if os.path.exists(ckpt_path):
        state = common.load_checkpoint(ckpt_path)
        trainable.load_state_dict(state["trainable"])
        ema.load_state_dict(state["ema"])
        try:
            opt.load_state_dict(state["optimizer"])
        except (KeyError, ValueError):  # imported (import_model.py), or an older script's parameter groups
            print("optimizer state not reused: fresh optimizer, warm-up from here", flush=True)
            warm_from = state["step"]
        if "aux_head" in state:
            load_aux_head(aux_head, opt, state, categories)
        step, log = state["step"], state.get("log", [])
        print(f"resumed at step {step}", flush=True)
        if args.reset_cross_attention:
            reset_cross_attention(trainable, ema, opt)
    if args.pooled_cross_attention:
        pool_cross_attention(trainable, ema)
    n_params = sum(p.numel() for p in trainable.parameters())
    print(f"DiT+conditioner+T5 parameters: {n_params / 1e6:.2f}M, latent std {latents['latent_std']:.3f}, "
          f"{int(informative.sum())} informative latent channels, training on {device}", flush=True)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "spiece.model"))
    batcher = Batcher(latents, sp, seed=step, fill_window=args.fill_window, walk=args.walk,
                      paraphrase=args.paraphrase, category_balance=args.category_balance,
                      fill_min_frames=args.fill_min_frames, fill_floor=args.fill_floor,
                      fill_max_peak=args.fill_max_peak)
    trainable.train()
    start = time.time()
    last_save = start
    running, running_aux, running_informative, gaps = [], [], [], []
    cat_index = {c: i for i, c in enumerate(categories)}

    def save():
        common.save_checkpoint(ckpt_path, {"trainable": trainable.state_dict(), "ema": ema.state_dict(),
                                           "optimizer": opt.state_dict(), "step": step, "log": log,
                                           "aux_head": aux_head.state_dict(), "aux_categories": categories,
                                           "latent_std": latents["latent_std"]})

    stop = []  # SIGTERM ends the run cleanly: the loop exits and the checkpoint is saved
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while step < args.steps and (time.time() - start) < args.minutes * 60 and not stop:
        x0, seconds, ids, mask, cats, content = batcher.batch(args.batch)
        x0, ids, mask, content = (v.to(device) for v in (x0, ids, mask, content))
        cond, pooled = conditioning(model, t5, ids, mask, seconds)
        t = torch.sigmoid(torch.randn(x0.shape[0], device=device))
        high = torch.rand(x0.shape[0], device=device) < args.high_noise
        t = torch.where(high, 0.8 + 0.2 * torch.rand(x0.shape[0], device=device), t)
        noise = torch.randn_like(x0)
        x_t = (1 - t[:, None, None]) * x0 + t[:, None, None] * noise
        v = model.dit(x_t, t, cross_attn_cond=cond["cross_attn_cond"], global_cond=cond["global_cond"],
                      cfg_dropout_prob=args.cfg_dropout)
        weight = content + args.pad_weight * (1 - content)
        error = (v - (noise - x0)).pow(2) * weight
        loss = (error * channel_weight[:, None]).sum() / (weight.sum() * channel_weight.sum())
        informative_loss = error[:, informative].sum() / (weight.sum() * informative.sum())
        target = torch.tensor([cat_index[c] for c in cats], device=device)
        aux = F.cross_entropy(aux_head(pooled), target)
        total = loss + args.aux_weight * aux
        if step % 50 == 0:  # diagnostic: own caption vs a caption rolled in from another clip
            with torch.no_grad():
                keep = torch.tensor([a != b for a, b in zip(cats, cats[1:] + cats[:1])], device=device)
                rolled = cond["cross_attn_cond"].clone()  # prompt rows only; seconds_total stays the clip's own
                rolled[:, : common.MAX_PROMPT_TOKENS] = rolled[:, : common.MAX_PROMPT_TOKENS].roll(-1, dims=0)
                v_own = model.dit(x_t, t, cross_attn_cond=cond["cross_attn_cond"], global_cond=cond["global_cond"])
                v_other = model.dit(x_t, t, cross_attn_cond=rolled, global_cond=cond["global_cond"])
                e_own = (v_own - (noise - x0))[:, informative].pow(2).mean(dim=(1, 2))[keep]
                e_other = (v_other - (noise - x0))[:, informative].pow(2).mean(dim=(1, 2))[keep]
                if keep.any():
                    gaps.append(float((e_other - e_own).mean() / e_own.mean()))
        for g in opt.param_groups:
            g["lr"] = args.lr * g.get("lr_mult", 1.0) * min(1.0, (step - warm_from + 1) / 100)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(trainable.parameters(), 1.0)
        opt.step()
        step += 1
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), trainable.parameters()):
                pe.mul_(decay).add_(p.detach(), alpha=1 - decay)
        running.append(loss.item())
        running_informative.append(informative_loss.item())
        running_aux.append(aux.item())
        if step % 25 == 0:
            avg = sum(running) / len(running)
            avg_aux = sum(running_aux) / len(running_aux)
            avg_informative = sum(running_informative) / len(running_informative)
            gap = sum(gaps) / len(gaps) if gaps else float("nan")
            running, running_aux, running_informative = [], [], []
            log.append({"step": step, "loss": avg, "informative": avg_informative, "aux": avg_aux,
                        "elapsed_s": time.time() - start, **({"gap": gap} if gaps else {})})
            if step % 100 == 0:
                gaps = []
            print(f"step {step} loss {avg:.4f} informative {avg_informative:.4f} aux {avg_aux:.3f} gap {gap:+.4f} "
                  f"({time.time() - start:.0f}s)",
                  flush=True)
        keep = args.keep_every and step % args.keep_every == 0
        if keep or time.time() - last_save > 300:
            save()
            last_save = time.time()
            if keep:
                shutil.copyfile(ckpt_path, os.path.join(args.out, f"dit_{step}.pt"))
    save()
    print(f"saved {ckpt_path} at step {step}", flush=True)


if __name__ == "__main__":
    main()
