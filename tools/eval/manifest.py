"""Reading the dataset manifest (tools/data writes it under data-cache/).

Accepted formats: JSON Lines (one object per clip), a JSON list, or CSV/TSV with a
header. Field names are matched loosely so the evaluator does not break when the
data pipeline renames a column: the first present of each alias list is used.
Relative audio paths are resolved against the manifest's directory (then its
parent directories, then --audio-root).
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os

ALIASES = {
    "path": ("audio_path", "path", "audio", "file", "wav", "flac", "clip_path", "audio_file"),
    "caption_en": ("caption_en", "caption", "text", "prompt", "caption_english", "en"),
    "caption_zh": ("caption_zh", "caption_cn", "zh", "caption_chinese", "prompt_zh"),
    "split": ("split", "subset", "fold", "set"),
    "seconds": ("seconds", "duration", "duration_s", "seconds_total", "length_s"),
    "id": ("id", "clip_id", "key", "name", "uid"),
    "package": ("package", "source", "pkg", "origin"),
}


@dataclasses.dataclass
class Clip:
    id: str
    path: str
    caption_en: str
    caption_zh: str
    split: str
    seconds: float | None
    package: str


def _pick(row: dict, field: str, default=""):
    for key in ALIASES[field]:
        if key in row and row[key] not in (None, ""):
            value = row[key]
            if isinstance(value, list):  # several captions: take the first
                value = value[0] if value else default
            return value
    return default


def _rows(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if path.endswith((".jsonl", ".ndjson")) or (stripped.startswith("{") and "\n{" in text):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if stripped.startswith("["):
        return json.loads(text)
    if stripped.startswith("{"):
        obj = json.loads(text)
        for key in ("clips", "items", "data", "rows"):
            if isinstance(obj.get(key), list):
                return obj[key]
        raise ValueError(f"{path}: JSON object without a clips/items list")
    dialect = "excel-tab" if path.endswith(".tsv") or "\t" in text.splitlines()[0] else "excel"
    return list(csv.DictReader(text.splitlines(), dialect=dialect))


def _resolve(audio: str, manifest_dir: str, audio_root: str | None) -> str:
    if os.path.isabs(audio):
        return audio
    candidates = []
    if audio_root:
        candidates.append(os.path.join(audio_root, audio))
    d = manifest_dir
    for _ in range(4):
        candidates.append(os.path.join(d, audio))
        d = os.path.dirname(d)
    for c in candidates:
        if os.path.exists(c):
            return c
    return candidates[0]


def load(path: str, audio_root: str | None = None) -> list[Clip]:
    rows = _rows(path)
    base = os.path.dirname(os.path.abspath(path))
    clips = []
    for i, row in enumerate(rows):
        audio = ""
        for key in ALIASES["path"][:1] + ("clip_path", "audio_file", "wav"):
            audio = audio or row.get(key, "")
        # tools/data layout: column "clip" names <manifest dir>/clips/<clip>.wav and "path"
        # is the file's path inside its source package.
        if not audio and row.get("clip"):
            candidate = os.path.join(base, "clips", f"{row['clip']}.wav")
            if os.path.exists(candidate):
                audio = candidate
        audio = audio or _pick(row, "path")
        if not audio:
            raise ValueError(f"{path}: row {i} has no audio path (fields: {sorted(row)})")
        seconds = _pick(row, "seconds", None)
        clips.append(Clip(id=str(row.get("clip") or _pick(row, "id", "") or i),
                          path=_resolve(str(audio), base, audio_root),
                          caption_en=str(_pick(row, "caption_en")),
                          caption_zh=str(_pick(row, "caption_zh")),
                          split=str(_pick(row, "split", "")).lower(),
                          seconds=float(seconds) if seconds not in (None, "") else None,
                          package=str(_pick(row, "package"))))
    return clips


HELD_OUT_NAMES = ("test", "heldout", "held_out", "held-out", "eval", "evaluation", "holdout")


def held_out(clips: list[Clip], split: str | None = None) -> list[Clip]:
    if split:
        return [c for c in clips if c.split == split.lower()]
    return [c for c in clips if c.split in HELD_OUT_NAMES]
