"""One picture of a case per viewer: the API, the case page and the public status show the same facts.

The expectations below are written by hand from the visibility rules of 12345 practice, not derived
from `civicgrid.cases.presenters`; the comparisons between the doors read what is in the HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.services import agency_create, role_assign, user_create
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, CasePhoto
from civicgrid.cases.tests.conftest import jpeg
from conftest import PASSWORD

# ---------------------------------------------------------------------------------------------
# Reading the HTML


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def all(self, attr: str, value: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for node in self.walk():
            if node is self:
                continue
            if attr and attr not in node.attrs:
                continue
            if value is not None and node.attrs.get(attr) != value:
                continue
            if cls is not None and cls not in (node.attrs.get("class") or "").split():
                continue
            found.append(node)
        return found

    def first(self, cls: str) -> Node | None:
        found = self.all("", cls=cls)
        return found[0] if found else None


class Tree(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        for node in self.stack:
            node.parts.append(data)


def page_facts(html: str) -> dict:
    """Return the facts a case page or public status page shows, read from its markup."""
    root = Tree(html).root
    events = {}
    for item in root.all("data-event-id"):
        actor = item.first("timeline__actor")
        role = item.first("timeline__role")
        note = item.first("timeline__note-text")
        events[int(item.attrs["data-event-id"])] = {
            "action": item.attrs["data-event-action"],
            "actor": actor.text if actor else None,
            "role": role.text if role else "",
            "note": note.text if note else "",
            "reply": item.first("timeline__note--reply") is not None,
        }
    photos = {}
    for item in root.all("data-photo-id"):
        photos[int(item.attrs["data-photo-id"])] = bool(item.all("data-size", "full"))
    field_text = {}
    for node in root.all("data-field"):
        field_text.setdefault(node.attrs["data-field"], []).append(node.attrs.get("data-code") or node.text)
    return {
        "events": events,
        "photos": photos,
        "actions": [n.attrs["data-action"] for n in root.all("data-action") if n.tag == "details"],
        "fields": field_text,
        "appointments": len({n.attrs["data-appointment"] for n in root.all("data-appointment")}),
        # The content, without the header (which names the signed-in user).
        "text": " ".join(n.text for n in root.walk() if n.tag == "main"),
    }


def api_facts(body: dict) -> dict:
    """Return the same facts from an API answer (detail or public status)."""
    return {
        "events": {
            e["id"]: {
                "action": e["action"],
                "actor": e.get("actor"),
                "role": e["actor_role_label"],
                "note": " ".join(e["note"].split()),
                "reply": bool(e["note"]) and e["note_is_reply"],
            }
            for e in body["events"]
        },
        "photos": {p["id"]: bool(p.get("url")) for p in body["photos"]},
        "actions": [a["action"] for a in body.get("actions", [])],
    }


# ---------------------------------------------------------------------------------------------
# The case, walked through the workflow

INTERNAL_VILLAGE = "需要市政维修，网格无法处理"
INTERNAL_TOWN = "村里无法处理，请镇里派单"
INTERNAL_DISPATCH = "请城管局主办，交通局协办"
INTERNAL_COMMENT = "材料已申请，周三施工"
REPLY_COMMENT = "您好，已安排维修，请耐心等待"
REPORTER_COMMENT = "坑越来越大了"
RESOLVED_FIRST = "已修复路面"
REWORK = "边缘仍有裂缝"
RESOLVED_AGAIN = "裂缝已补"
PHONE = "13912345678"
APPOINTMENT_PLACE = "甲一村路口东侧"

# The record, oldest first: action, who acted (an attribute of the world, or "reporter"), the role
# label the record gives, the note, and what kind of note it is.
STEPS = [
    ("report", "reporter", "Reporter", "", ""),
    ("accept", "grid_worker", "Grid worker", "", ""),
    ("escalate_to_village", "grid_worker", "Grid worker", INTERNAL_VILLAGE, "internal"),
    ("escalate_to_town", "village_cadre", "Village / community", INTERNAL_TOWN, "internal"),
    ("dispatch", "town_operator", "Town command centre", INTERNAL_DISPATCH, "internal"),
    ("sign", "agency_staff", "Handling agency", "", ""),
    ("comment", "agency_staff", "Staff", INTERNAL_COMMENT, "internal step"),
    ("comment", "town_operator", "Staff", REPLY_COMMENT, "reply"),
    ("comment", "reporter", "Reporter", REPORTER_COMMENT, "reporter's own"),
    ("resolve", "agency_staff", "Handling agency", RESOLVED_FIRST, "reply"),
    ("rework", "grid_worker", "Grid worker", REWORK, "internal"),
    ("resolve", "agency_staff", "Handling agency", RESOLVED_AGAIN, "reply"),
]


@dataclass
class Walked:
    case: Case
    reporter: object
    events: list[CaseEvent]
    photos: dict[str, list[CasePhoto]]


@pytest.fixture
def personas(cw):
    """The world's personas and those only this test needs."""
    cw.neighbour = user_create(
        username="neighbour", password=PASSWORD, display_name="陈邻居", phone="13800000010"
    )
    role_assign(user=cw.neighbour, role="resident", place=cw.village_a1)
    cw.city_top = user_create(
        username="citytop", password=PASSWORD, display_name="何市管", phone="13800000011"
    )
    role_assign(user=cw.city_top, role="city_admin", place=cw.city)
    gas = agency_create(code="gas", name="燃气公司", name_en="Gas", region=cw.district)
    cw.gas_staff = user_create(username="gas", password=PASSWORD, display_name="冯燃气", phone="13800000012")
    role_assign(user=cw.gas_staff, role="agency_staff", agency=gas)
    return cw


