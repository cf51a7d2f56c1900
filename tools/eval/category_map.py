"""Foley caption categories -> AudioSet (YAMNet) classes, English and Chinese keywords.

A caption belongs to the first category whose keyword occurs in it (English keywords
match whole words, case-insensitive; Chinese keywords match substrings). A clip
"adheres" when any of the category's accepted AudioSet classes is in YAMNet's top 5.
The accepted set lists the specific class first (the one the issue names) plus close
AudioSet siblings/parents, because AudioSet labels are hierarchical: a bark is labelled
both "Bark" and "Dog".

Categories are ordered from specific to generic so that "glass breaking" wins over
"breaking" and "rain on a window" over "window".
"""
from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class Category:
    name: str
    english: tuple[str, ...]
    chinese: tuple[str, ...]
    classes: tuple[str, ...]  # accepted AudioSet display names; first is the primary one


CATEGORIES: tuple[Category, ...] = (
    Category("glass breaking", ("glass break", "glass breaking", "glass shatter", "shatter",
                                "shattering", "broken glass", "glass smash"),
             ("玻璃破碎", "玻璃碎", "打碎玻璃"), ("Shatter", "Glass", "Breaking", "Chink, clink",
                                           "Smash, crash")),
    Category("thunder", ("thunder", "thunderstorm", "lightning"), ("雷声", "打雷", "雷雨", "雷"),
             ("Thunder", "Thunderstorm", "Rumble", "Boom")),
    Category("rain", ("rain", "raining", "rainfall", "drizzle", "downpour"), ("雨声", "下雨", "雨"),
             ("Rain", "Rain on surface", "Raindrop", "Water")),
    Category("gunshot", ("gunshot", "gunfire", "gun", "pistol", "rifle", "shotgun", "bullet",
                         "machine gun", "shot", "shots", "firing"),
             ("枪声", "枪", "射击", "开枪", "子弹"),
             ("Gunshot, gunfire", "Machine gun", "Cap gun", "Fusillade", "Artillery fire",
              "Explosion", "Bang")),
    Category("explosion", ("explosion", "explode", "exploding", "blast", "bomb", "detonation",
                           "grenade", "kaboom"),
             ("爆炸", "爆破", "炸弹"), ("Explosion", "Boom", "Burst, pop", "Bang", "Fireworks",
                                  "Eruption", "Thunder", "Artillery fire")),
    Category("fireworks", ("firework", "fireworks", "firecracker"), ("烟花", "鞭炮", "烟火"),
             ("Fireworks", "Firecracker", "Explosion", "Burst, pop", "Bang")),
    Category("footsteps", ("footstep", "footsteps", "walking", "steps", "walk", "running steps"),
             ("脚步声", "脚步", "走路", "步伐"), ("Walk, footsteps", "Run", "Shuffle")),
    Category("door knock", ("knock", "knocking"), ("敲门", "敲击"), ("Knock", "Door", "Tap",
                                                                  "Thump, thud", "Wood")),
    Category("doorbell", ("doorbell", "door bell"), ("门铃",), ("Doorbell", "Ding-dong", "Bell",
                                                             "Chime")),
    Category("door", ("door", "doors", "gate", "slam"), ("关门", "开门", "门"),
             ("Door", "Slam", "Sliding door", "Cupboard open or close", "Knock", "Squeak",
              "Creak", "Thump, thud")),
    Category("dog", ("dog", "dogs", "bark", "barking", "puppy", "woof"), ("狗叫", "狗", "犬吠", "犬"),
             ("Bark", "Dog", "Bow-wow", "Yip", "Growling", "Howl", "Canidae, dogs, wolves")),
    Category("wolf", ("wolf", "wolves", "howl", "howling"), ("狼嚎", "狼"),
             ("Howl", "Canidae, dogs, wolves", "Dog", "Wild animals", "Bark")),
    Category("cat", ("cat", "cats", "meow", "kitten", "purr"), ("猫叫", "猫"),
             ("Meow", "Cat", "Purr", "Caterwaul", "Hiss")),
    Category("crow", ("crow", "crows", "raven", "caw"), ("乌鸦",), ("Crow", "Caw", "Bird",
                                                                "Bird vocalization, bird call, bird song")),
    Category("chicken", ("chicken", "rooster", "hen", "cluck"), ("鸡", "公鸡", "母鸡"),
             ("Chicken, rooster", "Cluck", "Crowing, cock-a-doodle-doo", "Fowl")),
    Category("bird", ("bird", "birds", "birdsong", "chirp", "chirping", "tweet", "seagull", "owl"),
             ("鸟叫", "鸟鸣", "鸟"), ("Bird", "Bird vocalization, bird call, bird song",
                                 "Chirp, tweet", "Squawk", "Owl", "Bird flight, flapping wings")),
    Category("cow", ("cow", "cows", "cattle", "moo", "bull"), ("牛叫", "奶牛", "牛"),
             ("Moo", "Cattle, bovinae", "Livestock, farm animals, working animals")),
    Category("horse", ("horse", "horses", "neigh", "gallop", "hooves"), ("马蹄", "马嘶", "马"),
             ("Horse", "Neigh, whinny", "Clip-clop", "Livestock, farm animals, working animals")),
    Category("sheep or goat", ("sheep", "goat", "goats", "lamb", "bleat"), ("羊",),
             ("Sheep", "Goat", "Bleat", "Livestock, farm animals, working animals")),
    Category("pig", ("pig", "pigs", "oink", "boar"), ("猪",), ("Pig", "Oink", "Grunt")),
    Category("insect", ("insect", "bee", "bees", "fly", "mosquito", "cricket", "buzzing"),
             ("昆虫", "蜜蜂", "蚊子", "蟋蟀", "嗡嗡"),
             ("Insect", "Bee, wasp, etc.", "Buzz", "Fly, housefly", "Mosquito", "Cricket")),
    Category("frog", ("frog", "frogs", "croak", "toad"), ("青蛙", "蛙"), ("Frog", "Croak")),
    Category("siren", ("siren", "sirens", "ambulance", "police car"), ("警笛", "警报器", "救护车"),
             ("Siren", "Civil defense siren", "Police car (siren)", "Ambulance (siren)",
              "Emergency vehicle", "Fire engine, fire truck (siren)")),
    Category("alarm", ("alarm", "alarms", "alert", "warning"), ("警报", "闹钟", "报警"),
             ("Alarm", "Alarm clock", "Buzzer", "Beep, bleep", "Siren", "Smoke detector, smoke alarm",
              "Car alarm")),
    Category("telephone", ("phone", "telephone", "ringtone", "ringing"), ("电话", "铃声"),
             ("Telephone bell ringing", "Telephone", "Ringtone", "Telephone dialing, DTMF")),
    Category("bell", ("bell", "bells", "chime", "chimes", "gong", "church bell"),
             ("钟声", "铃铛", "铃", "钟"), ("Bell", "Church bell", "Chime", "Jingle bell", "Ding",
                                     "Gong", "Tubular bells", "Wind chime", "Change ringing (campanology)",
                                     "Singing bowl")),
    Category("clock", ("clock", "ticking", "tick", "tock"), ("时钟", "滴答"),
             ("Tick", "Clock", "Tick-tock", "Mechanisms")),
    Category("car engine", ("car", "engine", "motor", "truck", "vehicle", "revving", "motorcycle",
                            "kart"),
             ("汽车", "引擎", "发动机", "马达", "卡车", "摩托"),
             ("Engine", "Car", "Vehicle", "Motor vehicle (road)", "Accelerating, revving, vroom",
              "Idling", "Medium engine (mid frequency)", "Heavy engine (low frequency)",
              "Light engine (high frequency)", "Motorcycle", "Truck", "Race car, auto racing")),
    Category("helicopter or aircraft", ("helicopter", "airplane", "aircraft", "jet", "plane"),
             ("直升机", "飞机"), ("Helicopter", "Aircraft", "Aircraft engine", "Jet engine",
                               "Fixed-wing aircraft, airplane", "Propeller, airscrew")),
    Category("train", ("train", "railway", "locomotive"), ("火车", "列车"),
             ("Train", "Rail transport", "Train whistle", "Train horn", "Railroad car, train wagon")),
    Category("horn", ("horn", "honk", "car horn"), ("喇叭", "鸣笛"),
             ("Vehicle horn, car horn, honking", "Toot", "Air horn, truck horn", "Foghorn")),
    Category("water splash", ("splash", "splashing", "splosh", "dive", "plop"), ("溅水", "水花", "扑通"),
             ("Splash, splatter", "Water", "Slosh", "Plop", "Liquid", "Drip")),
    Category("water", ("water", "stream", "river", "waterfall", "drip", "dripping", "bubbles",
                       "bubbling", "pour", "pouring", "faucet"),
             ("流水", "水流", "河流", "瀑布", "滴水", "水"),
             ("Water", "Stream", "Waterfall", "Drip", "Gurgling", "Pour", "Liquid",
              "Trickle, dribble", "Water tap, faucet", "Splash, splatter")),
    Category("ocean", ("ocean", "sea", "waves", "surf", "beach"), ("海浪", "大海", "海"),
             ("Ocean", "Waves, surf", "Water", "Wind")),
    Category("fire", ("fire", "flames", "burning", "crackling", "campfire", "fireplace", "torch"),
             ("火焰", "篝火", "燃烧", "火"), ("Fire", "Crackle", "Sizzle", "Rustle")),
    Category("wind", ("wind", "windy", "gust", "breeze", "storm", "howling wind"), ("风声", "大风", "风"),
             ("Wind", "Wind noise (microphone)", "Rustling leaves", "Whoosh, swoosh, swish",
              "Environmental noise")),
    Category("whoosh", ("whoosh", "swoosh", "swish", "woosh", "arrow", "arrows", "swing"),
             ("嗖", "呼啸", "箭"), ("Whoosh, swoosh, swish", "Arrow", "Wind", "Flap", "Zing")),
    Category("sword or metal clang", ("sword", "blade", "clang", "metal", "anvil", "clank"),
             ("剑", "刀", "金属", "铁砧"), ("Clang", "Ping", "Chink, clink", "Ding", "Jingle, tinkle",
                                      "Bell", "Hammer", "Clatter")),
    Category("hammer", ("hammer", "hammering", "nail", "chisel", "construction", "smith"),
             ("锤", "敲打", "施工"), ("Hammer", "Tools", "Knock", "Tap", "Clang", "Wood")),
    Category("sawing", ("saw", "sawing"), ("锯",), ("Sawing", "Tools", "Power tool",
                                                  "Filing (rasp)", "Chainsaw")),
    Category("wood chopping", ("chop", "chopping", "axe", "wood", "lumber", "log"),
             ("砍柴", "劈柴", "木头", "木"), ("Chop", "Wood", "Splinter", "Crack",
                                         "Knock", "Thump, thud", "Whack, thwack")),
    Category("drum", ("drum", "drums", "snare", "kick drum", "bass drum", "tabla", "percussion"),
             ("鼓声", "鼓"), ("Drum", "Snare drum", "Bass drum", "Drum kit", "Percussion", "Tabla",
                           "Drum machine", "Drum roll", "Timpani")),
    Category("cymbal", ("cymbal", "cymbals", "hi-hat", "hihat"), ("镲", "钹"),
             ("Cymbal", "Hi-hat", "Percussion", "Drum kit")),
    Category("applause", ("applause", "clapping", "clap"), ("鼓掌", "掌声"),
             ("Applause", "Clapping", "Cheering", "Crowd", "Hands")),
    Category("laughter", ("laugh", "laughter", "laughing", "giggle"), ("笑声", "大笑"),
             ("Laughter", "Giggle", "Belly laugh", "Chuckle, chortle", "Snicker")),
    Category("scream", ("scream", "screaming", "shout", "yell", "death cry", "cry"),
             ("尖叫", "喊叫", "惨叫"), ("Screaming", "Shout", "Yell", "Whoop", "Wail, moan",
                                   "Crying, sobbing", "Groan", "Grunt")),
    Category("coin", ("coin", "coins", "money"), ("硬币", "金币"),
             ("Coin (dropping)", "Chink, clink", "Jingle, tinkle", "Cash register")),
    Category("typing", ("typing", "keyboard", "typewriter"), ("打字", "键盘"),
             ("Typing", "Computer keyboard", "Typewriter", "Clicking")),
    Category("camera shutter", ("camera", "shutter"), ("相机", "快门"),
             ("Camera", "Single-lens reflex camera", "Mechanisms", "Clicking")),
    Category("beep", ("beep", "beeps", "blip", "bleep"), ("哔", "蜂鸣"),
             ("Beep, bleep", "Sine wave", "Ping", "Buzzer", "Electronic tuner")),
    Category("click", ("click", "clicks", "clicking", "switch"), ("点击", "咔嗒"),
             ("Clicking", "Tick", "Tap", "Mechanisms", "Computer keyboard")),
)

_WORD = re.compile(r"[a-z][a-z\-']*")


def _english_phrases(caption: str) -> str:
    return " " + " ".join(_WORD.findall(caption.lower())) + " "


def categorize(caption: str) -> Category | None:
    """The category of a caption (English or Chinese), or None."""
    words = _english_phrases(caption)
    for cat in CATEGORIES:
        if any(f" {kw} " in words for kw in cat.english):
            return cat
        if any(kw in caption for kw in cat.chinese):
            return cat
    return None


def by_name(name: str) -> Category:
    for cat in CATEGORIES:
        if cat.name == name:
            return cat
    raise KeyError(name)


def validate(class_names: list[str]) -> list[str]:
    """Accepted class names that are not YAMNet classes (should be empty, but a few
    AudioSet names absent from YAMNet's 521 are tolerated and ignored)."""
    known = {n.lower() for n in class_names}
    return [f"{c.name}: {n}" for c in CATEGORIES for n in c.classes if n.lower() not in known]


def accepted_indices(cat: Category, class_names: list[str]) -> list[int]:
    index = {n.lower(): i for i, n in enumerate(class_names)}
    return [index[n.lower()] for n in cat.classes if n.lower() in index]
