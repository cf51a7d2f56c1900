"""Captions from file paths: "attack/impact/arrow_wood_09.ogg" -> ("arrow hitting wood", "箭击中木头").

Only tokens of the curated vocabulary (vocabulary.py) reach a caption, so numbers, game jargon
and unit names are dropped. The file name decides the caption; the two closest folders only
fill in what the name lacks (the action in "impact/arrow_wood", the surface in
"footsteps/gravel3"). Clips whose paths name music or speech are excluded (is_excluded), and
clips with no known word get no caption (caption_for_path returns None) and are left out.
Everything here is pure Python (no numpy), so the CTest unit tests run on any python3.
"""
import hashlib
import re

from vocabulary import CATEGORY_NAMES, CATEGORY_PRIORITY, VOCABULARY

# Path tokens that mark music, instrument notes or speech: such clips are not sound effects.
EXCLUDE_TOKENS = {
    "music", "musics", "song", "songs", "theme", "intro", "outro", "fanfare", "jingle", "loop", "loops",
    "bassloops", "beats", "beat", "chiptune", "instruments", "basses", "stringsnpads", "latin", "waveforms",
    "shapes", "guit", "guitar", "bass", "piano", "violin", "strings", "organ", "harp", "flute", "trumpet",
    "choir", "synth", "cembalo", "tuba", "note", "notes", "melody", "voice", "voices", "speech", "talk",
    "taunt", "announcer", "codriver", "ack", "acknowledge", "sel", "select", "selected", "chat", "letsgo",
    "excuseme", "ready", "underattack", "coms", "hcmaintitle", "hccredits", "sing", "singing",
}

# Folders that never say anything about the sound (they are skipped before the vocabulary).
_GENERIC_FOLDERS = {"usr", "share", "games", "sounds", "sound", "audio", "data", "sfx", "wav", "ogg",
                    "samples", "soundfx", "effects", "misc", "stereo", "default", "sounds_", "base"}

# The freedesktop sound-theme directory: its names describe desktop events, so a word there can mean
# something else than in a game ("Oxygen-Window-Minimize" is an interface whoosh, not a house window,
# and made the caption "door" stand for such whooshes).
DESKTOP_THEME_DIR = "usr/share/sounds/"
DESKTOP_TERMS = {"window": ("desktop window", "桌面窗口", "src", "ui")}

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z]+")
_WALK_ACTS = {"footsteps", "walking", "running", "landing"}
_HIT_ACTS = {"hitting", "impact", "striking"}


def tokens_of(component: str):
    """'Footstep_Wood-Walking02b' -> ['footstep', 'wood', 'walking', 'b'] (digits split, lower case)."""
    words = []
    for part in _SPLIT.split(_CAMEL.sub(" ", component)):
        if part:
            words.extend(w.lower() for w in part.split())
    return words