def walk_the_case(world, category, reporter) -> Walked:
    """Report a pothole as `reporter` and walk it to "checking": notes of every kind, every photo kind."""
    case = services.case_create(
        reporter=reporter,
        source=Case.Source.RESIDENT,
        category=category,
        description="路面有一个大坑",
        lon=120.705,
        lat=31.605,
        address="甲一村路口",
        photos=[jpeg()],
        reporter_phone=PHONE,
    ).case

    def act(action, who, **kw):
        actor = reporter if who == "reporter" else getattr(world, who)
        return services.case_act(case=Case.objects.get(pk=case.pk), action=action, actor=actor, **kw)

    act("accept", "grid_worker")
    act("escalate_to_village", "grid_worker", note=INTERNAL_VILLAGE)
    act("escalate_to_town", "village_cadre", note=INTERNAL_TOWN)
    act(
        "dispatch",
        "town_operator",
        note=INTERNAL_DISPATCH,
        agency=world.agency,
        co_agencies=[world.agency_b],
        appointment=services.AppointmentIn(
            starts_at=timezone.now() + timedelta(days=1),
            place=APPOINTMENT_PLACE,
            participants="水务局、供电公司",
        ),
    )
    act("sign", "agency_staff")
    act("comment", "agency_staff", note=INTERNAL_COMMENT)
    act("comment", "town_operator", note=REPLY_COMMENT, reply=True)
    act("comment", "reporter", note=REPORTER_COMMENT)
    act("resolve", "agency_staff", note=RESOLVED_FIRST, photos=[jpeg((10, 200, 10))])
    act("rework", "grid_worker", note=REWORK, photos=[jpeg((200, 10, 10))])
    act("resolve", "agency_staff", note=RESOLVED_AGAIN, photos=[jpeg((10, 10, 200))])
    case.refresh_from_db()
    assert case.state == Case.State.CHECKING
    events = list(case.events.order_by("at", "id"))
    assert [e.action for e in events] == [s[0] for s in STEPS]
    photos: dict[str, list[CasePhoto]] = {"report": [], "result": [], "check": []}
    for p in case.photos.order_by("id"):
        photos[p.kind].append(p)
    assert {k: len(v) for k, v in photos.items()} == {"report": 1, "result": 2, "check": 1}
    return Walked(case, reporter, events, photos)


