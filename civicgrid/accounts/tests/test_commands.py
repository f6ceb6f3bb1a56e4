from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicgrid.accounts.services import api_token_authenticate


def test_it_creates_a_token_for_a_staff_account(world):
    out = StringIO()
    call_command("create_api_token", "operator", "12345 bridge", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    assert api_token_authenticate(plain) == world.town_operator


def test_it_refuses_unknown_accounts_and_residents(world):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "x", stdout=StringIO())
    with pytest.raises(CommandError, match="permission"):
        call_command("create_api_token", "resident", "x", stdout=StringIO())
