"""The questions of a category and the one check of their answers (`answers.answers_check`), through
`services.case_create` as every door calls it, the API, the report page, the case page and the admin."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from civicgrid.cases import answers, categories, services
from civicgrid.cases.models import Case, CaseEvent, Category, CategoryQuestion, CategoryRevision
from civicgrid.cases.seed import DEMO_ANSWERS, QUESTIONS, load_questions
from civicgrid.cases.services.intake import request_fingerprint
from civicgrid.cases.tests.conftest import jpeg
from civicgrid.core.errors import ApplicationError
from conftest import PASSWORD

DAMAGE = [
    {"key": "missing", "name": "缺失", "name_en": "Missing"},
    {"key": "broken", "name": "破损", "name_en": "Broken"},
    {"key": "loose", "name": "松动", "name_en": "Loose"},
]
KINDS = [
    {"key": "car", "name": "汽车", "name_en": "Car"},
    {"key": "ebike", "name": "电动车", "name_en": "E-bike"},
    {"key": "truck", "name": "货车"},
]


@pytest.fixture
def asked(world) -> Category:
    """A minor class with one question of each datatype; only the single choice is required."""
    category = Category.objects.get(code="C0201")
    rows = [
        ("damage", "损坏程度", "Damage", "singlevaluelist", True, 1, DAMAGE),
        ("pole", "灯杆编号", "Pole number", "string", False, 2, []),
        ("depth", "深度（厘米）", "Depth (cm)", "number", False, 3, []),
        ("seen_at", "发现时间", "Seen at", "datetime", False, 4, []),
        ("more", "补充说明", "More", "text", False, 5, []),
        ("kinds", "车辆类型", "Vehicles", "multivaluelist", False, 6, KINDS),
    ]
    for code, label, label_en, datatype, required, order, values in rows:
        CategoryQuestion.objects.create(
            category=category,
            code=code,
            label=label,
            label_en=label_en,
            datatype=datatype,
            required=required,
            order=order,
            values=values,
            hint="按井盖现状选择" if code == "damage" else "",
        )
    CategoryQuestion.objects.create(
        category=category, code="old", label="旧问题", datatype="string", order=9, is_active=False
    )
    return category


def file(world, category, answers=None, **kw):
    return services.case_create(
        reporter=kw.pop("reporter", world.resident),
        source=kw.pop("source", Case.Source.RESIDENT),
        category=category,
        description="路面有一个大坑",
        lon=120.705,
        lat=31.605,
        photos=[jpeg()],
        answers=answers,
        **kw,
    )


def refused(world, category, answers, **kw) -> dict[str, str]:
    before = (Case.objects.count(), CaseEvent.objects.count())
    with pytest.raises(ApplicationError) as caught:
        file(world, category, answers, **kw)
    assert (Case.objects.count(), CaseEvent.objects.count()) == before
    assert caught.value.code == "invalid"
    return caught.value.extra["fields"]


# ---------------------------------------------------------------------------------------------
# Loading


def test_it_lists_the_active_questions_in_order_with_their_choices(asked):
    listed = categories.questions(asked)
    assert [q.code for q in listed] == ["damage", "pole", "depth", "seen_at", "more", "kinds"]
    assert categories.questions("c0201") == listed
    damage = listed[0]
    assert (damage.label, damage.hint, damage.datatype, damage.required, damage.order) == (
        "损坏程度",
        "按井盖现状选择",
        "singlevaluelist",
        True,
        1,
    )
    assert [(c.key, c.name) for c in damage.values] == [
        ("missing", "缺失"),
        ("broken", "破损"),
        ("loose", "松动"),
    ]
    assert categories.questions("C0202") == []
    assert categories.questions("NOPE") == []


def test_it_speaks_english_where_an_english_text_exists(asked):
    damage, *_rest, kinds = categories.questions(asked)
    with translation.override("en"):
        assert damage.display_label == "Damage"
        assert damage.display_hint == "按井盖现状选择"  # no English hint: the Chinese one
        assert damage.value_name("broken") == "Broken"
        assert kinds.values[2].display_name == "货车"
    with translation.override("zh-hans"):
        assert damage.display_label == "损坏程度"
        assert damage.value_name("broken") == "破损"


def test_a_question_saved_or_deleted_bumps_the_category_revision(asked):
    revision = CategoryRevision.objects.get(pk=1).revision
    question = CategoryQuestion.objects.get(category=asked, code="pole")
    question.required = True
    question.save()
    assert CategoryRevision.objects.get(pk=1).revision == revision + 1
    assert categories.questions(asked)[1].required is True
    question.delete()
    assert CategoryRevision.objects.get(pk=1).revision == revision + 2
    assert "pole" not in [q.code for q in categories.questions(asked)]


@pytest.mark.parametrize(
    ("datatype", "values", "message"),
    [
        ("singlevaluelist", [], "at least one choice"),
        ("multivaluelist", [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}], "appears twice"),
        ("singlevaluelist", [{"key": " ", "name": "A"}], "has no key"),
        ("singlevaluelist", [{"key": "a"}], "has no name"),
        ("singlevaluelist", ["a"], "not an object"),
        ("singlevaluelist", [{"key": "a", "name": "A", "colour": "red"}], "unknown fields"),
        ("string", [{"key": "a", "name": "A"}], "Only the list types"),
    ],
)
def test_a_question_refuses_choices_that_do_not_fit_its_type(asked, datatype, values, message):
    question = CategoryQuestion(category=asked, code="q", label="问", datatype=datatype, values=values)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        question.full_clean()
    assert message in str(caught.value.message_dict["values"])


def test_a_question_refuses_a_bad_code_and_a_major_class(asked):
    question = CategoryQuestion(category=asked, code="Bad-Code", label="问", datatype="string")
    with pytest.raises(ValidationError) as caught:
        question.full_clean()
    assert "code" in caught.value.message_dict
    question = CategoryQuestion(category=asked.parent, code="ok", label="问", datatype="string")
    with pytest.raises(ValidationError) as caught:
        question.full_clean()
    assert "category" in caught.value.message_dict


# ---------------------------------------------------------------------------------------------
# Checking answers through intake


def test_it_files_valid_answers_of_every_datatype_normalised(world, asked):
    intake = file(
        world,
        asked,
        {
            "damage": "broken",
            "pole": "  LD-0231 ",
            "depth": "12.5",
            "seen_at": "2026-12-01T08:30",
            "more": "雨天更危险",
            "kinds": ["truck", "car", "car"],
        },
    )
    case = Case.objects.get(pk=intake.case.pk)
    assert case.answers == {
        "damage": "broken",
        "pole": "LD-0231",
        "depth": 12.5,
        "seen_at": "2026-12-01T08:30:00+08:00",
        "more": "雨天更危险",
        "kinds": ["car", "truck"],
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"depth": 3}, 3),
        ({"depth": "-4"}, -4),
        ({"depth": "1,200"}, 1200),
        ({"depth": 0.25}, 0.25),
        ({"seen_at": "2026-12-01T00:30:00Z"}, "2026-12-01T08:30:00+08:00"),
        ({"seen_at": "2026-12-01 14:00+08:00"}, "2026-12-01T14:00:00+08:00"),
        ({"kinds": "ebike"}, ["ebike"]),
        ({"damage": ["loose"]}, "loose"),
        ({"pole": 231}, "231"),
    ],
)
def test_it_reads_each_datatype_in_its_usual_forms(world, asked, given, stored):
    case = file(world, asked, {"damage": "missing", **given}).case
    (code,) = given
    assert case.answers[code] == stored


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("depth", "deep", "enter a number"),
        ("depth", "NaN", "enter a number"),
        ("depth", "Infinity", "enter a number"),
        ("depth", True, "enter a number"),
        ("depth", "1" * 50, "enter a number"),
        ("seen_at", "yesterday", "enter a date and time"),
        ("seen_at", "2026-13-01T10:00", "enter a date and time"),
        ("seen_at", "0001-01-01T00:00", "enter a date and time"),
        ("pole", "x" * 201, "at most 200 characters"),
        ("more", "x" * 2001, "at most 2000 characters"),
        ("pole", {"a": 1}, "write the answer as text"),
        ("pole", "a\x00b", "write the answer as text"),
        ("damage", "gone", "is not one of the listed answers"),
        ("damage", ["missing", "broken"], "choose one answer"),
        ("kinds", ["car", "boat"], "“boat” is not one of the listed answers"),
        ("kinds", [{"key": "car"}], "choose from the listed answers"),
    ],
)
def test_it_refuses_an_answer_that_does_not_fit_and_writes_nothing(world, asked, code, value, message):
    raw = {"damage": "missing", code: value}
    with translation.override("en"):
        fields = refused(world, asked, raw)
    assert list(fields) == [f"answers.{code}"]
    assert message in fields[f"answers.{code}"]
    label = {q.code: q.label_en for q in categories.questions(asked)}[code]
    assert f"“{label}”" in fields[f"answers.{code}"]


def test_it_accepts_the_longest_texts(world, asked):
    case = file(world, asked, {"damage": "missing", "pole": "x" * 200, "more": "y" * 2000}).case
    assert len(case.answers["pole"]) == 200 and len(case.answers["more"]) == 2000


def test_it_refuses_a_missing_required_answer_and_counts_empty_as_absent(world, asked):
    for raw in (None, {}, {"damage": ""}, {"damage": "   "}, {"damage": []}, {"damage": None}):
        with translation.override("zh-hans"):
            fields = refused(world, asked, raw)
        assert list(fields) == ["answers.damage"]
        assert "损坏程度" in fields["answers.damage"]
    case = file(world, asked, {"damage": "loose", "pole": "", "kinds": [], "depth": None}).case
    assert case.answers == {"damage": "loose"}


def test_it_refuses_an_unknown_or_retired_question(world, asked):
    fields = refused(world, asked, {"damage": "missing", "colour": "red", "old": "x"})
    assert set(fields) == {"answers.colour", "answers.old"}
    # A category without questions refuses any answer too.
    fields = refused(world, Category.objects.get(code="C0202"), {"damage": "missing"})
    assert list(fields) == ["answers.damage"]


def test_it_refuses_answers_that_are_not_an_object(world, asked):
    fields = refused(world, asked, ["damage", "missing"])
    assert list(fields) == ["answers"]


def test_answer_errors_join_the_other_field_errors(world, asked):
    asked.description_required = True
    asked.save()
    with pytest.raises(ApplicationError) as caught:
        services.case_create(
            reporter=world.resident,
            source=Case.Source.RESIDENT,
            category=asked,
            description="",
            lon=120.705,
            lat=31.605,
            photos=[jpeg()],
            answers={"depth": "x"},
        )
    assert set(caught.value.extra["fields"]) == {"description", "answers.damage", "answers.depth"}


def test_a_12345_order_is_filed_without_the_required_answers_nobody_gave(world, asked):
    case = file(world, asked, None, reporter=None, actor=world.town_operator, source=Case.Source.HOTLINE).case
    assert case.answers == {}
    # What is given is still checked.
    fields = refused(
        world, asked, {"damage": "gone"}, reporter=None, actor=world.town_operator, source=Case.Source.HOTLINE
    )
    assert list(fields) == ["answers.damage"]


def test_clean_answers_raises_with_the_fields(asked):
    assert answers.clean_answers(asked, {"damage": "missing"}) == {"damage": "missing"}
    with pytest.raises(ApplicationError) as caught:
        answers.clean_answers("C0201", {})
    assert list(caught.value.extra["fields"]) == ["answers.damage"]


def test_a_retry_with_the_same_answers_returns_the_first_case(world, asked):
    first = file(
        world, asked, {"damage": "broken", "kinds": ["car", "truck"]}, idempotency_key="answers-0001"
    )
    again = file(
        world, asked, {"kinds": ["truck", "car", "car"], "damage": "broken"}, idempotency_key="answers-0001"
    )
    assert first.created and not again.created
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1
    with pytest.raises(ApplicationError) as caught:
        file(world, asked, {"damage": "loose"}, idempotency_key="answers-0001")
    assert caught.value.code == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_the_fingerprint_of_a_report_without_answers_is_unchanged():
    fields = dict(
        source="resident",
        category="C0201",
        lon=120.7,
        lat=31.6,
        description="d",
        address="",
        photo_hashes=[],
        reporter_name="",
        reporter_phone="",
        is_public=True,
        priority="normal",
        external_ref="",
    )
    plain = request_fingerprint(**fields)
    assert request_fingerprint(**fields, answers={}) == plain
    assert request_fingerprint(**fields, answers={"a": 1}) != plain


# ---------------------------------------------------------------------------------------------
# The doors: API, report page, case page, admin


def test_the_api_lists_questions_and_files_answers_round_trip(client, world, asked):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    listed = client.get("/api/v1/cases/categories").json()
    minors = {m["code"]: m for major in listed for m in major["children"]}
    damage = minors["C0201"]["questions"][0]
    assert damage["code"] == "damage" and damage["required"] is True and damage["order"] == 1
    assert damage["datatype"] == "singlevaluelist"
    assert damage["values"][0] == {"key": "missing", "name": "缺失", "name_en": "Missing"}
    assert [q["code"] for q in minors["C0201"]["questions"]] == [
        "damage",
        "pole",
        "depth",
        "seen_at",
        "more",
        "kinds",
    ]
    assert minors["C0202"]["questions"] == []

    client.login(username=world.resident.username, password=PASSWORD)
    body = {
        "category": "C0201",
        "description": "井盖破损",
        "lon": 120.705,
        "lat": 31.605,
        "photos": [],
        "answers": {"damage": "broken", "kinds": ["ebike"], "depth": 7},
    }
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content  # the category needs a photo
    body["photos"] = [base64.b64encode(jpeg()).decode()]
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    number = response.json()["tracking_number"]
    detail = client.get(f"/api/v1/cases/{number}").json()
    assert detail["answers"] == [
        {"code": "damage", "label": "损坏程度", "value": "broken", "text": "破损"},
        {"code": "depth", "label": "深度（厘米）", "value": 7, "text": "7"},
        {"code": "kinds", "label": "车辆类型", "value": ["ebike"], "text": "电动车"},
    ]


def test_the_api_refuses_bad_answers_under_their_codes(client, world, asked):
    body = {
        "category": "C0201",
        "description": "井盖破损",
        "lon": 120.705,
        "lat": 31.605,
        "photos": [base64.b64encode(jpeg()).decode()],
        "answers": {"depth": "deep", "what": 1},
    }
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert set(fields) == {"answers.damage", "answers.depth", "answers.what"}
    assert Case.objects.count() == 0
    body["answers"] = "damage=missing"
    response = client.post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_the_api_reads_answers_as_dotted_form_fields(client, world, asked):
    response = client.post(
        "/api/v1/cases/",
        {
            "category": "C0201",
            "description": "井盖破损",
            "lon": "120.705",
            "lat": "31.605",
            "photos": [_upload()],
            "answers.damage": "missing",
            "answers.kinds": ["car", "truck"],
            "answers.pole": "",
        },
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_number=response.json()["tracking_number"])
    assert case.answers == {"damage": "missing", "kinds": ["car", "truck"]}


def _upload():
    return SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg")


def test_the_report_page_sends_the_questions_and_shows_errors_by_question(client, world, asked):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("cases:report"))
    assert page.status_code == 200
    config = page.context["category_config"]
    assert [q["code"] for q in config["categories"]["C0201"]] == [
        "damage",
        "pole",
        "depth",
        "seen_at",
        "more",
        "kinds",
    ]
    assert "C0202" not in config["categories"]
    assert 'id="report-questions"' in page.content.decode()
    assert "static/css/questions.css" in page.content.decode() or "questions.css" in page.content.decode()

    form = {
        "category": "C0201",
        "description": "井盖破损",
        "lon": "120.705",
        "lat": "31.605",
        "crs": "wgs84",
        "is_public": "on",
        "idempotency_key": "page-answers-0001",
        "photos": _upload(),
        "answers.depth": "deep",
        "answers.kinds": ["car", "ebike"],
    }
    response = client.post(reverse("cases:report"), form)
    assert response.status_code == 400
    config = response.context["category_config"]
    assert set(config["errors"]) == {"damage", "depth"}
    assert "损坏程度" in config["errors"]["damage"]
    # What was typed comes back to be shown again.
    assert config["values"] == {"depth": "deep", "kinds": ["car", "ebike"]}
    assert Case.objects.count() == 0

    form.update({"answers.damage": "missing", "answers.depth": "30", "photos": _upload()})
    response = client.post(reverse("cases:report"), form)
    assert response.status_code == 302, response.context and response.context["form"].errors
    case = Case.objects.get()
    assert case.answers == {"damage": "missing", "depth": 30, "kinds": ["car", "ebike"]}


def test_the_report_page_names_the_answers_refused_when_the_place_is_missing_too(client, world, asked):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    form = {"category": "C0201", "description": "井盖破损", "idempotency_key": "page-answers-0002"}
    response = client.post(reverse("cases:report"), {**form, "answers.depth": "deep"})
    assert response.status_code == 400
    assert set(response.context["category_config"]["errors"]) == {"damage", "depth"}
    # Without JavaScript the refusals still show, as a list under the category.
    assert "data-questions-fallback" in response.content.decode()
    assert Case.objects.count() == 0


def test_the_case_page_shows_the_answers_to_staff_and_reporter_not_the_public(client, world, asked):
    case = file(world, asked, {"damage": "broken", "kinds": ["car", "truck"]}).case
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for user in (world.resident, world.grid_worker):
        client.login(username=user.username, password=PASSWORD)
        page = client.get(reverse("cases:detail", args=[case.tracking_number])).content.decode()
        assert "损坏程度" in page and "破损" in page and "汽车、货车" in page
        client.logout()
    public = client.get(reverse("cases:public_status_number", args=[case.tracking_number])).content.decode()
    assert "损坏程度" not in public


def test_the_example_questions_are_valid_and_the_demo_answers_pass_the_check(world):
    assert load_questions(Category, CategoryQuestion) == sum(len(q) for q in QUESTIONS.values())
    assert load_questions(Category, CategoryQuestion) == 0  # once
    for question in CategoryQuestion.objects.all():
        question.full_clean()
    for code, given in DEMO_ANSWERS.items():
        assert answers.clean_answers(code, given)
    # The manhole cover's damage is required; the others are optional.
    assert [q.code for q in categories.questions("C0101") if q.required] == ["damage"]
    assert not [q for code in ("C0102", "E0402") for q in categories.questions(code) if q.required]


def test_a_question_with_its_choices_emptied_keeps_an_empty_list(asked):
    question = CategoryQuestion(category=asked, code="q", label="问", datatype="string", values=None)
    question.full_clean()
    question.save()
    assert CategoryQuestion.objects.get(pk=question.pk).values == []
