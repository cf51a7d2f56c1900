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
    Category("reloading or mechanism", ("reload", "reloading", "gears", "gear", "ratchet",
                                        "mechanism", "clockwork"),
             ("装弹", "齿轮", "机关"), ("Mechanisms", "Ratchet, pawl", "Gears", "Clicking", "Tick",
                                   "Clatter", "Cap gun")),
    Category("gunshot", ("gunshot", "gunfire", "gun", "pistol", "rifle", "shotgun", "bullet",
                         "machine gun", "shot", "shots", "shooting", "musket", "sniper", "chaingun",
                         "submachine"),
             ("枪声", "枪", "射击", "开枪", "子弹"),
             ("Gunshot, gunfire", "Machine gun", "Cap gun", "Fusillade", "Artillery fire",
              "Explosion", "Bang")),
    Category("explosion", ("explosion", "explode", "exploding", "blast", "bomb", "detonation",
                           "grenade", "kaboom", "dynamite", "cannon", "mortar"),
             ("爆炸", "爆破", "炸弹", "手榴弹"), ("Explosion", "Boom", "Burst, pop", "Bang", "Fireworks",
                                           "Eruption", "Thunder", "Artillery fire")),
    Category("fireworks", ("firework", "fireworks", "firecracker"), ("烟花", "鞭炮", "烟火"),
             ("Fireworks", "Firecracker", "Explosion", "Burst, pop", "Bang")),
    Category("impact", ("hitting", "impact", "hit", "hits", "thud", "thwack", "thump", "smash",
                        "crash", "striking", "strike", "punch"),
             ("撞击", "击中", "重击"),
             ("Thump, thud", "Thunk", "Whack, thwack", "Smash, crash", "Bang", "Slap, smack",
              "Knock", "Clang", "Chink, clink", "Crack", "Breaking", "Wood", "Arrow")),
    Category("footsteps", ("footstep", "footsteps", "walking", "steps", "walk", "running steps"),
             ("脚步声", "脚步", "走路", "步伐"), ("Walk, footsteps", "Run", "Shuffle")),
    Category("pain or death cry", ("dying", "die", "death", "pain", "scream", "screaming", "moan",
                                   "wail", "groan", "shout", "yell", "cry", "crying"),
             ("死亡", "痛苦", "尖叫", "惨叫", "呻吟", "喊叫"),
             ("Screaming", "Groan", "Grunt", "Wail, moan", "Shout", "Yell", "Whimper",
              "Crying, sobbing", "Gasp", "Roar", "Growling", "Bellow")),
    Category("gasp or breathing", ("gasp", "gasping", "breathing", "breath", "panting"),
             ("喘气", "呼吸"), ("Gasp", "Breathing", "Pant", "Wheeze", "Sigh", "Snort")),
    Category("laughter", ("laugh", "laughter", "laughing", "giggle"), ("笑声", "大笑"),
             ("Laughter", "Giggle", "Belly laugh", "Chuckle, chortle", "Snicker")),
    Category("door knock", ("knock", "knocking"), ("敲门",), ("Knock", "Door", "Tap",
                                                            "Thump, thud", "Wood")),
    Category("doorbell", ("doorbell", "door bell"), ("门铃",), ("Doorbell", "Ding-dong", "Bell",
                                                             "Chime")),
    Category("cymbal", ("cymbal", "cymbals", "hi-hat", "hihat"), ("镲", "钹"),
             ("Cymbal", "Hi-hat", "Percussion", "Drum kit")),
    Category("door", ("door", "doors", "gate", "slam", "chest", "drawer", "cupboard"),
             ("关门", "开门", "门", "箱子"),
             ("Door", "Slam", "Sliding door", "Cupboard open or close", "Drawer open or close",
              "Knock", "Squeak", "Creak", "Thump, thud")),
    Category("dog", ("dog", "dogs", "bark", "barking", "puppy", "woof"), ("狗叫", "狗", "犬吠", "犬"),
             ("Bark", "Dog", "Bow-wow", "Yip", "Growling", "Howl", "Canidae, dogs, wolves")),
    Category("wolf", ("wolf", "wolves", "howl", "howling", "coyote"), ("狼嚎", "狼"),
             ("Howl", "Canidae, dogs, wolves", "Dog", "Wild animals", "Bark")),
    Category("cat", ("cat", "cats", "meow", "kitten", "purr"), ("猫叫", "猫"),
             ("Meow", "Cat", "Purr", "Caterwaul", "Hiss")),
    Category("crow", ("crow", "crows", "raven", "caw"), ("乌鸦",), ("Crow", "Caw", "Bird",
                                                                "Bird vocalization, bird call, bird song")),
    Category("chicken", ("chicken", "rooster", "hen", "cluck"), ("鸡", "公鸡", "母鸡"),
             ("Chicken, rooster", "Cluck", "Crowing, cock-a-doodle-doo", "Fowl")),
    Category("bird", ("bird", "birds", "birdsong", "chirp", "chirping", "tweet", "seagull", "owl",
                      "eagle", "hawk"),
             ("鸟叫", "鸟鸣", "鸟"), ("Bird", "Bird vocalization, bird call, bird song",
                                 "Chirp, tweet", "Squawk", "Owl", "Bird flight, flapping wings")),
    Category("cow", ("cow", "cows", "cattle", "moo", "bull", "ox"), ("牛叫", "奶牛", "牛"),
             ("Moo", "Cattle, bovinae", "Livestock, farm animals, working animals")),
    Category("horse", ("horse", "horses", "neigh", "gallop", "hooves", "cantering"), ("马蹄", "马嘶", "骑兵", "马"),
             ("Horse", "Neigh, whinny", "Clip-clop", "Livestock, farm animals, working animals")),
    Category("sheep or goat", ("sheep", "goat", "goats", "lamb", "bleat"), ("羊",),
             ("Sheep", "Goat", "Bleat", "Livestock, farm animals, working animals")),
    Category("pig", ("pig", "pigs", "oink", "boar"), ("猪",), ("Pig", "Oink", "Grunt")),
    Category("farm animals", ("farm animal", "farm animals", "livestock"), ("农场动物", "家畜"),
             ("Livestock, farm animals, working animals", "Animal", "Cattle, bovinae", "Moo",
              "Sheep", "Bleat", "Goat", "Pig", "Horse", "Chicken, rooster")),
    Category("snake", ("snake", "snakes", "hiss", "hissing", "rattlesnake"), ("蛇",),
             ("Snake", "Hiss", "Rattle")),
    Category("insect", ("insect", "bee", "bees", "fly", "mosquito", "cricket", "crickets", "buzzing"),
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
    Category("bell or chime", ("bell", "bells", "chime", "chimes", "gong", "church bell"),
             ("钟声", "铃铛", "铃", "钟"), ("Bell", "Church bell", "Chime", "Jingle bell", "Ding",
                                     "Gong", "Tubular bells", "Wind chime", "Change ringing (campanology)",
                                     "Singing bowl", "Glockenspiel")),
    Category("clock", ("clock", "ticking", "tick", "tock"), ("时钟", "滴答"),
             ("Tick", "Clock", "Tick-tock", "Mechanisms")),
    Category("aircraft", ("helicopter", "airplane", "aircraft", "jet", "plane"),
             ("直升机", "飞机"), ("Helicopter", "Aircraft", "Aircraft engine", "Jet engine",
                               "Fixed-wing aircraft, airplane", "Propeller, airscrew")),
    Category("engine", ("car", "engine", "motor", "truck", "vehicle", "revving", "motorcycle",
                        "kart", "diesel"),
             ("汽车", "引擎", "发动机", "马达", "卡车", "摩托"),
             ("Engine", "Car", "Vehicle", "Motor vehicle (road)", "Accelerating, revving, vroom",
              "Idling", "Medium engine (mid frequency)", "Heavy engine (low frequency)",
              "Light engine (high frequency)", "Motorcycle", "Truck", "Race car, auto racing",
              "Engine starting")),
    Category("train", ("train", "railway", "locomotive"), ("火车", "列车"),
             ("Train", "Rail transport", "Train whistle", "Train horn", "Railroad car, train wagon")),
    Category("horn", ("horn", "horns", "honk", "trumpet", "bugle"), ("号角", "喇叭", "鸣笛"),
             ("Vehicle horn, car horn, honking", "Toot", "Air horn, truck horn", "Foghorn",
              "Brass instrument", "French horn", "Trumpet", "Trombone")),
    Category("machine", ("machine", "machines", "machinery", "generator", "hovering", "hover",
                         "turbine", "mill", "fan"),
             ("机器", "机械", "发电机", "悬浮"),
             ("Mechanisms", "Engine", "Hum", "Whir", "Buzz", "Mechanical fan", "Vibration",
              "Idling", "Light engine (high frequency)", "Medium engine (mid frequency)",
              "Heavy engine (low frequency)", "Air conditioning", "Sewing machine", "Power tool")),
    Category("electric", ("electric", "electricity", "sparks", "spark", "zap", "buzz"),
             ("电子", "电流", "火花", "电"),
             ("Buzz", "Hum", "Mains hum", "Static", "Crackle", "Electric shaver, electric razor",
              "Zing")),
    Category("water splash", ("splash", "splashing", "splosh", "dive", "plop", "splatter"),
             ("溅水", "水花", "扑通", "出水"),
             ("Splash, splatter", "Water", "Slosh", "Plop", "Liquid", "Drip")),
    Category("water", ("water", "stream", "river", "waterfall", "drip", "dripping", "bubbles",
                       "bubbling", "pour", "pouring", "faucet"),
             ("流水", "水流", "河流", "瀑布", "滴水", "水"),
             ("Water", "Stream", "Waterfall", "Drip", "Gurgling", "Pour", "Liquid",
              "Trickle, dribble", "Water tap, faucet", "Splash, splatter")),
    Category("ocean", ("ocean", "sea", "waves", "surf", "beach"), ("海浪", "大海", "海"),
             ("Ocean", "Waves, surf", "Water", "Wind")),
    Category("fire", ("fire", "flames", "flame", "burning", "crackling", "campfire", "fireplace",
                      "torch"),
             ("火焰", "篝火", "燃烧", "火"), ("Fire", "Crackle", "Sizzle", "Rustle")),
    Category("wind", ("wind", "windy", "gust", "breeze", "storm"), ("风声", "大风", "风"),
             ("Wind", "Wind noise (microphone)", "Rustling leaves", "Whoosh, swoosh, swish",
              "Environmental noise")),
    Category("whoosh", ("whoosh", "swoosh", "swish", "woosh", "swing"),
             ("嗖", "呼啸", "挥舞"), ("Whoosh, swoosh, swish", "Arrow", "Wind", "Flap", "Zing")),
    Category("bow and arrow", ("bow", "arrow", "arrows", "crossbow", "archer"), ("弓", "箭"),
             ("Arrow", "Whoosh, swoosh, swish", "Thunk", "Thump, thud", "Zing", "Ping")),
    Category("blade weapon", ("sword", "swordsman", "blade", "spear", "spearman", "axe", "hatchet",
                              "knife", "dagger", "club", "mace", "pike", "cudgel", "stabbing"),
             ("剑", "刀", "长矛", "矛", "斧", "棍棒"),
             ("Clang", "Chink, clink", "Whoosh, swoosh, swish", "Whack, thwack", "Thump, thud",
              "Ping", "Scrape", "Slap, smack", "Smash, crash", "Ding")),
    Category("metal clang", ("clang", "metal", "clank", "armor", "armour"), ("金属", "盔甲"),
             ("Clang", "Ping", "Chink, clink", "Ding", "Jingle, tinkle", "Clatter", "Bell")),
    Category("tools", ("hammer", "hammering", "nail", "chisel", "construction", "blacksmith",
                       "smith", "anvil", "forge", "mining", "cutting"),
             ("锤子", "铁锤", "锤击", "敲打", "施工", "铁匠", "铁砧", "采矿", "切"),
             ("Hammer", "Tools", "Knock", "Tap", "Clang", "Chink, clink", "Thump, thud", "Ping",
              "Sawing", "Scrape", "Wood")),
    Category("sawing", ("saw", "sawing", "sawmill"), ("锯",), ("Sawing", "Tools", "Power tool",
                                                            "Filing (rasp)", "Chainsaw")),
    Category("wood chopping", ("chop", "chopping", "lumber", "lumbering", "woodcutter"),
             ("砍柴", "劈柴", "伐木"), ("Chop", "Wood", "Splinter", "Crack", "Knock", "Thump, thud",
                                    "Whack, thwack", "Breaking")),
    Category("drum", ("drum", "drums", "snare", "kick drum", "bass drum", "tabla", "percussion",
                      "tom"),
             ("鼓声", "鼓", "打击乐"), ("Drum", "Snare drum", "Bass drum", "Drum kit", "Percussion",
                                    "Tabla", "Drum machine", "Drum roll", "Timpani", "Rimshot")),
    Category("shaker", ("shaker", "maraca", "maracas", "tambourine", "rattle"), ("沙锤", "铃鼓"),
             ("Maraca", "Rattle (instrument)", "Tambourine", "Percussion", "Rattle")),
    Category("applause", ("applause", "clapping", "clap"), ("鼓掌", "掌声"),
             ("Applause", "Clapping", "Cheering", "Crowd", "Hands")),
    Category("coin", ("coin", "coins", "money"), ("硬币", "金币"),
             ("Coin (dropping)", "Chink, clink", "Jingle, tinkle", "Cash register")),
    Category("typing", ("typing", "keyboard", "typewriter"), ("打字", "键盘"),
             ("Typing", "Computer keyboard", "Typewriter", "Clicking")),
    Category("camera shutter", ("camera", "shutter"), ("相机", "快门"),
             ("Camera", "Single-lens reflex camera", "Mechanisms", "Clicking")),
    Category("beep or notification", ("beep", "beeps", "blip", "bleep", "notification", "message"),
             ("哔", "蜂鸣", "通知", "提示音"),
             ("Beep, bleep", "Sine wave", "Ping", "Ding", "Chime", "Buzzer", "Jingle, tinkle")),
    Category("click", ("click", "clicks", "clicking", "switch", "button"), ("点击", "咔嗒"),
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
    for cat in CATEGORIES:  # Chinese only when no English keyword matched
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
