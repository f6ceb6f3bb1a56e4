"""What every API schema shares: the error answer, and the checks every input string and date gets.

Routers build their input schemas on `InputSchema` and type string path parameters as `Text`, so a
string the database cannot store (NUL, a lone surrogate) or a date it cannot hold is a 400 field
error at the door, never a 500 further in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, field_validator
from pydantic_core import PydanticCustomError

from civicgrid.lib.text import text_problem

# Dates outside these years are typing mistakes, and near year 1 or 9999 a time-zone shift overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2100


class ErrorOut(Schema):
    """Every refusal the API gives, whatever its status."""

    message: str = Field(..., description="What went wrong, in the request's language, for a person")
    code: str = Field(..., description="A stable code for programs, e.g. invalid, not_found, locked")
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Details; `fields` maps each refused field (dotted for nested ones) to its message",
    )


def _check(value: Any) -> Any:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise PydanticCustomError("text_invalid", problem)
    elif isinstance(value, datetime | date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise PydanticCustomError(
                "date_out_of_range",
                _("Give a date between the years %(first)d and %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
    elif isinstance(value, list | tuple | set):
        for item in value:
            _check(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    # Nested schemas (BaseModel) have checked their own fields.
    return value


class InputSchema(Schema):
    """Base of every schema the API reads (bodies and query strings)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value
        return _check(value)


# A string path or plain query parameter, checked like the fields of an InputSchema.
Text = Annotated[str, AfterValidator(_check)]
