"""The answers to a category's questions: the one check of every intake door.

The report page, the API (`answers` object or `answers.CODE` form fields) and Open311
(`attribute[CODE]`) hand over what they got; `services.case_create` calls `answers_check` and
stores what it returns in `Case.answers`. Errors are keyed `answers.<code>`, beside the report's
other field errors, so nothing is written when anything is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicgrid.cases import categories
from civicgrid.cases.categories import Question
from civicgrid.cases.models import Category, CategoryQuestion
from civicgrid.core.errors import ApplicationError
from civicgrid.core.schemas import FIRST_YEAR, LAST_YEAR
from civicgrid.lib.text import text_problem

Datatype = CategoryQuestion.Datatype
MAX_LENGTH = {Datatype.STRING: 200, Datatype.TEXT: 2000}
NUMBER_MAX_CHARS = 40
DATETIME_MAX_CHARS = 40
# Unknown codes named in one answer at most: a body of thousands of made-up codes gets a short reply.
UNKNOWN_LISTED = 10
FIELD_PREFIX = "answers."


class _Invalid(Exception):
    pass


def field_name(code: str) -> str:
    """Return the error key of a question's answer: `answers.<code>`."""
    return f"{FIELD_PREFIX}{code}"


def clean_answers(
    category: Category | str | None, raw: Mapping[str, Any] | None, *, require: bool = True
) -> dict[str, Any]:
    """Return the answers to the category's questions, checked and normalised; raise an
    ApplicationError (code `invalid`, `extra["fields"]` keyed `answers.<code>`) when any is wrong."""
    cleaned, errors = answers_check(category, raw, require=require)
    if errors:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", extra={"fields": errors}
        )
    return cleaned


def answers_check(
    category: Category | str | None, raw: Mapping[str, Any] | None, *, require: bool = True
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (the cleaned answers, the errors by field) for the active questions of the category.

    1. An answer must be to one of the category's questions (`answers.<code>`: unknown question).
    2. An empty answer (None, blank text, an empty list) counts as not given; a required question
       not answered is an error (unless `require` is false: staff recording a 12345 order or a
       liaison group's case put down what they were told, and an order cannot be refused for it).
    3. Each answer is read by its question's datatype (`_clean_value`) and stored normalised: text
       trimmed, a number as a number, a date and time as ISO 8601 with its zone, a single choice as
       its key, several choices as their keys without repeats, in the order of the choices.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return {}, {"answers": _("Send the answers as an object of question codes and answers.")}
    if categories.eligible(category) is None:
        # No category to answer for: intake refuses the category itself.
        return {}, {}
    asked = categories.questions(category)
    by_code = {q.code: q for q in asked}
    errors: dict[str, str] = {}
    unknown = 0
    for code in raw:
        if str(code) not in by_code:
            unknown += 1
            if unknown <= UNKNOWN_LISTED:
                name = str(code)[:40]
                errors[field_name(name)] = _("This category has no question “%(code)s”.") % {"code": name}
    cleaned: dict[str, Any] = {}
    for question in asked:
        value = raw.get(question.code)
        if _is_empty(value):
            if question.required and require:
                errors[field_name(question.code)] = _("“%(label)s” needs an answer.") % {
                    "label": question.display_label
                }
            continue
        try:
            cleaned[question.code] = _clean_value(question, value)
        except _Invalid as exc:
            errors[field_name(question.code)] = str(exc)
    return cleaned, errors


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(_is_empty(v) for v in value)
    return False


def _clean_value(question: Question, value: Any) -> Any:
    label = {"label": question.display_label}
    datatype = question.datatype
    if datatype in MAX_LENGTH:
        text = _text(value)
        if text is None:
            raise _Invalid(_("“%(label)s”: write the answer as text.") % label)
        limit = MAX_LENGTH[datatype]
        if len(text) > limit:
            raise _Invalid(_("“%(label)s”: at most %(n)d characters.") % {**label, "n": limit})
        return text
    if datatype == Datatype.NUMBER:
        number = _number(_single(value))
        if number is None:
            raise _Invalid(_("“%(label)s”: enter a number, e.g. 3 or 2.5.") % label)
        return number
    if datatype == Datatype.DATETIME:
        moment = _datetime(_single(value))
        if moment is None:
            raise _Invalid(_("“%(label)s”: enter a date and time, e.g. 2026-12-01T14:30.") % label)
        return moment
    keys = _keys(value)
    if keys is None:
        raise _Invalid(_("“%(label)s”: choose from the listed answers.") % label)
    known = question.keys
    wrong = [k for k in keys if k not in known]
    if wrong:
        raise _Invalid(
            _("“%(label)s”: “%(key)s” is not one of the listed answers.") % {**label, "key": wrong[0][:40]}
        )
    if datatype == Datatype.SINGLE:
        if len(set(keys)) > 1:
            raise _Invalid(_("“%(label)s”: choose one answer.") % label)
        return keys[0]
    chosen = set(keys)
    return [c.key for c in question.values if c.key in chosen]


def _single(value: Any) -> Any:
    # A form may send a one-item list for a single field.
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def _text(value: Any) -> str | None:
    value = _single(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return str(value)
    if not isinstance(value, str) or text_problem(value):
        return None
    return value.strip()


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or len(value.strip()) > NUMBER_MAX_CHARS:
        return None
    try:
        number = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number == number.to_integral_value() and abs(number) < 10**15:
        return int(number)
    result = float(number)
    return result if math.isfinite(result) else None


def _datetime(value: Any) -> str | None:
    """Return an ISO 8601 date and time as ISO 8601 in the local zone; a naive one is local time."""
    if not isinstance(value, str) or len(value.strip()) > DATETIME_MAX_CHARS:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # Near year 1 or 9999 a shift of zone overflows; such a year is a typing mistake anyway.
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).isoformat()


def _keys(value: Any) -> list[str] | None:
    items: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
    keys = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            return None
        key = str(item).strip()
        if text_problem(key):
            return None
        if key:
            keys.append(key)
    return keys


@dataclass(frozen=True)
class AnswerView:
    """One answer of a case as a person reads it: the question's label, the stored value, its text."""

    code: str
    label: str
    value: Any
    text: str


def answer_items(category: Category | str | None, answers: Mapping[str, Any] | None) -> list[AnswerView]:
    """Return the answers of a case in the questions' order, labels and choice names in the active
    language; answers to questions no longer asked are shown under their code.

    Used by the case presenter, for the case page and the API's case detail.
    """
    if not answers or not isinstance(answers, Mapping):
        return []
    asked = categories.questions(category)
    if not asked and isinstance(category, Category):
        # A retired category is out of the copy; its case still reads as answered.
        asked = [Question.of(row) for row in category.questions.order_by("order", "code")]
    items = []
    for question in asked:
        if question.code in answers:
            value = answers[question.code]
            items.append(AnswerView(question.code, question.display_label, value, _read(question, value)))
    shown = {q.code for q in asked}
    for code, value in answers.items():
        if code not in shown:
            items.append(AnswerView(str(code), str(code), value, _read(None, value)))
    return items


def _read(question: Question | None, value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    separator = ", " if (get_language() or "").startswith("en") else "、"
    if question is not None and question.is_list:
        return separator.join(question.value_name(str(v)) for v in values)
    if question is not None and question.datatype == Datatype.DATETIME and isinstance(value, str):
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return separator.join(str(v) for v in values)
