"""Forms of the grid forum's pages; they parse input, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.forms import ServiceErrorsMixin
from civicgrid.governance.services_forum import BODY_MAX, NOTE_MAX, REPLY_MAX, TITLE_MAX


class TopicForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("What do you propose?"),
        max_length=TITLE_MAX,
        help_text=_("One line, e.g. “Put up street lights on the lane behind the school”."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "next"}),
    )
    body = forms.CharField(
        label=_("Why, and where exactly"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ReplyForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ModerateForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Moderator's note (why)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