# ---------------------------------------------------------------------------------------------
# What each persona must see, by hand

# staff_named: staff of the case who may see who reported it; staff_masked: the agencies;
# reporter: the person who reported it; none: sees only the public status; anonymous: not signed in.
PERSONAS = [
    ("resident", "resident", "reporter"),
    ("resident", "neighbour", "none"),
    ("resident", "grid_worker", "staff_named"),
    ("resident", "grid_leader", "staff_named"),
    ("resident", "outsider", "none"),
    ("resident", "village_cadre", "staff_named"),
    ("resident", "town_operator", "staff_named"),
    ("resident", "city_admin", "staff_named"),
    ("resident", "city_top", "staff_named"),
    ("resident", "agency_staff", "staff_masked"),
    ("resident", "agency_b_staff", "staff_masked"),
    ("resident", "gas_staff", "none"),
    ("resident", "superuser", "staff_named"),
    ("resident", "anonymous", "anonymous"),
    # A grid worker of another town who reported a case here is only its reporter.
    ("outsider", "outsider", "reporter"),
    ("outsider", "resident", "none"),
    ("outsider", "agency_staff", "staff_masked"),
    ("outsider", "grid_worker", "staff_named"),
]
# The case waits for the grid's check: the grid checks; anyone else who may see it may comment.
ACTIONS = {
    "grid_worker": ["pass_check", "rework", "comment"],
    "grid_leader": ["pass_check", "rework", "comment"],
}
REPORTER_NAMES = {"resident": "王居民", "outsider": "吴外人"}
REPORTER_MASKED = {"resident": "王**", "outsider": "吴**"}
# Who may call the reporter of the open case: its grid, village and town, the staff handling it. The
# region's administrators, the agencies, a superuser and the reporter get the phone masked.
CALLERS = {"grid_worker", "grid_leader", "village_cadre", "town_operator"}


def expected_record(walked: Walked, world, seen_as: str) -> dict[int, dict]:
    """Return the record `seen_as` must get, by event id, from STEPS and the rules (by hand)."""
    record = {}
    for event, (action, who, role, note, kind) in zip(walked.events, STEPS, strict=True):
        if seen_as in ("reporter", "public") and kind == "internal step":
            continue
        if seen_as == "public" and kind == "reporter's own":
            continue
        if seen_as.startswith("staff"):
            shown_note = note
        elif seen_as == "reporter":
            shown_note = note if kind in ("reply", "reporter's own") else ""
        else:
            shown_note = note if kind == "reply" else ""
        actor = None
        if seen_as == "staff_named":
            actor = walked.reporter.display_name if who == "reporter" else getattr(world, who).display_name
        elif seen_as == "staff_masked" and who != "reporter":
            actor = getattr(world, who).display_name
        record[event.pk] = {
            "action": action,
            "actor": actor,
            "role": role,
            "note": shown_note,
            "reply": kind == "reply",
        }
    return record


def expected_photos(walked: Walked, seen_as: str) -> dict[int, bool]:
    """Return the photo ids `seen_as` gets, each with whether it opens at full size."""
    if seen_as.startswith("staff"):
        return {p.pk: True for kind in ("report", "result", "check") for p in walked.photos[kind]}
    full = seen_as == "reporter"
    return {p.pk: full for kind in ("report", "result") for p in walked.photos[kind]}


def api_text(response) -> str:
    """Return an API answer as text with its characters unescaped, for "is this name anywhere" checks."""
    return json.dumps(response.json(), ensure_ascii=False)


