#!/usr/bin/env python3
"""Train foley-mini's bilingual SentencePiece vocabulary (t5/spiece.model).

Text: the English and Chinese captions of the training split plus every term of the curated
glossary (so prompt words such as "slam" or "雨声" have pieces even when no training clip
uses them). T5's special ids (<pad> 0, </s> 1, <unk> 2, no BOS), case folding (users type
"Door slam"), and byte fallback so any UTF-8 prompt encodes without <unk>.
Usage: train_tokenizer.py --cache data-cache --out checkpoints [--vocab 2000]
"""
import argparse
import os

import sentencepiece as spm

import common
from vocabulary import CATEGORY_NAMES, GLOSSARY


def caption_text(cache):
    lines = []
    for row in common.read_manifest(cache, "train"):
        lines += [row["caption_en"], row["caption_zh"]]
    for en, zh in GLOSSARY.items():
        lines += [en, zh]
    for en, zh in CATEGORY_NAMES.values():
        lines += [en, zh]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=2000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    text_path = os.path.join(args.out, "tokenizer_text.txt")
    with open(text_path, "w", encoding="utf-8") as f:
        f.write("\n".join(caption_text(args.cache)) + "\n")
    spm.SentencePieceTrainer.train(
        input=text_path, model_prefix=os.path.join(args.out, "spiece"), vocab_size=args.vocab,
        model_type="unigram", character_coverage=1.0, byte_fallback=True, hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc_cf", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        split_digits=True, input_sentence_size=0, shuffle_input_sentence=False, num_threads=1,
        minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "spiece.model"))
    if sp.get_piece_size() > common.T5_CONFIG["vocab_size"]:
        raise SystemExit(f"tokenizer has {sp.get_piece_size()} pieces > T5 vocab_size {common.T5_CONFIG['vocab_size']}")
    for prompt in ("door slam", "Explosion", "footsteps on gravel", "雨声"):
        print(prompt, "->", sp.encode(prompt, out_type=str))
    print(f"pieces: {sp.get_piece_size()}")


if __name__ == "__main__":
    main()
