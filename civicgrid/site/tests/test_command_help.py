"""Every command of the project answers --help (argparse needs plain strings: a lazy one breaks it)."""

from __future__ import annotations

import pytest
from django.core.management import get_commands, load_command_class

OURS = sorted(name for name, app in get_commands().items() if app.startswith("civicgrid."))


def test_the_project_has_commands():
    assert {"generate_cases", "load_demo", "case_figures", "case_counts"} <= set(OURS)


@pytest.mark.parametrize("name", OURS)
def test_help(name):
    command = load_command_class(get_commands()[name], name)
    text = command.create_parser("manage.py", name).format_help()
    assert name in text