def client_for(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("reported_by", "persona", "seen_as"), PERSONAS)
def test_every_door_shows_each_persona_the_same_facts(personas, category, reported_by, persona, seen_as):
    world = personas
    walked = walk_the_case(world, category, getattr(world, reported_by))
    number = walked.case.tracking_number
    user = None if persona == "anonymous" else getattr(world, persona)
    client = client_for(user)
    api = client.get(f"/api/v1/cases/{number}")
    page = client.get(reverse("cases:detail", args=[number]))

    # The public status is the same for everyone: as anonymous, whoever asks.
    public_api = client.get(f"/api/v1/cases/public/{number}")
    public_page = client.get(reverse("cases:public_status_number", args=[number]))
    assert public_api.status_code == 200 and public_page.status_code == 200
    public_html = page_facts(public_page.text)
    public_json = api_facts(public_api.json())
    assert public_html["events"] == public_json["events"]
    assert public_html["photos"] == public_json["photos"]
    assert public_json["events"] == expected_record(walked, world, "public")
    assert public_json["photos"] == expected_photos(walked, "public")
    assert public_html["actions"] == [] and public_html["fields"] == {}
    for private in (
        PHONE,
        REPORTER_NAMES[reported_by],
        INTERNAL_VILLAGE,
        INTERNAL_DISPATCH,
        INTERNAL_COMMENT,
    ):
        assert private not in public_html["text"] and private not in api_text(public_api)
    body = public_api.json()
    assert (body["lon"], body["lat"]) == (120.705, 31.605)  # already on the 100 m grid

    if seen_as == "anonymous":
        assert api.status_code == 401
        assert page.status_code == 302
        return
    if seen_as == "none":
        assert api.status_code == 404
        assert page.status_code == 404
        return
    assert api.status_code == 200, api.content
    assert page.status_code == 200
    html = page_facts(page.text)
    api_view = api_facts(api.json())
    detail = api.json()

    # The two doors agree with each other ...
    assert html["events"] == api_view["events"]
    assert html["photos"] == api_view["photos"]
    assert sorted(html["actions"]) == sorted(api_view["actions"])
    assert html["fields"].get("reporter-name") == [detail["reporter"]["name"]]
    assert html["fields"].get("reporter-phone") == [detail["reporter"]["phone"]]
    assert html["fields"].get("lead-agency") == [detail["lead_agency"]["code"]]
    assert html["fields"].get("co-agency") == [a["code"] for a in detail["co_agencies"]]
    assert html["appointments"] == len(detail["appointments"])

    # ... and with the rules, written out by hand.
    assert api_view["events"] == expected_record(walked, world, seen_as)
    assert api_view["photos"] == expected_photos(walked, seen_as)
    assert sorted(api_view["actions"]) == sorted(ACTIONS.get(persona, ["comment"]))
    name = REPORTER_MASKED[reported_by] if seen_as == "staff_masked" else REPORTER_NAMES[reported_by]
    phone = PHONE if persona in CALLERS else "139****5678"
    assert (detail["reporter"]["name"], detail["reporter"]["phone"]) == (name, phone)
    assert (f'href="tel:{PHONE}"' in page.text) is (persona in CALLERS)
    if persona not in CALLERS:
        assert PHONE not in html["text"] and PHONE not in api_text(api)
    # Every staff member of the case may navigate to it; its reporter is not sent anywhere.
    assert ("data-map-app=" in page.text) is seen_as.startswith("staff")
    assert [a["code"] for a in detail["co_agencies"]] == ["power"]
    assert detail["lead_agency"]["code"] == "water"
    staff = seen_as.startswith("staff")
    assert len(detail["appointments"]) == (1 if staff else 0)
    assert (APPOINTMENT_PLACE in html["text"]) is staff
    dispatch = next(e for e in detail["events"] if e["action"] == "dispatch")
    assert bool(dispatch["data"]) is staff
    if not staff:
        for name in ("李网格", "赵村干", "钱指挥", "周水务"):
            assert name not in html["text"] and name not in api_text(api)
        for note in (INTERNAL_VILLAGE, INTERNAL_TOWN, INTERNAL_DISPATCH, INTERNAL_COMMENT, REWORK):
            assert note not in html["text"] and note not in api_text(api)
    if seen_as == "staff_masked":
        assert REPORTER_NAMES[reported_by] not in html["text"]
        assert REPORTER_NAMES[reported_by] not in api_text(api)
        assert PHONE not in html["text"] and PHONE not in api_text(api)


