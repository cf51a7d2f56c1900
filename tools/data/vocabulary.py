"""Curated sound-effect vocabulary: path token -> (English term, Chinese term, role, category).

Roles decide where a term goes in a caption (see captions.py):
  src   a sound source (sword, wolf, door, rain)            "wolf", "狼"
  act   what happens (hit, die, open)                        "dying", "死亡"
  mat   a surface or material acted on (wood, gravel)        "metal", "金属"
  mod   a modifier placed before the source (big, distant)   "big", "大"
Tokens absent from this table are dropped, so the table is also the caption cleaner: game
jargon (sel, ack, unit names without a sound meaning) never reaches a caption.
Categories are the strata of the held-out split and the coarse labels of the model card.
Opening and closing carry none: a door opens, but so do a hi-hat, a chest and a fire, and
"hihat_closed01" filed under door made the generic caption "door" stand for cymbals too.
"""

# token: (english, chinese, role, category or "")
_TABLE = """
arrow|arrow|箭|src|weapon
arrows|arrow|箭|src|weapon
arrowfly|arrow whoosh|箭飞过|src|weapon
sling|sling stone|投石|src|weapon
sword|sword|剑|src|weapon
swordhit|sword|剑|src|weapon
swords|sword|剑|src|weapon
swordman|swordsman|剑士|src|weapon
swordsman|swordsman|剑士|src|weapon
spear|spear|长矛|src|weapon
spearman|spearman|长矛兵|src|weapon
pike|pike|长枪|src|weapon
axe|axe|斧头|src|weapon
battleaxe|battle axe|战斧|src|weapon
hatchet|hatchet|短斧|src|weapon
mace|mace|锤矛|src|weapon
club|club|棍棒|src|weapon
cudgel|cudgel|棍棒|src|weapon
knife|knife|刀|src|weapon
dagger|dagger|匕首|src|weapon
blade|blade|刀刃|src|weapon
bow|bow|弓|src|weapon
crossbow|crossbow|弩|src|weapon
archer|archer|弓箭手|src|weapon
catapult|catapult|投石机|src|weapon
ballist|ballista|弩炮|src|weapon
ballista|ballista|弩炮|src|weapon
cannon|cannon|大炮|src|weapon
gun|gun|枪|src|weapon
pistol|pistol|手枪|src|weapon
rifle|rifle|步枪|src|weapon
shotgun|shotgun|霰弹枪|src|weapon
shotty|shotgun|霰弹枪|src|weapon
smg|submachine gun|冲锋枪|src|weapon
machinegun|machine gun|机枪|src|weapon
mgheavy|heavy machine gun|重机枪|src|weapon
minigun|minigun|转管机枪|src|weapon
chaingun|chaingun|链式机枪|src|weapon
sniper|sniper rifle|狙击步枪|src|weapon
bullet|bullet|子弹|src|weapon
bullets|bullet|子弹|src|weapon
casings|shell casings|弹壳|src|weapon
musket|musket|火枪|src|weapon
rocket|rocket|火箭|src|weapon
missile|missile|导弹|src|weapon
grenade|grenade|手榴弹|src|weapon
mortar|mortar|迫击炮|src|weapon
laser|laser|激光|src|weapon
plasma|plasma|等离子|src|weapon
blaster|blaster|爆能枪|src|weapon
flamer|flamethrower|火焰喷射器|src|fire
flamethrower|flamethrower|火焰喷射器|src|fire
shield|shield|盾牌|src|impact
armor|armor|盔甲|src|impact
armour|armor|盔甲|src|impact
reload|reloading|装弹|act|weapon
shoot|shooting|射击|act|weapon
shot|gunshot|枪声|src|weapon
fire|fire|火|src|fire
fires|fire|火|src|fire
flame|flame|火焰|src|fire
flames|flames|火焰|src|fire
fireball|fireball|火球|src|fire
burning|burning fire|燃烧的火|src|fire
campfire|campfire|篝火|src|fire
torch|torch|火把|src|fire
extinguish|fire extinguished|灭火|src|fire
smolder|smoldering fire|闷燃的火|src|fire
explosion|explosion|爆炸|src|explosion
explosions|explosion|爆炸|src|explosion
explode|explosion|爆炸|src|explosion
explo|explosion|爆炸|src|explosion
exp|explosion|爆炸|src|explosion
blast|blast|爆炸|src|explosion
boom|boom|轰隆声|src|explosion
bomb|bomb|炸弹|src|explosion
nuke|nuclear explosion|核爆炸|src|explosion
dynamite|dynamite|炸药|src|explosion
tnt|dynamite|炸药|src|explosion
shockwave|shockwave|冲击波|src|explosion
meteor|meteor|陨石|src|explosion
fireworks|fireworks|烟花|src|explosion
debris|debris|碎片|src|impact
hit|hitting|击中|act|impact
hits|hitting|击中|act|impact
impact|impact|撞击|act|impact
strike|striking|击打|act|impact
thud|thud|重击声|src|impact
punch|punch|拳击|src|impact
kick|kick|踢|src|impact
slap|slap|拍打|src|impact
smash|smashing|砸碎|act|impact
crash|crash|撞击声|src|impact
break|breaking|破碎|act|impact
breaks|breaking|破碎|act|impact
breakglass|glass breaking|玻璃破碎|src|impact
breakwood|wood breaking|木头断裂|src|impact
breakmetal|metal breaking|金属断裂|src|impact
breakelectric|electric device breaking|电器损坏|src|machine
bodyimpact|body falling|身体倒地|src|impact
hitground|hitting the ground|撞击地面|src|impact
metalhitground|metal hitting the ground|金属撞击地面|src|impact
fleshstab|stabbing flesh|刺入血肉|src|impact
stab|stabbing|刺|act|impact
bounce|bouncing|弹跳|act|impact
bump|bump|碰撞|src|impact
clank|clank|铿锵声|src|impact
thwack|thwack|重击|src|impact
splat|splat|啪嗒声|src|impact
gib|gore splatter|血肉飞溅|src|impact
squishy|squishy hit|软物击打|src|impact
miss|missing|落空|act|weapon
swing|swing|挥舞|src|weapon
swish|swish|嗖的一声|src|weapon
swoosh|swoosh|嗖嗖声|src|weapon
whoosh|whoosh|呼啸声|src|weapon
attack|attacking|攻击|act|weapon
melee|melee|近战|src|weapon
fall|falling|倒下|act|impact
falling|falling|倒下|act|impact
footstep|footsteps|脚步声|act|footsteps
footsteps|footsteps|脚步声|act|footsteps
foorstep|footsteps|脚步声|act|footsteps
fs|footsteps|脚步声|act|footsteps
step|footsteps|脚步声|act|footsteps
steps|footsteps|脚步声|act|footsteps
hstep|footsteps|脚步声|act|footsteps
mstep|footsteps|脚步声|act|footsteps
concstep|footsteps|脚步声|act|footsteps
metalfootstep|footsteps on metal|金属上的脚步声|act|footsteps
swimstep|swimming|游泳|act|water
walk|walking|行走|act|footsteps
walking|walking|行走|act|footsteps
run|running|奔跑|act|footsteps
running|running|奔跑|act|footsteps
jump|jump|跳跃|src|footsteps
land|landing|落地|act|footsteps
landing|landing|落地|act|footsteps
stairs|stairs|楼梯|mat|footsteps
wood|wood|木头|mat|
wooden|wood|木头|mat|
metal|metal|金属|mat|
steel|steel|钢|mat|
iron|iron|铁|mat|
stone|stone|石头|mat|
rock|rock|岩石|mat|
dirt|dirt|泥土|mat|
mud|mud|泥|mat|
gravel|gravel|砾石|mat|
sand|sand|沙子|mat|
snow|snow|雪|mat|
grass|grass|草地|mat|
carpet|carpet|地毯|mat|
tile|tiles|瓷砖|mat|
concrete|concrete|混凝土|mat|
asphalt|asphalt|沥青路|mat|
tarmac|asphalt|沥青路|mat|
glass|glass|玻璃|mat|
ice|ice|冰|mat|
leather|leather|皮革|mat|
cloth|cloth|布|mat|
flesh|flesh|血肉|mat|
leaves|leaves|树叶|mat|
water|water|水|src|water
splash|splash|水花|src|water
splashin|splash into water|落水声|src|water
splashout|splash out of water|出水声|src|water
splosh|splash|水花|src|water
watr|water|水|src|water
drown|drowning|溺水|act|water
underwater|underwater|水下|src|water
bubble|bubbles|气泡|src|water
bubbles|bubbles|气泡|src|water
droplet|water drop|水滴|src|water
drip|dripping water|滴水|src|water
river|river|河流|src|water
stream|stream|溪流|src|water
waterfall|waterfall|瀑布|src|water
wave|waves|海浪|src|water
waves|waves|海浪|src|water
ocean|ocean|海洋|src|water
sea|sea|大海|src|water
lake|lake|湖|src|water
lava|lava|岩浆|src|fire
acid|acid|酸液|src|water
slime|slime|黏液|src|creature
rain|rain|雨声|src|weather
thunder|thunder|雷声|src|weather
lightning|lightning|闪电|src|weather
storm|storm|暴风雨|src|weather
wind|wind|风声|src|weather
windgust|wind gust|阵风|src|weather
arcticwind|arctic wind|寒风|src|weather
blowwind|blowing wind|呼呼的风|src|weather
ambience|ambience|环境声|src|ambience
ambient|ambience|环境声|src|ambience
amb|ambience|环境声|src|ambience
ambi|ambience|环境声|src|ambience
forest|forest|森林|src|ambience
night|night|夜晚|src|ambience
nightime|night|夜晚|src|ambience
day|daytime|白天|src|ambience
morning|morning|清晨|src|ambience
cave|cave|洞穴|src|ambience
city|city|城市|src|ambience
traffic|traffic|车流|src|vehicle
crowd|crowd|人群|src|human
tavern|tavern crowd|酒馆人声|src|human
market|market|集市|src|ambience
trade|market|集市|src|ambience
farm|farm|农场|src|ambience
church|church bell|教堂钟声|src|ambience
bell|bell|铃声|src|ui
bells|bells|铃声|src|ui
horn|horn|号角|src|ui
wolf|wolf|狼|src|animal
wolves|wolves|狼群|src|animal
dog|dog|狗|src|animal
cat|cat|猫|src|animal
horse|horse|马|src|animal
horses|horses|马|src|animal
canter|cantering|慢跑|act|animal
gallop|galloping|疾驰|act|animal
horseman|horse rider|骑兵|src|animal
cow|cow|牛|src|animal
cattle|cattle|牛群|src|animal
bull|bull|公牛|src|animal
ox|ox|牛|src|animal
pig|pig|猪|src|animal
hog|pig|猪|src|animal
sheep|sheep|羊|src|animal
goat|goat|山羊|src|animal
chicken|chicken|鸡|src|animal
rooster|rooster|公鸡|src|animal
duck|duck|鸭子|src|animal
bird|bird|鸟|src|animal
birds|birds|鸟|src|animal
birdchirp|bird chirping|鸟叫|src|animal
canary|canary|金丝雀|src|animal
crow|crow|乌鸦|src|animal
owl|owl|猫头鹰|src|animal
eagle|eagle|鹰|src|animal
hawk|hawk|鹰|src|animal
gull|seagull|海鸥|src|animal
camel|camel|骆驼|src|animal
elephant|elephant|大象|src|animal
lion|lion|狮子|src|animal
bear|bear|熊|src|animal
deer|deer|鹿|src|animal
moose|moose|驼鹿|src|animal
donkey|donkey|驴|src|animal
frog|frog|青蛙|src|animal
snake|snake|蛇|src|animal
bee|bee|蜜蜂|src|animal
bees|bees|蜜蜂|src|animal
fly|fly|苍蝇|src|animal
cricket|crickets|蟋蟀|src|animal
crickets|crickets|蟋蟀|src|animal
bat|bat|蝙蝠|src|animal
bats|bats|蝙蝠|src|animal
coyote|coyote|郊狼|src|animal
fish|fish|鱼|src|animal
animal|animal|动物|src|animal
fauna|animal|动物|src|animal
dragon|dragon|龙|src|creature
drake|dragon|龙|src|creature
wyvern|wyvern|飞龙|src|creature
gryphon|griffin|狮鹫|src|creature
monster|monster|怪物|src|creature
zombie|zombie|僵尸|src|creature
skeleton|skeleton|骷髅|src|creature
ghost|ghost|幽灵|src|creature
daemon|demon|恶魔|src|creature
demon|demon|恶魔|src|creature
troll|troll|巨魔|src|creature
ogre|ogre|食人魔|src|creature
orc|orc|兽人|src|creature
goblin|goblin|哥布林|src|creature
golem|golem|石像|src|creature
behemoth|behemoth|巨兽|src|creature
yeti|yeti|雪人|src|creature
alien|alien|外星生物|src|creature
aliens|alien|外星生物|src|creature
antlion|antlion|蚁狮|src|creature
spider|spider|蜘蛛|src|creature
bloodspiderwalk|spider walking|蜘蛛爬行|src|creature
growl|growl|低吼|src|creature
roar|roar|咆哮|src|creature
roaaar|roar|咆哮|src|creature
moan|moan|呻吟|src|creature
wail|wail|哀嚎|src|creature
screech|screech|尖啸|src|creature
hiss|hiss|嘶嘶声|src|creature
bite|bite|咬|src|creature
male|man|男人|mod|human
female|woman|女人|mod|human
man|man|男人|src|human
woman|woman|女人|src|human
human|human|人|src|human
soldier|soldier|士兵|src|human
soldiers|soldier|士兵|src|human
civilians|civilian|平民|src|human
civilian|civilian|平民|src|human
player|player|玩家|src|human
worker|worker|工人|src|human
dwarf|dwarf|矮人|src|human
elf|elf|精灵|src|human
death|dying|死亡|act|human
die|dying|死亡|act|human
dies|dying|死亡|act|human
dead|dying|死亡|act|human
maledeath|man dying|男人死亡|src|human
femaledeath|woman dying|女人死亡|src|human
malehurt|man in pain|男人痛苦|src|human
femalehurt|woman in pain|女人痛苦|src|human
civfemdeath|woman dying|女人死亡|src|human
pain|in pain|痛苦|act|human
hurt|in pain|痛苦|act|human
scream|scream|尖叫|src|human
screaming|screaming|尖叫|src|human
grunt|grunt|哼声|src|human
gasp|gasp|喘气|src|human
cough|cough|咳嗽|src|human
laugh|laugh|笑声|src|human
giggle|giggle|咯咯笑|src|human
clap|clap|拍手|src|percussion
applause|applause|掌声|src|human
eat|eating|吃东西|act|human
gulp|gulp|吞咽|src|human
slurp|slurp|吸溜声|src|human
door|door|门|src|door
doors|door|门|src|door
gate|gate|大门|src|door
stonegate|stone gate|石门|src|door
fencegate|fence gate|栅栏门|src|door
open|opening|打开|act|
opening|opening|打开|act|
opened|opening|打开|act|
close|closing|关闭|act|
closing|closing|关闭|act|
closed|closing|关闭|act|
slam|slam|砰地关上|act|door
lock|lock|锁|src|door
locked|locked|锁住|act|door
unlock|unlocking|开锁|act|door
creak|creak|吱嘎声|src|door
squeak|squeak|吱吱声|src|door
chest|chest|箱子|src|door
window|window|窗户|src|door
drawer|drawer|抽屉|src|door
car|car|汽车|src|vehicle
cars|cars|汽车|src|vehicle
engine|engine|引擎|src|vehicle
motor|motor|马达|src|vehicle
diesel|diesel engine|柴油发动机|src|vehicle
truck|truck|卡车|src|vehicle
tank|tank|坦克|src|vehicle
vehicle|vehicle|车辆|src|vehicle
buggy|buggy|越野车|src|vehicle
skid|tires skidding|轮胎打滑|src|vehicle
screech|screech|尖啸|src|vehicle
tires|tires|轮胎|src|vehicle
carhorn|car horn|汽车喇叭|src|vehicle
exhaust|exhaust|排气|src|vehicle
backfire|engine backfire|发动机回火|src|vehicle
train|train|火车|src|vehicle
railtrain|train|火车|src|vehicle
steamlocomotive|steam locomotive|蒸汽机车|src|vehicle
locomotive|locomotive|机车|src|vehicle
helicopter|helicopter|直升机|src|vehicle
rotor|rotor|旋翼|src|vehicle
plane|airplane|飞机|src|vehicle
airplane|airplane|飞机|src|vehicle
jet|jet|喷气机|src|vehicle
airship|airship|飞艇|src|vehicle
spaceship|spaceship|宇宙飞船|src|vehicle
ship|ship|船|src|vehicle
boat|boat|船|src|vehicle
warship|warship|战舰|src|vehicle
hover|hovering|悬浮|act|vehicle
hyperdrive|hyperdrive|超光速引擎|src|vehicle
hyperspace|hyperspace jump|超空间跳跃|src|vehicle
thruster|thruster|推进器|src|vehicle
jetpack|jetpack|喷气背包|src|vehicle
parachute|parachute|降落伞|src|vehicle
machine|machine|机器|src|machine
machines|machine|机器|src|machine
machinery|machinery|机械|src|machine
machinerydrone|machinery drone|机器嗡鸣|src|machine
alienmachinery|alien machinery|外星机械|src|machine
generator|generator|发电机|src|machine
turbine|turbine|涡轮|src|machine
fan|fan|风扇|src|machine
pump|pump|泵|src|machine
drone|drone|嗡嗡声|src|machine
hum|hum|嗡鸣|src|machine
buzz|buzz|嗡嗡声|src|machine
motorized|motor|马达|src|machine
robot|robot|机器人|src|machine
bot|robot|机器人|src|machine
mech|mech|机甲|src|machine
gear|gears|齿轮|src|machine
gears|gears|齿轮|src|machine
windmill|windmill|风车|src|machine
mill|mill|磨坊|src|machine
sawmill|sawmill|锯木厂|src|machine
clock|clock|时钟|src|machine
tick|ticking|滴答声|src|machine
tock|tock|滴答声|src|machine
electric|electric|电流|src|machine
electricity|electricity|电流|src|machine
elec|electric|电子|src|machine
electro|electric|电子|src|machine
spark|sparks|火花|src|machine
sparks|sparks|火花|src|machine
zap|zap|电击声|src|machine
bzzt|electric buzz|电流声|src|machine
steam|steam|蒸汽|src|machine
teleport|teleport|传送|src|magic
telein|teleport|传送|src|magic
teleout|teleport|传送|src|magic
teleporter|teleporter|传送器|src|magic
portal|portal|传送门|src|magic
warp|warp|扭曲|src|magic
beam|beam|光束|src|magic
energy|energy|能量|src|magic
magic|magic spell|魔法|src|magic
spell|spell|咒语|src|magic
heal|healing spell|治疗法术|src|magic
holy|holy magic|神圣魔法|src|magic
summon|summoning|召唤|act|magic
summoner|summoner|召唤师|src|magic
archmage|archmage|大法师|src|magic
battlemage|battle mage|战斗法师|src|magic
shaman|shaman|萨满|src|magic
faeriefire|fairy fire|精灵之火|src|magic
freeze|freezing spell|冰冻法术|src|magic
powerup|power up|能量提升|src|magic
potion|potion|药水|src|magic
hammer|hammer|锤子|src|tools
hammering|hammering|敲打|src|tools
anvil|anvil|铁砧|src|tools
smith|blacksmith|铁匠|src|tools
blacksmith|blacksmith|铁匠|src|tools
forge|forge|锻造|src|tools
saw|saw|锯子|src|tools
sawing|sawing|锯|src|tools
benchsaw|bench saw|台锯|src|tools
drill|drill|钻|src|tools
chop|chopping|砍|act|tools
woodcutting|chopping wood|砍柴|src|tools
lumber|chopping wood|伐木|src|tools
lumbering|chopping wood|伐木|src|tools
tree|tree|树|src|tools
treeexpire|tree falling|树倒下|src|tools
stonecutter|stone cutting|切石头|src|tools
stonecutting|stone cutting|切石头|src|tools
dig|digging|挖掘|act|tools
digging|digging|挖掘|act|tools
dug|digging|挖掘|act|tools
mine|mining|采矿|act|tools
mining|mining|采矿|act|tools
pickaxe|pickaxe|镐|src|tools
build|construction|建造|src|tools
building|building|建筑|src|tools
construction|construction|建造|src|tools
con|construction|建造|src|tools
construct|construction|建造|src|tools
gather|gathering|采集|act|tools
gathering|gathering|采集|act|tools
harvest|harvesting|收割|act|tools
farming|farming|耕作|act|tools
hoe|hoe|锄头|src|tools
meat|meat|肉|src|tools
fruit|fruit|水果|src|tools
field|field|田地|src|tools
weld|welding|焊接|src|tools
tool|tool|工具|src|tools
tools|tools|工具|src|tools
paper|paper|纸|src|tools
scratch|scratch|刮擦|src|tools
pottery|pottery|陶器|src|tools
coin|coin|硬币|src|ui
coins|coins|硬币|src|ui
pickup|pickup|拾取|src|ui
pkup|pickup|拾取|src|ui
item|item|物品|src|ui
click|click|点击声|src|ui
clik|click|点击声|src|ui
button|button|按钮|src|ui
beep|beep|哔哔声|src|ui
ping|ping|叮|src|ui
pop|pop|啵|src|ui
blip|blip|哔|src|ui
chime|chime|铃声|src|ui
ding|ding|叮|src|ui
alarm|alarm|警报|src|ui
alarmalert|alarm|警报|src|ui
klaxon|klaxon|警笛|src|ui
siren|siren|警笛|src|ui
alert|alert|提醒|src|ui
notify|notification|通知|src|ui
notification|notification|通知|src|ui
message|message notification|消息提示|src|ui
error|error sound|错误提示音|src|ui
warning|warning sound|警告提示音|src|ui
dialog|dialog sound|对话框提示音|src|ui
question|question sound|询问提示音|src|ui
menu|menu|菜单|src|ui
interface|interface|界面|src|ui
complete|complete chime|完成提示音|src|ui
completed|complete chime|完成提示音|src|ui
success|success chime|成功提示音|src|ui
login|login sound|登录提示音|src|ui
logout|logout sound|注销提示音|src|ui
phone|phone|电话|src|ui
camera|camera shutter|相机快门|src|ui
shutter|camera shutter|相机快门|src|ui
shutterclick|camera shutter|相机快门|src|ui
trash|trash|垃圾桶|src|ui
plug|plug|插入|src|ui
unplug|unplug|拔出|src|ui
power|power|电源|src|ui
countdown|countdown|倒计时|src|ui
respawn|respawn|重生|src|ui
spawn|spawn|出现|src|ui
itemspawn|item appearing|物品出现|src|ui
switch|switch|开关|src|ui
lever|lever|拉杆|src|ui
typewriter|typewriter|打字机|src|ui
keyboard|keyboard|键盘|src|ui
tecla|key press|按键|src|ui
drum|drum|鼓|src|percussion
drums|drum|鼓|src|percussion
bd|bass drum|底鼓|src|percussion
bassdrum|bass drum|底鼓|src|percussion
snare|snare drum|军鼓|src|percussion
sn|snare drum|军鼓|src|percussion
tom|tom drum|通鼓|src|percussion
hihat|hi-hat|踩镲|src|percussion
cymbal|cymbal|镲|src|percussion
tabla|tabla|塔布拉鼓|src|percussion
perc|percussion|打击乐|src|percussion
percussion|percussion|打击乐|src|percussion
shaker|shaker|沙锤|src|percussion
triangle|triangle|三角铁|src|percussion
cowbell|cowbell|牛铃|src|percussion
gong|gong|锣|src|percussion
glitch|glitch|故障音|src|percussion
vinyl|vinyl record|黑胶唱片|src|percussion
rewind|rewinding|倒带|act|percussion
scratching|scratching|搓碟|act|percussion
crack|crack|爆裂声|src|impact
snap|snap|折断声|src|impact
rumble|rumble|隆隆声|src|ambience
earthquake|earthquake|地震|src|ambience
quake|earthquake|地震|src|ambience
static|radio static|无线电杂音|src|machine
radio|radio|收音机|src|machine
glass|glass|玻璃|mat|
crystal|crystal|水晶|src|impact
paint|paint|颜料|src|tools
eraser|eraser|橡皮|src|tools
ball|ball|球|src|impact
balls|ball|球|src|impact
whistle|whistle|哨声|src|ui
pfiff|whistle|哨声|src|ui
small|small|小|mod|
big|big|大|mod|
large|large|大|mod|
huge|huge|巨大|mod|
heavy|heavy|沉重|mod|
light|light|轻|mod|
distant|distant|远处的|mod|
far|distant|远处的|mod|
soft|soft|轻柔|mod|
hard|hard|猛烈|mod|
loud|loud|响亮|mod|
fast|fast|快速|mod|
slow|slow|缓慢|mod|
long|long|长|mod|
short|short|短|mod|
metallic|metallic|金属的|mod|
electronic|electronic|电子|mod|
"""


