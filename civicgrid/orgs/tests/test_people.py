"""People and their posts: terms end but stay; cross-appointments count current posts in two organisations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from civicgrid.core.errors import ApplicationError, Conflict
from civicgrid.orgs import access, selectors, services
from civicgrid.orgs.models import Person, Position


def appoint(net, person, org, role="executive", start=date(2026, 1, 1), end=None):
    return services.position_appoint(
        actor=net.world.superuser, person=person, organisation=org, role=role, term_start=start, term_end=end
    )


def test_cross_appointments_count_only_current_posts_in_two_organisations(net):
    leader = Person.objects.create(name="领头雁")
    appoint(net, leader, net.enterprise_fed, "chair")
    appoint(net, leader, net.village_a1_fed)
    past = Person.objects.create(name="卸任者")
    appoint(net, past, net.town_a_fed)
    appoint(net, past, net.town_b_fed, end=timezone.localdate() - timedelta(days=1))
    twice_same = Person.objects.create(name="一处两职")
    appoint(net, twice_same, net.town_b_fed, "vice_chair")
    appoint(net, twice_same, net.town_b_fed, "instructor")
    names = [p.name for p, _posts in selectors.cross_appointments(net.cadre)]
    assert "领头雁" in names
    assert "卸任者" not in names and "一处两职" not in names
    # Shown from either side: each organisation's holder lists the other post.
    holders, _past = selectors.positions_of(net.enterprise_fed)
    mine = next(h for h in holders if h.position.person_id == leader.pk)
    assert [p.organisation_id for p in mine.elsewhere] == [net.village_a1_fed.pk]
    holders, _past = selectors.positions_of(net.village_a1_fed)
    mine = next(h for h in holders if h.position.person_id == leader.pk)
    assert [p.organisation_id for p in mine.elsewhere] == [net.enterprise_fed.pk]
    # Another district's cadre sees none of it.
    assert "领头雁" not in [p.name for p, _posts in selectors.cross_appointments(net.other_cadre)]


def test_ending_a_term_keeps_it_and_ends_the_cadres_rights(net):
    position = Position.objects.get(person=net.cadre_person, organisation=net.district_fed)
    assert access.can_manage(net.cadre, net.town_a_fed)
    services.position_end(
        actor=net.city_cadre, position=position, term_end=timezone.localdate(), reason="换届"
    )
    position.refresh_from_db()
    assert position.term_end == timezone.localdate() and position.end_reason == "换届"
    access.forget(net.cadre)
    assert not access.can_manage(net.cadre, net.town_a_fed)
    with pytest.raises(Conflict):
        services.position_end(actor=net.city_cadre, position=position, term_end=timezone.localdate())
    assert Position.objects.filter(pk=position.pk).exists()


def test_one_open_chair_per_organisation_and_no_term_ending_before_it_starts(net):
    first, second = Person.objects.create(name="甲"), Person.objects.create(name="乙")
    appoint(net, first, net.town_b_fed, "chair")
    with pytest.raises(Conflict):
        appoint(net, second, net.town_b_fed, "chair")
    with pytest.raises(ApplicationError) as err:
        appoint(net, second, net.town_b_fed, "member", start=date(2026, 5, 1), end=date(2026, 4, 1))
    assert "term_end" in err.value.extra["fields"]


def test_id_numbers_are_hashed_checked_and_masked(net):
    person = services.person_create(
        actor=net.cadre, organisation=net.town_a_fed, name="王", id_number="11010519491231002x"
    )
    assert person.id_masked == "110105********002X"
    assert "19491231" not in (person.id_hash or "") and len(person.id_hash) == 64
    with pytest.raises(Conflict):
        services.person_create(
            actor=net.cadre, organisation=net.town_a_fed, name="王二", id_number="11010519491231002X"
        )
    with pytest.raises(ApplicationError):
        services.person_create(
            actor=net.cadre, organisation=net.town_a_fed, name="错", id_number="110105194912310020"
        )
