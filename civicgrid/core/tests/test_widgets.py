"""QuickSelect writes the HTML Django's own Select writes."""

import re

from django import forms

from civicgrid.core.widgets import QuickSelect

CHOICES = [
    ("", "任何 <类别>"),
    ("Group & co", [("A01", "井盖 “破损”"), ("A02", "路灯")]),
    ("x", "Plain"),
]


def test_it_renders_what_django_select_renders():
    for value in ("", "A02", "x", "missing", None):
        for attrs in (None, {"id": "id_f", "disabled": True, "data-x": 'a"b'}, {"required": False}):
            ours = QuickSelect(choices=CHOICES).render("f", value, attrs=attrs)
            theirs = forms.Select(choices=CHOICES).render("f", value, attrs=attrs)
            # The same but for the whitespace between tags that Django's templates leave.
            assert ours == re.sub(r">\s+<", "><", theirs), (value, attrs)


def test_it_escapes_labels_and_values():
    html = QuickSelect(choices=[('"><script>', "<b>")]).render("f", None)
    assert "<script>" not in html and "<b>" not in html
