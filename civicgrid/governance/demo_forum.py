"""The demo's grid forums (大家讲), for the demo loader (`site.demo`): `load(stdout=None)`.

On the demo county (district 329881, made by `site.demo`), every grid gets six topics raised by the
residents of its village: open ones with some support, one on the agenda of the next planned meeting
of its grid or village, one closed by the grid worker with a note, one hidden with a note (seen by
the moderators and region staff only), and one more open or closed; with supports (10 to 12 for the
one on the agenda, never a topic left waiting at the threshold while a meeting is planned) and
replies (some by the grid worker, a few hidden). The persona `resident` raises and supports topics in
the first grid of their community, so that login sees its own.

Each village gets 12 resident accounts (demo e-mail domain, no password). A topic goes onto the
earliest planned meeting of its grid or village (`services_forum.next_meeting`); a village without
one gets a one-off planned meeting "…大家讲议题协商会", so the demo has topics on an agenda whichever
part loads first. Rows are written in bulk (a few thousand, a few seconds) with their kept counts;
`delete(places)` removes it all for `load_demo --reset` (before the demo's accounts go).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment
from civicgrid.governance.models import AgendaItem, ForumReply, ForumSupport, ForumTopic, Meeting
from civicgrid.governance.services_forum import next_meeting
from civicgrid.places.models import Place

DEMO_SEED = 20261214
# The demo county's county-level city (`site.demo.DISTRICT_CODE`; governance may not import site).
DEMO_DISTRICT_CODE = "329881"
# Generated accounts carry the demo's e-mail domain, so `load_demo --reset` removes them.
EMAIL_DOMAIN = "demo.invalid"
RESIDENTS_PER_VILLAGE = 12
# The one-off meeting made for a village that has none planned; `delete` finds it by this ending.
MEETING_SUFFIX = "大家讲议题协商会"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "建华秀兰志刚丽娟春生桂英海波玉珍国强美华小红德明金凤永康晓燕卫东红梅"

TOPICS = (
    ("学校后面的小路装路灯", "小路晚上没有灯，孩子放学、老人散步都不安全，希望装几盏路灯。"),
    ("村口垃圾桶太少，经常满出来", "夏天味道大，建议增加两个分类垃圾桶，并且每天早晚各清运一次。"),
    ("广场舞音乐声音太大", "晚上九点以后还很响，影响老人和学生休息，能不能约定时间和音量？"),
    ("菜市场门口增设减速带", "电动车、汽车开得太快，早上买菜的老人多，建议加减速带和斑马线。"),
    ("小区增设电动车充电桩", "楼道里飞线充电很危险，希望在车棚装集中充电桩。"),
    ("河边步道的栏杆松动了", "靠近二号桥的一段栏杆晃得厉害，孩子常在那里玩，请尽快加固。"),
    ("老年食堂能否增加送餐", "行动不便的老人去食堂不方便，建议开通送餐上门，费用可以商量。"),
    ("篮球场地面开裂", "球场地面有好几道裂缝，打球容易崴脚，希望修补并重新画线。"),
    ("公交站台加个遮雨棚", "下雨天等车没地方躲，老人小孩都淋雨。"),
    ("楼道堆放杂物清理", "三号楼楼道堆了很多旧家具，挡住消防通道，希望组织一次集中清理。"),
    ("增加快递柜", "快递都堆在门卫室，经常拿错，希望在小区门口装智能快递柜。"),
    ("停车位划线规范停车", "晚上车停得乱，消防车进不来，建议重新划车位并安排巡查。"),
    ("儿童游乐设施更新", "滑梯生锈、秋千链条磨损，存在安全隐患，建议更换。"),
    ("自来水水压偏低", "高峰时段五楼以上水压很低，洗澡都困难，请联系水务公司看看。"),
    ("开设四点半课堂", "双职工家庭孩子放学没人照看，希望社区开四点半课堂，可以请志愿者辅导。"),
    ("池塘边加装防护网和警示牌", "池塘边没有护栏，夏天孩子去玩水很危险。"),
    ("组织一次邻里议事会讨论养狗问题", "遛狗不牵绳、狗粪不清理的情况多，大家坐下来商量个公约。"),
    ("村道两边的树需要修剪", "树枝挡住路灯和视线，会车时看不到对面来车。"),
    ("建议设立旧衣物回收点", "家里旧衣服很多，扔掉可惜，希望设个回收箱统一捐赠。"),
    ("老旧小区加装电梯征求意见", "四层以上住的多是老人，上下楼困难，想问问大家对加装电梯的意见。"),
    ("农贸市场排水沟堵塞", "一下雨就积水，路面又脏又滑，请疏通排水沟。"),
    ("卫生服务站延长周末服务时间", "上班族平时没时间量血压、开药，希望周六上午也开门。"),
    ("在公园增加公共厕所", "公园里只有一个厕所，周末人多要排很久。"),
    ("村里的文化礼堂多开放", "礼堂平时锁着，希望晚上开放给大家排练、看书。"),
)
REPLIES = (
    "同意，我家老人也反映过这个问题。",
    "支持！希望尽快解决。",
    "我可以出份力，需要帮忙的话叫我。",
    "上次开会也提过，不知道后来怎么样了。",
    "建议先去现场看看，拍几张照片。",
    "这个问题确实存在，晚上更明显。",
    "费用怎么出？希望会上说清楚。",
    "我住在旁边，每天都能看到，确实要处理。",
)
STAFF_REPLIES = (
    "已记录，会转给村（居）委会，在说事会上讨论。",
    "已到现场查看，情况属实，正在联系相关部门。",
)
HIDDEN_REPLIES = ("加我微信，低价出售二手家电，电话一三九八八八八。", "这事都怪某某家，大家别理他们！")
CLOSE_NOTES = (
    "已在上月说事会上讨论，已落实。",
    "已由网格员联系相关部门处理完毕。",
    "重复议题，已合并到同类议题。",
)
HIDE_NOTES = ("含广告信息，已隐藏。", "含对个人的攻击性言语，已隐藏。", "含他人电话号码，已隐藏。")


def _name(rng: random.Random) -> str:
    given = rng.randrange(0, len(GIVEN) - 1, 2)
    return rng.choice(SURNAMES) + GIVEN[given : given + 2]


def _print(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def load(stdout=None) -> None:
    """Write the demo's forum topics, supports, replies and agenda items (nothing without the demo
    county, nothing twice: a county whose grids already have topics is left as it is)."""
    district = Place.objects.filter(code=DEMO_DISTRICT_CODE).first()
    if district is None:
        _print(stdout, "The demo county is not loaded: no forum topics written.")
        return
    if ForumTopic.objects.filter(town__parent=district).exists():
        _print(stdout, "The demo's forum topics are already there.")
        return
    with transaction.atomic():
        counts = _load(district, timezone.now(), random.Random(DEMO_SEED))
    _print(
        stdout,
        "Forum: {topics} topics, {supports} supports, {replies} replies, {agenda} on an agenda.".format(
            **counts
        ),
    )


def _residents(villages: list[Place], rng: random.Random) -> dict[int, list]:
    """Twelve resident accounts in each village (bulk, no password), by village id."""
    User = get_user_model()
    users = []
    for village in villages:
        for n in range(RESIDENTS_PER_VILLAGE):
            username = f"jm{village.code}{n:02d}"
            user = User(username=username, display_name=_name(rng), email=f"{username}@{EMAIL_DOMAIN}")
            user.set_unusable_password()
            users.append(user)
    taken = set(
        User.objects.filter(username__in=[u.username for u in users]).values_list("username", flat=True)
    )
    User.objects.bulk_create([u for u in users if u.username not in taken])
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    fresh = [u for u in users if u.username not in taken]
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user=by_name[u.username], role="resident", place_id=village.pk)
            for village in villages
            for u in fresh
            if u.username.startswith(f"jm{village.code}")
        ]
    )
    return {v.pk: [by_name[f"jm{v.code}{n:02d}"] for n in range(RESIDENTS_PER_VILLAGE)] for v in villages}


def _planned_meeting(village: Place, now: datetime) -> Meeting:
    """The one-off meeting for a village with none planned: ten days on, at 19:30."""
    day = (now + timedelta(days=10)).date()
    starts = timezone.make_aware(datetime.combine(day, time(19, 30)))
    return Meeting.objects.create(
        place=village,
        village=village,
        town=village.parent,
        title=f"{village.name}{MEETING_SUFFIX}",
        starts_at=starts,
        venue="村（居）委会议室",
    )


def _load(district: Place, now: datetime, rng: random.Random) -> dict[str, int]:
    User = get_user_model()
    villages = list(
        Place.objects.filter(code__startswith=district.scope_prefix, level=Place.Level.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )
    grids = list(
        Place.objects.filter(code__startswith=district.scope_prefix, level=Place.Level.GRID)
        .select_related("parent__parent")
        .order_by("code")
    )
    people = _residents(villages, rng)
    workers = {
        ra.place_id: ra.user
        for ra in RoleAssignment.objects.filter(
            place__in=grids, role__in=("grid_worker", "grid_leader"), is_active=True
        ).select_related("user")
    }
    persona = User.objects.filter(username="resident").first()
    persona_home = (
        RoleAssignment.objects.filter(user=persona, role="resident")
        .values_list("place_id", flat=True)
        .first()
        if persona
        else None
    )
    State = ForumTopic.State
    plan = (State.OPEN, State.OPEN, State.ON_AGENDA, State.CLOSED, State.HIDDEN)

    topics: list[ForumTopic] = []
    supporters: dict[int, list] = {}  # index in `topics` → users
    replies: list[tuple[int, object, str, bool, datetime]] = []
    first_grid_done: set[int] = set()
    for grid in grids:
        village = grid.parent
        locals_ = people[village.pk]
        worker = workers.get(grid.pk)
        states = [*plan, rng.choice((State.OPEN, State.CLOSED))]
        chosen = rng.sample(TOPICS, len(states))
        mine = persona is not None and persona_home == village.pk and village.pk not in first_grid_done
        if mine:
            first_grid_done.add(village.pk)
        for k, (state, (title, body)) in enumerate(zip(states, chosen, strict=True)):
            author = persona if mine and k in (0, 2) else rng.choice(locals_)
            created = now - timedelta(
                days=rng.randint(1, 40), hours=rng.randint(0, 12), minutes=rng.randint(0, 59)
            )
            if state == State.ON_AGENDA:
                n = rng.randint(10, min(12, len(locals_)))
            elif state == State.OPEN:
                n = rng.randint(0, 8)
            elif state == State.CLOSED:
                n = rng.randint(2, 12)
            else:
                n = rng.randint(0, 2)
            backers = rng.sample(locals_, n)
            if mine and k == 1 and persona not in backers:
                backers = [persona, *backers[: max(n - 1, 0)]]
            topic = ForumTopic(
                grid=grid,
                village=village,
                town=village.parent,
                author=author,
                title=title,
                body=body,
                state=state if state != State.ON_AGENDA else State.OPEN,
                support_count=len(backers),
                created_at=created,
            )
            if state in (State.CLOSED, State.HIDDEN) and worker is not None:
                topic.moderated_by = worker
                topic.moderated_at = created + timedelta(days=rng.randint(1, 5))
                topic.moderation_note = rng.choice(CLOSE_NOTES if state == State.CLOSED else HIDE_NOTES)
            elif state in (State.CLOSED, State.HIDDEN):
                topic.state = State.OPEN
            index = len(topics)
            topics.append(topic)
            supporters[index] = backers
            for r in range(rng.randint(0, 4) if state != State.HIDDEN else rng.randint(0, 1)):
                at = created + timedelta(hours=3 + r * 7, minutes=rng.randint(0, 59))
                if worker is not None and r == 1:
                    replies.append((index, worker, rng.choice(STAFF_REPLIES), False, at))
                elif r == 3 and rng.random() < 0.5:
                    replies.append((index, rng.choice(locals_), rng.choice(HIDDEN_REPLIES), True, at))
                else:
                    replies.append((index, rng.choice(locals_), rng.choice(REPLIES), False, at))

    for index, topic in enumerate(topics):
        topic.reply_count = sum(1 for r in replies if r[0] == index)
    raised_at = [t.created_at for t in topics]
    ForumTopic.objects.bulk_create(topics)
    # The insert stamps `created_at` with now; the topics' own days go in afterwards.
    for topic, at in zip(topics, raised_at, strict=True):
        topic.created_at = at
    ForumTopic.objects.bulk_update(topics, ["created_at"], batch_size=500)
    ForumSupport.objects.bulk_create(
        [ForumSupport(topic=topics[i], user=u) for i, users in supporters.items() for u in users],
        batch_size=2000,
    )
    made = ForumReply.objects.bulk_create(
        [ForumReply(topic=topics[i], author=a, body=b, is_hidden=h) for i, a, b, h, _at in replies],
        batch_size=2000,
    )
    for reply, (_i, _a, _b, _h, at) in zip(made, replies, strict=True):
        reply.created_at = at
    ForumReply.objects.bulk_update(made, ["created_at"], batch_size=1000)

    # The topics with enough support go onto the next planned meeting of their grid or village.
    agenda = _put_on_agenda(
        [t for i, t in enumerate(topics) if len(supporters[i]) >= 10 and t.state == State.OPEN], now
    )
    return {
        "topics": len(topics),
        "supports": sum(map(len, supporters.values())),
        "replies": len(made),
        "agenda": agenda,
    }


def _put_on_agenda(topics: list[ForumTopic], now: datetime) -> int:
    made_for: dict[int, Meeting] = {}
    orders: dict[int, int] = defaultdict(int)
    items = []
    for topic in topics:
        meeting = next_meeting(topic) or made_for.get(topic.village_id)
        if meeting is None:
            meeting = made_for[topic.village_id] = _planned_meeting(topic.village, now)
        if meeting.pk not in orders:
            orders[meeting.pk] = meeting.agenda.aggregate(last=Max("order"))["last"] or 0
        orders[meeting.pk] += 1
        items.append(
            AgendaItem(
                meeting=meeting,
                source=AgendaItem.Source.TOPIC,
                topic=topic,
                title=topic.title,
                note=topic.body,
                order=orders[meeting.pk],
            )
        )
    AgendaItem.objects.bulk_create(items)
    ForumTopic.objects.filter(pk__in=[t.pk for t in topics]).update(state=ForumTopic.State.ON_AGENDA)
    return len(items)


@transaction.atomic
def delete(places) -> int:
    """Remove the forum of the demo's `places` (a queryset), its agenda items and its one-off
    meetings; for `load_demo --reset`, before the demo's accounts go. Return how many topics went."""
    topics = ForumTopic.objects.filter(grid__in=places)
    AgendaItem.objects.filter(topic__in=topics).delete()
    Meeting.objects.filter(village__in=places, series__isnull=True, title__endswith=MEETING_SUFFIX).delete()
    ForumReply.objects.filter(topic__in=topics).delete()
    ForumSupport.objects.filter(topic__in=topics).delete()
    count, _rows = topics.delete()
    return count