# ---------------------------------------------------------------------------------------------
# The disagreements of issue 7, each now aligned


def test_a_grid_worker_of_another_town_who_reported_a_case_reads_no_internal_note_on_the_page(
    personas, category
):
    """The page asked only "has a staff role anywhere" and showed this reporter the staff's notes."""
    walked = walk_the_case(personas, category, personas.outsider)
    client = client_for(personas.outsider)
    page = client.get(reverse("cases:detail", args=[walked.case.tracking_number]))
    api = client.get(f"/api/v1/cases/{walked.case.tracking_number}")
    for text in (page.text, api_text(api)):
        for internal in (INTERNAL_VILLAGE, INTERNAL_DISPATCH, INTERNAL_COMMENT, "李网格", "钱指挥"):
            assert internal not in text
        assert REPLY_COMMENT in text and RESOLVED_AGAIN in text
    assert "data-internal" not in page.text


def test_the_reporter_reads_no_internal_note_and_no_staff_name(personas, category):
    walked = walk_the_case(personas, category, personas.resident)
    page = client_for(personas.resident).get(reverse("cases:detail", args=[walked.case.tracking_number]))
    html = page_facts(page.text)
    assert INTERNAL_VILLAGE not in html["text"] and INTERNAL_DISPATCH not in html["text"]
    assert "李网格" not in html["text"] and "周水务" not in html["text"]
    assert "Grid worker" in page.text and "Handling agency" in page.text
    # The comment field offers no reply to oneself.
    assert 'name="comment-reply"' not in page.text


def test_the_agencys_record_does_not_name_the_reporter_it_masks_in_the_facts(personas, category):
    """The agency's page showed 上报人 "王**", and the "report" step right below named the reporter."""
    walked = walk_the_case(personas, category, personas.resident)
    page = client_for(personas.agency_staff).get(reverse("cases:detail", args=[walked.case.tracking_number]))
    facts = page_facts(page.text)
    assert facts["fields"]["reporter-name"] == ["王**"]
    report_step = facts["events"][walked.events[0].pk]
    assert report_step["actor"] is None and report_step["role"] == "Reporter"
    assert "王居民" not in facts["text"]
    # The staff who may see the reporter see them named on the record too.
    grid = page_facts(client_for(personas.grid_worker).get(page.request["PATH_INFO"]).text)
    assert grid["events"][walked.events[0].pk]["actor"] == "王居民"


# ---------------------------------------------------------------------------------------------
# Replies to the reporter, photos


def test_staff_answer_the_reporter_from_the_page_and_the_reporter_reads_it(personas, category, login):
    walked = walk_the_case(personas, category, personas.resident)
    number = walked.case.tracking_number
    client = login(personas.town_operator)
    page = client.get(reverse("cases:detail", args=[number]))
    assert 'name="comment-reply"' in page.text
    response = client.post(
        reverse("cases:act", args=[number, "comment"]),
        {
            "comment-version": str(Case.objects.get(pk=walked.case.pk).version),
            "comment-note": "明天上午复查",
            "comment-reply": "on",
        },
    )
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=walked.case, action="comment").latest("id")
    assert event.note_is_reply and event.is_public
    mine = client_for(personas.resident).get(reverse("cases:detail", args=[number]))
    assert "明天上午复查" in mine.text
    public = client_for(None).get(f"/api/v1/cases/public/{number}").json()
    assert public["events"][-1]["note"] == "明天上午复查"