def _path_parts(path: str):
    """(folder token lists nearest first, stem tokens) for a path inside a package."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", parts[-1]) if parts else ""
    folders = [p for p in parts[:-1] if not p.startswith("zip_") and p.lower() not in _GENERIC_FOLDERS]
    return [tokens_of(f) for f in reversed(folders)], tokens_of(stem)


def is_excluded(path: str) -> bool:
    """True when the path names music, instrument notes or speech."""
    folders, stem = _path_parts(path)
    return any(t in EXCLUDE_TOKENS for t in stem) or any(t in EXCLUDE_TOKENS for f in folders for t in f)


def _terms(tokens, overrides=None):
    table = VOCABULARY if overrides is None else {**VOCABULARY, **overrides}
    return [table[t] for t in tokens if t in table]


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out


def _zh_sound(text: str) -> str:
    """'狼' -> '狼的声音': a bare Chinese noun reads as a sound only with a sound word."""
    return text if text.endswith(("声", "音", "响")) else text + "的声音"


def caption_for_path(path: str):
    """Returns (english, chinese, category) or None when the path has no known sound word."""
    folders, stem = _path_parts(path)
    overrides = DESKTOP_TERMS if path.replace("\\", "/").lstrip("/").startswith(DESKTOP_THEME_DIR) else None
    stem_terms = _terms(stem, overrides)
    near_terms = [t for f in folders[:2] for t in _terms(f, overrides)]
    by_role = {role: _unique([t for t in stem_terms if t[2] == role]) for role in ("src", "act", "mat", "mod")}
    # Folders fill only the roles the file name leaves empty.
    for role in ("act", "mat", "src"):
        if not by_role[role]:
            if role == "src" and by_role["act"]:
                continue  # "mining/mine_stone": the action is enough, the folder adds no source
            by_role[role] = _unique([t for t in near_terms if t[2] == role])[:1]
    srcs, acts, mats, mods = by_role["src"][:2], by_role["act"][:1], by_role["mat"][:1], by_role["mod"][:1]
    if not (srcs or acts or mats):
        return None
    category = _category(stem_terms + near_terms + [t for f in folders[2:] for t in _terms(f, overrides)])
    en_mod = " ".join(m[0] for m in mods)
    zh_mod = "".join(m[1] for m in mods)
    en_src = " ".join(s[0] for s in srcs)
    zh_src = "".join(s[1] for s in srcs)
    act = acts[0] if acts else None
    mat = mats[0] if mats else None
    if act and act[0] in _WALK_ACTS:
        if mat:
            en = f"{act[0]} on {mat[0]}"
            zh = f"{mat[1]}上的{act[1]}" if act[0] == "footsteps" else f"在{mat[1]}上{act[1]}"
        else:
            en = f"{en_src} {act[0]}".strip()
            zh = f"{zh_src}{act[1]}"
        en, zh = f"{en_mod} {en}".strip(), zh_mod + zh
    elif act and act[0] in _HIT_ACTS and (srcs or mat):
        if srcs and mat:
            en, zh = f"{en_src} hitting {mat[0]}", f"{zh_src}击中{mat[1]}"
        elif srcs:
            en, zh = f"{en_src} impact", f"{zh_src}撞击声"
        else:
            en, zh = f"impact on {mat[0]}", f"撞击{mat[1]}"
        en, zh = f"{en_mod} {en}".strip(), zh_mod + zh
    elif srcs and act:
        en, zh = f"{en_mod} {en_src} {act[0]}".strip(), f"{zh_mod}{zh_src}{act[1]}"
        if mat:
            en, zh = f"{en} {mat[0]}", f"{zh}{mat[1]}"
    elif act:
        en = f"{act[0]} {mat[0]}" if mat else act[0]
        zh = f"{act[1]}{mat[1]}" if mat else _zh_sound(act[1])
    elif srcs:
        en, zh = f"{en_mod} {en_src}".strip(), _zh_sound(zh_mod + zh_src)
        if mat:
            en, zh = f"{en} on {mat[0]}", f"{zh_mod}{zh_src}撞击{mat[1]}"
    else:
        en, zh = f"{mat[0]} impact", f"{mat[1]}撞击声"
    return en, zh, category


def _category(terms):
    found = {t[3] for t in terms if t[3]}
    for category in CATEGORY_PRIORITY:
        if category in found:
            return category
    return "impact" if any(t[2] == "mat" for t in terms) else "misc"


def category_caption(category: str):
    """(english, chinese) generic caption of a category, used for caption augmentation."""
    return CATEGORY_NAMES.get(category, ("sound effect", "音效"))


def stable_hash(clip_id: str) -> int:
    """A platform-independent 64-bit hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha1(clip_id.encode("utf-8")).digest()[:8], "big")


def assign_split(clips, test_permille: int = 50):
    """clips: list of (clip_id, category). Returns {clip_id: "train" | "test"}.

    A clip goes to test when stable_hash % 1000 < test_permille; then every category with at
    least two clips is fixed up so that it has both a training and a test clip (the smallest-
    hash clip moves to test, or the largest-hash test clip moves back to train). Each clip's
    side depends only on its own hash except for those fix-ups."""
    split = {cid: ("test" if stable_hash(cid) % 1000 < test_permille else "train") for cid, _ in clips}
    by_category = {}
    for cid, category in clips:
        by_category.setdefault(category, []).append(cid)
    for category, ids in by_category.items():
        if len(ids) < 2:
            continue
        ids = sorted(ids, key=stable_hash)
        if not any(split[c] == "test" for c in ids):
            split[ids[0]] = "test"
        if not any(split[c] == "train" for c in ids):
            split[ids[-1]] = "train"
    return split
