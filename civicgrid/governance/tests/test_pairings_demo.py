"""The demo's pairings: what it promises on the demo county, once, and a clean delete."""

from __future__ import annotations

from io import StringIO

import pytest

from civicgrid.accounts.models import User
from civicgrid.governance import demo_pairings, figures, presenters_pairings, selectors_pairings
from civicgrid.governance.models import Envoy, EnvoyActivity, Pairing, SupportRecord
from civicgrid.places.models import Place

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def county(demo_county):
    # `load_demo` loads the pairings with the rest of co-governance.
    assert Pairing.objects.exists()


def test_the_demo_gives_every_page_content(county):
    villages = Place.objects.filter(level="village", code__startswith=demo_pairings.DISTRICT_CODE)
    paired = set(Pairing.objects.filter(kind="agency").values_list("village_id", flat=True))
    assert paired == set(villages.values_list("id", flat=True))
    banks = Pairing.objects.filter(kind="finance")
    assert banks.count() == 3 and SupportRecord.objects.filter(pairing__in=banks, kind="loan").exists()
    assert Pairing.objects.filter(ends_on__isnull=False).count() == 1
    grids = Place.objects.filter(level="grid", code__startswith=demo_pairings.DISTRICT_CODE)
    assert set(Envoy.objects.values_list("grid_id", flat=True)) == set(grids.values_list("id", flat=True))
    assert set(Envoy.objects.values_list("kind", flat=True)) == {"party_member", "deputy", "financial_cadre"}
    assert EnvoyActivity.objects.count() >= Envoy.objects.count()
    # The `village` login is sent down to the first grid, where the demo cases it handled show.
    cadre = User.objects.get(username="village")
    envoy = Envoy.objects.get(user=cadre)
    assert selectors_pairings.envoy_cases(envoy)
    assert presenters_pairings.grid_envoys_panel(cadre, envoy.grid).envoys
    # The `agency` login recorded its own pairings' support; the town's figures have support.
    agency = User.objects.get(username="agency")
    assert SupportRecord.objects.filter(recorded_by=agency).exists()
    operator = User.objects.get(username="town")
    (town,) = figures.figure_towns(operator)
    quarter = figures.town_figures(operator, town, figures.period_of("quarter"))
    assert len(quarter.pairings) >= 6 and quarter.support.visits > 0


def test_it_runs_once_and_deletes_cleanly(county):
    before = Pairing.objects.count()
    out = StringIO()
    demo_pairings.load(stdout=out)
    assert "already" in out.getvalue() and Pairing.objects.count() == before
    demo_pairings.delete()
    assert not Pairing.objects.exists() and not Envoy.objects.exists() and not SupportRecord.objects.exists()
