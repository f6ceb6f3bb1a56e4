"""Demo volunteer teams, activities, sign-ups, attendance and hours, for the demo loader (`site.demo`).

`seed(communities, users_by_role)` writes, for the first community, 16 teams (like the Jiezhen
community's 巾帼 teams) and two for each other community; each team has a leader and members, and
activities in the past (closed, with hours approved, pending, declined, a correction and a missing
check-out), under way now (some checked in) and upcoming (one full with a waiting list). The demo's
`volunteer` persona (if given) is a volunteer of the first community and leads its first team.
Rows are written in bulk (a few thousand, well under 5 s); generated accounts get the demo's e-mail
domain and no password, so the demo's reset finds them. Approved hours are announced
(`hours_approved`) once the loader's transaction commits, so the points app can credit them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from civicgrid.places.models import Place
from civicgrid.volunteers import services
from civicgrid.volunteers.choices import ServiceField
from civicgrid.volunteers.models import Activity, HoursRecord, Signup, Team, TeamMembership, Volunteer

DEMO_SEED = 20261202
EMAIL_DOMAIN = "demo.invalid"

# The first community's 16 teams (the Jiezhen community's 巾帼志愿服务队 and others), with their field.
FIRST_TEAMS = (
    ("巾帼扶贫助残服务队", ServiceField.ELDERLY),
    ("儿童关爱服务队", ServiceField.EDUCATION),
    ("巾帼敬老服务队", ServiceField.ELDERLY),
    ("妇女发展服务队", ServiceField.COMMUNITY),
    ("巾帼家政服务队", ServiceField.COMMUNITY),
    ("平安巡逻队", ServiceField.SAFETY),
    ("文明劝导队", ServiceField.CIVILITY),
    ("环境卫生服务队", ServiceField.ENVIRONMENT),
    ("垃圾分类督导队", ServiceField.ENVIRONMENT),
    ("文体活动服务队", ServiceField.CULTURE),
    ("健康义诊服务队", ServiceField.HEALTH),
    ("四点半课堂服务队", ServiceField.EDUCATION),
    ("法律援助服务队", ServiceField.LEGAL),
    ("应急救援服务队", ServiceField.EMERGENCY),
    ("邻里互助服务队", ServiceField.COMMUNITY),
    ("党员先锋服务队", ServiceField.OTHER),
)
OTHER_TEAMS = (("巾帼志愿服务队", ServiceField.COMMUNITY), ("平安巡逻队", ServiceField.SAFETY))
ACTIVITY_TITLES = {
    ServiceField.ELDERLY: ("上门探访独居老人", "助残代购", "敬老院陪伴"),
    ServiceField.EDUCATION: ("四点半课堂辅导", "暑期安全讲座", "绘本共读"),
    ServiceField.COMMUNITY: ("邻里议事会服务", "家政技能培训", "社区便民服务日"),
    ServiceField.SAFETY: ("夜间平安巡逻", "消防隐患排查", "防诈骗宣传"),
    ServiceField.CIVILITY: ("文明交通劝导", "文明养犬宣传", "移风易俗宣传"),
    ServiceField.ENVIRONMENT: ("河道清洁", "楼道杂物清理", "垃圾分类督导"),
    ServiceField.CULTURE: ("广场舞展演服务", "社区运动会保障", "读书会"),
    ServiceField.HEALTH: ("量血压义诊", "健康知识讲座", "献血活动保障"),
    ServiceField.LEGAL: ("法律咨询进社区", "普法宣传", "调解服务"),
    ServiceField.EMERGENCY: ("应急演练", "防汛值守", "急救培训"),
    ServiceField.OTHER: ("党员志愿服务日", "政策宣讲", "结对帮扶走访"),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "秀英桂兰玉梅丽华建国志强丽娟海燕红霞春花淑珍晓明文静慧敏雪梅美玲丽萍国庆德胜"
SKILLS = ("急救", "摄影", "驾驶", "心理疏导", "法律", "护理", "教学", "手语", "维修", "书法")


def seed(
    communities: Sequence[Place], users_by_role: Mapping[str, object], *, now: datetime | None = None
) -> dict[str, int]:
    """Write the demo's volunteer data for `communities` (villages; the first gets 16 teams).

    `users_by_role` maps a role code to a demo account: "volunteer" (made a volunteer of the first
    community and leader of its first team) and "village_cadre" (who confirms the hours; else the
    leaders do) are read. Returns counts of what was written.
    """
    now = now or timezone.now()
    rng = random.Random(DEMO_SEED)
    communities = [c for c in communities if c.level == Place.Level.VILLAGE]
    if not communities:
        return {}
    with transaction.atomic():
        return _seed(communities, users_by_role, now, rng)


def _name(rng: random.Random) -> str:
    given = rng.randrange(0, len(GIVEN) - 1, 2)
    return rng.choice(SURNAMES) + GIVEN[given : given + 2]


def _seed(
    communities: list[Place], users_by_role: Mapping[str, object], now: datetime, rng: random.Random
) -> dict:
    User = get_user_model()
    cadre = users_by_role.get("village_cadre")
    persona = users_by_role.get("volunteer")

    # People: 40 in the first community, 12 in each other; their accounts first (bulk, no password).
    plan: list[tuple[Place, int]] = [(communities[0], 40)] + [(c, 12) for c in communities[1:]]
    total = sum(n for _c, n in plan)
    base = 17000000000 + rng.randrange(10**6) * 100
    phones = [str(base + i) for i in range(total)]
    taken = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    users = []
    for phone in phones:
        name = _name(rng)
        user = User(
            username=f"vol{phone}",
            display_name=name,
            phone=None if phone in taken else phone,
            email=f"vol{phone}@{EMAIL_DOMAIN}",
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__in=[u.username for u in users]).order_by("username"))

    volunteers: list[Volunteer] = []
    index = 0
    seq_start = {
        c.pk: (
            Volunteer.objects.filter(community=c).order_by("-seq").values_list("seq", flat=True).first() or 0
        )
        for c, _n in plan
    }
    for community, n in plan:
        for k in range(n):
            user = users[index]
            index += 1
            seq = seq_start[community.pk] + k + 1
            volunteers.append(
                Volunteer(
                    user=user,
                    community=community,
                    real_name=user.display_name,
                    phone=user.phone or "",
                    skills="、".join(rng.sample(SKILLS, rng.randrange(0, 3))),
                    number=f"{community.code}-{seq:04d}",
                    seq=seq,
                    created_at=now - timedelta(days=rng.randrange(30, 400)),
                )
            )
    Volunteer.objects.bulk_create(volunteers)
    volunteers = list(
        Volunteer.objects.filter(user__in=users)
        .select_related("community")
        .order_by("community__code", "seq")
    )
    if persona is not None and not Volunteer.objects.filter(user=persona).exists():
        volunteers.insert(
            0,
            services.volunteer_register(
                user=persona, community=communities[0], real_name=str(persona), skills="急救、摄影"
            ),
        )
    by_community: dict[int, list[Volunteer]] = {}
    for v in volunteers:
        by_community.setdefault(v.community_id, []).append(v)

    # Teams, rosters and leaders.
    teams: list[Team] = []
    for i, community in enumerate(communities):
        for name, field in FIRST_TEAMS if i == 0 else OTHER_TEAMS:
            teams.append(
                Team(
                    community=community, name=name, service_field=field, created_at=now - timedelta(days=500)
                )
            )
    Team.objects.bulk_create(teams)
    teams = list(
        Team.objects.filter(community__in=communities, name__in={t.name for t in teams}).order_by(
            "community__code", "pk"
        )
    )
    memberships = []
    roster: dict[int, list[Volunteer]] = {}
    for team in teams:
        pool = by_community[team.community_id]
        size = min(len(pool), 8 if team.community_id == communities[0].pk else 6)
        members = pool[:1] + rng.sample(pool[1:], size - 1) if team is teams[0] else rng.sample(pool, size)
        roster[team.pk] = members
        for j, v in enumerate(members):
            role = TeamMembership.Role.LEADER if j == 0 else TeamMembership.Role.MEMBER
            memberships.append(
                TeamMembership(team=team, volunteer=v, role=role, joined_at=now - timedelta(days=300))
            )
    TeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)

    # Activities: two past, one under way, two upcoming per team (the upcoming first one full).
    local_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    activities: list[tuple[Activity, str]] = []
    for t_index, team in enumerate(teams):
        titles = ACTIVITY_TITLES[ServiceField(team.service_field)]
        lon = 120.75 + rng.uniform(-0.08, 0.08)
        lat = 31.65 + rng.uniform(-0.08, 0.08)
        slots = [
            ("past", local_today - timedelta(days=rng.randrange(10, 40), hours=-9)),
            ("past", local_today - timedelta(days=rng.randrange(2, 9), hours=-14)),
            ("now", now - timedelta(minutes=40 + t_index % 30)),
            ("full", local_today + timedelta(days=rng.randrange(2, 6), hours=9)),
            ("upcoming", local_today + timedelta(days=rng.randrange(6, 20), hours=14)),
        ]
        for k, (kind, starts) in enumerate(slots):
            activities.append(
                (
                    Activity(
                        team=team,
                        community=team.community,
                        title=titles[k % len(titles)],
                        description="请提前10分钟到达，穿志愿者马甲。",
                        service_field=team.service_field,
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        place_name=f"{team.community.name}党群服务中心",
                        lon=round(lon, 6),
                        lat=round(lat, 6),
                        capacity=3 if kind == "full" else 6,
                        cancel_cutoff_hours=24 if kind == "full" else 2,
                        required_skills="急救" if team.service_field == ServiceField.HEALTH else "",
                        checkin_radius_m=500 if k == 2 else None,
                        status=Activity.Status.CLOSED if kind == "past" else Activity.Status.PUBLISHED,
                        closed_at=starts + timedelta(hours=3) if kind == "past" else None,
                        created_at=starts - timedelta(days=7),
                    ),
                    kind,
                )
            )
    Activity.objects.bulk_create([a for a, _k in activities])

    signups: list[Signup] = []
    records: list[HoursRecord] = []
    for activity, kind in activities:
        members = roster[activity.team_id]
        chosen = members[1:] if kind == "full" else rng.sample(members, min(len(members), 4))
        for pos, v in enumerate(chosen):
            queued = activity.created_at + timedelta(hours=pos + 1)
            state = Signup.State.CONFIRMED if pos < activity.capacity else Signup.State.WAITING
            s = Signup(activity=activity, volunteer=v, state=state, queued_at=queued)
            if kind == "now" and pos < 2:
                s.checked_in_at = activity.starts_at + timedelta(minutes=pos * 7)
            if kind == "past" and state == Signup.State.CONFIRMED and pos < 3:
                s.checked_in_at = activity.starts_at + timedelta(minutes=rng.choice((-10, 0, 5, 20)))
                if pos != 2 or rng.random() < 0.5:
                    s.checked_out_at = activity.ends_at + timedelta(minutes=rng.choice((-30, 0, 15)))
            signups.append(s)
            if s.checked_in_at and kind == "past":
                minutes, start, end, missing = services.attendance_minutes(activity, s, "scheduled")
                records.append(
                    HoursRecord(
                        volunteer=v,
                        activity=activity,
                        team=activity.team,
                        community=activity.community,
                        service_field=activity.service_field,
                        kind=HoursRecord.Kind.ATTENDANCE,
                        minutes=minutes,
                        day=timezone.localdate(activity.starts_at),
                        content=activity.title,
                        started_at=start,
                        ended_at=end,
                        missing_checkout=missing,
                        created_at=activity.closed_at,
                    )
                )
    Signup.objects.bulk_create(signups)

    # Decisions: the older past activity's hours approved (one declined), the recent one's pending.
    for n, r in enumerate(records):
        older = r.activity.starts_at < now - timedelta(days=9)
        leader = roster[r.team_id][0].user
        decider = cadre if cadre is not None and r.volunteer.user_id == leader.pk else leader
        if older:
            declined = r.minutes == 0 or n % 11 == 3
            r.status = HoursRecord.Status.DECLINED if declined else HoursRecord.Status.APPROVED
            r.decline_reason = "未按时签到签退，已与本人核实" if declined else ""
            r.decided_by = decider
            r.decided_at = r.created_at + timedelta(days=1)
    HoursRecord.objects.bulk_create(records)
    approved = [r for r in records if r.status == HoursRecord.Status.APPROVED]
    # A correction of one approved record (pending), and one approved, so both states show.
    corrections = []
    for original, status in zip(
        approved[:2], (HoursRecord.Status.PENDING, HoursRecord.Status.APPROVED), strict=False
    ):
        corrections.append(
            HoursRecord(
                volunteer=original.volunteer,
                activity=original.activity,
                team=original.team,
                community=original.community,
                service_field=original.service_field,
                kind=HoursRecord.Kind.CORRECTION,
                minutes=-30,
                day=original.day,
                content=original.content,
                corrects=original,
                reason="提前半小时离开，本人申请更正",
                created_by=original.decided_by,
                created_at=original.decided_at + timedelta(days=2),
                status=status,
                decided_by=original.decided_by if status == HoursRecord.Status.APPROVED else None,
                decided_at=original.decided_at + timedelta(days=3)
                if status == HoursRecord.Status.APPROVED
                else None,
            )
        )
    HoursRecord.objects.bulk_create(corrections)
    for record in [*approved, *[c for c in corrections if c.status == HoursRecord.Status.APPROVED]]:
        services.announce_on_commit(record)
    return {
        "volunteers": len(volunteers),
        "teams": len(teams),
        "activities": len(activities),
        "signups": len(signups),
        "hours_records": len(records) + len(corrections),
    }


def delete(places, users) -> int:
    """Remove the volunteer data of the demo: everything in `places` (a queryset of the demo's places)
    or of `users` (the demo's accounts); for `load_demo --reset` only. Hours records and certificates
    are never deleted otherwise; return how many hours records went."""
    from django.db import router

    from civicgrid.volunteers.models import Certificate

    using = router.db_for_write(HoursRecord)
    volunteers = Volunteer.objects.filter(community__in=places) | Volunteer.objects.filter(user__in=users)
    volunteer_ids = list(volunteers.values_list("pk", flat=True))
    teams = list(Team.objects.filter(community__in=places).values_list("pk", flat=True))
    Certificate.objects.filter(volunteer_id__in=volunteer_ids)._raw_delete(using)
    Certificate.objects.filter(community__in=places)._raw_delete(using)
    hours = HoursRecord.objects.filter(volunteer_id__in=volunteer_ids) | HoursRecord.objects.filter(
        community__in=places
    )
    ids = list(hours.values_list("pk", flat=True))
    HoursRecord.objects.filter(pk__in=ids)._raw_delete(using)
    activities = Activity.objects.filter(team_id__in=teams) | Activity.objects.filter(community__in=places)
    Signup.objects.filter(activity__in=activities).delete()
    Signup.objects.filter(volunteer_id__in=volunteer_ids).delete()
    activities.delete()
    TeamMembership.objects.filter(team_id__in=teams).delete()
    TeamMembership.objects.filter(volunteer_id__in=volunteer_ids).delete()
    Team.objects.filter(pk__in=teams).delete()
    Volunteer.objects.filter(pk__in=volunteer_ids).delete()
    return len(ids)