def test_an_api_comment_is_a_reply_only_when_staff_say_so(personas, category):
    walked = walk_the_case(personas, category, personas.resident)
    url = f"/api/v1/cases/{walked.case.tracking_number}/comments"
    staff = client_for(personas.agency_staff)
    internal = staff.post(url, {"note": "内部"}, content_type="application/json")
    assert internal.status_code == 201
    assert internal.json()["events"][-1]["note_is_reply"] is False
    reply = staff.post(url, {"note": "已答复", "reply": True}, content_type="application/json")
    assert reply.status_code == 201
    assert reply.json()["events"][-1]["note_is_reply"] is True
    notes = [
        e["note"]
        for e in client_for(personas.resident)
        .get(f"/api/v1/cases/{walked.case.tracking_number}")
        .json()["events"]
    ]
    assert "已答复" in notes and "内部" not in notes
    before = CaseEvent.objects.filter(case=walked.case).count()
    refused = client_for(personas.resident).post(
        url, {"note": "我也答复", "reply": True}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert CaseEvent.objects.filter(case=walked.case).count() == before


def photo_url(photo: CasePhoto, size: str) -> str:
    return reverse("cases:photo", args=[photo.case.tracking_number, photo.pk, size])


def test_each_photo_opens_for_whom_the_doors_list_it(personas, category):
    walked = walk_the_case(personas, category, personas.resident)
    check = walked.photos["check"][0]
    result = walked.photos["result"][0]
    reporter = client_for(personas.resident)
    assert reporter.get(photo_url(check, "thumb")).status_code == 404
    assert reporter.get(photo_url(result, "full")).status_code == 200
    anyone = client_for(personas.neighbour)
    assert anyone.get(photo_url(result, "thumb")).status_code == 200
    assert anyone.get(photo_url(result, "full")).status_code == 404
    assert client_for(personas.agency_b_staff).get(photo_url(check, "full")).status_code == 200


def test_the_api_and_the_pages_read_a_fixed_number_of_queries_however_long_the_record(personas, category):
    """The presenter reads the record, photos, appointments and agencies once each: no query per step."""
    walked = walk_the_case(personas, category, personas.resident)
    number = walked.case.tracking_number
    doors = {
        "api": f"/api/v1/cases/{number}",
        "page": reverse("cases:detail", args=[number]),
        "public api": f"/api/v1/cases/public/{number}",
        "public page": reverse("cases:public_status_number", args=[number]),
    }
    # session, user and roles; the case; co-agencies, events, photos (+ appointments, the agencies
    # the steps name and the merged cases for the staff, and the case's followers for the staff who
    # handle it); the page adds the grid's outline and the navigation whether the person volunteers,
    # and for the staff the tab bar's to-do count.
    limits = {
        ("town_operator", "api"): 11,
        ("town_operator", "page"): 15,
        ("agency_staff", "api"): 11,
        ("resident", "api"): 7,
        ("resident", "page"): 10,
        (None, "public api"): 3,
        (None, "public page"): 3,
    }

    def counts() -> dict:
        found = {}
        for who, door in limits:
            client = client_for(getattr(personas, who) if who else None)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(doors[door]).status_code == 200
            found[who, door] = len(captured)
        return found

    before = counts()
    for key, limit in limits.items():
        assert before[key] <= limit, (key, before[key])
    case = Case.objects.get(pk=walked.case.pk)
    for n in range(6):
        case = services.case_comment(
            case=case, actor=personas.town_operator, note=f"答复{n}", reply=n % 2 == 0
        )
    assert counts() == before


def test_a_fresh_case_reads_reported_just_now_not_0_minutes(world, category, login):
    from civicgrid.cases.tests.conftest import report

    report(world, category)
    body = login(world.grid_worker).get("/cases/work/?queue=verify").content.decode()
    assert "reported just now" in body and "0\xa0minutes" not in body and "0 minutes" not in body