def _parse(table: str):
    vocab = {}
    for line in table.strip().splitlines():
        token, english, chinese, role, category = line.split("|")
        if role not in ("src", "act", "mat", "mod"):
            raise ValueError(f"vocabulary: bad role {role!r} for {token!r}")
        # The first entry wins, so a token listed twice keeps its first meaning.
        vocab.setdefault(token, (english, chinese, role, category))
    return vocab


VOCABULARY = _parse(_TABLE)

# English term -> Chinese: the curated sound-effects glossary, derived from the table above
# (the same English term always gets the same Chinese term).
GLOSSARY = {}
for _en, _zh, _role, _cat in VOCABULARY.values():
    GLOSSARY.setdefault(_en, _zh)

# Categories in priority order: a clip whose path mentions several takes the first one.
CATEGORY_PRIORITY = ["explosion", "footsteps", "door", "weather", "water", "fire", "vehicle", "animal",
                     "creature", "human", "impact", "weapon", "magic", "machine", "tools", "percussion",
                     "ambience", "ui"]

# Users' words for what the file names call otherwise: train_dit.py --paraphrase trains a share of
# the clips whose captions hold one of these phrases under a paraphrase, so that a prompt such as
# "door slam" (no file name says slam) reaches the "door closing" clips. Each entry: the phrase in
# English and in Chinese, then its paraphrases; the two languages are replaced together.
PARAPHRASES = (
    (("door closing", "门关闭"), (("door slam", "砰地关门"), ("door shutting", "关门"))),
    (("footsteps", "脚步声"), (("walking", "走路声"), ("steps", "步伐声"))),
    (("explosion", "爆炸"), (("blast", "爆破"), ("boom", "轰隆"))),
)

CATEGORY_NAMES = {  # English, Chinese: the caption used when nothing more specific is known
    "explosion": ("explosion", "爆炸"), "footsteps": ("footsteps", "脚步声"), "door": ("door", "门"),
    "weather": ("weather", "天气"), "water": ("water", "水"), "fire": ("fire", "火"),
    "vehicle": ("vehicle", "车辆"), "animal": ("animal", "动物"), "creature": ("creature", "怪物"),
    "human": ("human voice", "人声"), "impact": ("impact", "撞击"), "weapon": ("weapon", "武器"),
    "magic": ("magic spell", "魔法"), "machine": ("machine", "机器"), "tools": ("tool", "工具"),
    "percussion": ("percussion", "打击乐"), "ambience": ("ambience", "环境声"), "ui": ("interface sound", "提示音"),
}
