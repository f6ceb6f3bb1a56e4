"""Pairings and people sent down: who may record what, the checks on input, compare-and-set ends."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.governance import access, presenters_pairings, services_pairings
from civicgrid.governance.models import Envoy, EnvoyActivity, Matter, Pairing, SupportRecord
from civicgrid.governance.tests.helpers_pairings import matter, pair, pw_fixture  # noqa: F401

DAY = date(2026, 3, 10)


def test_a_town_operator_pairs_an_agency_with_a_village_with_an_audit_entry(pw):
    pairing = pair(pw, note="包片联村")
    assert pairing.town == pw.town_a and pairing.partner_name == "市水务局"
    entry = AuditEntry.objects.get(action="governance.pairing_create")
    assert entry.place_code == pw.village_a1.code and entry.actor == pw.town_operator


def test_a_district_administrator_pairs_a_financial_institution_by_name(pw):
    pairing = pair(pw, kind=Pairing.Kind.FINANCE, partner_name="甲镇农商银行", village=pw.village_a2)
    assert pairing.agency is None and pairing.kind == "finance"
    by_admin = services_pairings.pairing_create(
        actor=pw.city_admin, kind="finance", village=pw.village_a1, partner_name="邮储银行", starts_on=DAY
    )
    assert by_admin.town == pw.town_a


@pytest.mark.parametrize("who", ["village_cadre", "grid_worker", "resident", "agency_staff", "outsider"])
def test_only_the_towns_managers_record_pairings(pw, who):
    with pytest.raises(PermissionDenied):
        services_pairings.pairing_create(
            actor=getattr(pw, who), kind="agency", village=pw.village_a1, agency=pw.agency, starts_on=DAY
        )
    assert not Pairing.objects.exists()


def test_a_town_operator_may_not_pair_in_another_town(pw):
    with pytest.raises(PermissionDenied):
        services_pairings.pairing_create(
            actor=pw.town_operator, kind="agency", village=pw.village_b1, agency=pw.agency, starts_on=DAY
        )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "agency", "agency": None}, "agency"),
        ({"kind": "finance", "agency": None, "partner_name": ""}, "partner_name"),
        ({"kind": "nonsense"}, "kind"),
        ({"ends_on": date(2025, 1, 1)}, "ends_on"),
        ({"note": "长" * 2001}, "note"),
    ],
)
def test_a_pairing_with_something_wrong_names_the_field_and_writes_nothing(pw, values, field):
    args = {
        "kind": "agency",
        "agency": pw.agency,
        "partner_name": "",
        "starts_on": date(2026, 1, 1),
        **values,
    }
    with pytest.raises(ApplicationError) as refused:
        services_pairings.pairing_create(actor=pw.town_operator, village=pw.village_a1, **args)
    assert field in refused.value.extra["fields"]
    assert not Pairing.objects.exists()


def test_a_grid_is_not_a_village_to_pair_with(pw):
    with pytest.raises(ApplicationError) as refused:
        pair(pw, village=pw.grid_a1a)
    assert "village" in refused.value.extra["fields"]


def test_the_same_agency_is_not_paired_twice_with_a_village_at_once(pw):
    pair(pw, starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
    with pytest.raises(ApplicationError):
        pair(pw, starts_on=date(2026, 6, 1))
    later = pair(pw, starts_on=date(2026, 7, 1))
    assert later.pk


def test_ending_a_pairing_twice_is_a_conflict_and_it_stays_on_record(pw):
    pairing = pair(pw)
    yesterday = timezone.localdate() - timedelta(days=1)
    ended = services_pairings.pairing_end(
        actor=pw.town_operator, pairing=pairing, ends_on=yesterday, note="期满"
    )
    assert ended.ends_on == yesterday and "期满" in ended.note
    with pytest.raises(Conflict):
        services_pairings.pairing_end(actor=pw.town_operator, pairing=pairing, ends_on=yesterday)
    assert Pairing.objects.filter(pk=pairing.pk).exists()
    assert AuditEntry.objects.filter(action="governance.pairing_end").count() == 1


def test_a_stale_end_is_refused_by_the_compare_and_set(pw):
    pairing = pair(pw)
    stale = Pairing.objects.get(pk=pairing.pk)
    Pairing.objects.filter(pk=pairing.pk).update(ends_on=timezone.localdate() + timedelta(days=30))
    # The service reads the row again; what it read is compared when it writes.
    ended = services_pairings.pairing_end(actor=pw.town_operator, pairing=stale, ends_on=timezone.localdate())
    assert ended.ends_on == timezone.localdate()


def test_a_pairing_ends_no_earlier_than_its_last_support(pw):
    pairing = pair(pw)
    services_pairings.support_record(actor=pw.town_operator, pairing=pairing, kind="visit", on=DAY)
    with pytest.raises(ApplicationError) as refused:
        services_pairings.pairing_end(
            actor=pw.town_operator, pairing=pairing, ends_on=DAY - timedelta(days=1)
        )
    assert "ends_on" in refused.value.extra["fields"]


# --- Support --------------------------------------------------------------------------------------


def test_agency_staff_record_their_own_pairings_support_only(pw):
    water = pair(pw)
    power = pair(pw, agency=pw.power, village=pw.village_a2)
    record = services_pairings.support_record(
        actor=pw.agency_staff, pairing=water, kind="funds", on=DAY, amount="50000", note="路灯改造"
    )
    assert record.amount == Decimal("50000.00") and record.recorded_by == pw.agency_staff
    with pytest.raises(PermissionDenied):
        services_pairings.support_record(actor=pw.agency_staff, pairing=power, kind="visit", on=DAY)
    with pytest.raises(PermissionDenied):
        services_pairings.support_record(actor=pw.power_staff, pairing=water, kind="visit", on=DAY)
    assert SupportRecord.objects.count() == 1
    assert access.can_view_pairing(pw.agency_staff, water) and not access.can_view_pairing(
        pw.agency_staff, power
    )


@pytest.mark.parametrize("who", ["village_cadre", "grid_worker", "resident", "outsider", "resident_b"])
def test_others_may_not_record_support(pw, who):
    pairing = pair(pw)
    with pytest.raises(PermissionDenied):
        services_pairings.support_record(actor=getattr(pw, who), pairing=pairing, kind="visit", on=DAY)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "funds"}, "amount"),
        ({"kind": "loan", "amount": "-3"}, "amount"),
        ({"kind": "loan", "amount": "abc"}, "amount"),
        ({"kind": "visit", "on": date(2025, 12, 31)}, "on"),
        ({"kind": "visit", "on": "tomorrow"}, "on"),
        ({"kind": "matter"}, "matter"),
        ({"kind": "gift"}, "kind"),
    ],
)
def test_support_with_something_wrong_names_the_field(pw, values, field):
    pairing = pair(pw)
    if values.get("on") == "tomorrow":
        values["on"] = timezone.localdate() + timedelta(days=1)
    args = {"on": DAY, **values}
    with pytest.raises(ApplicationError) as refused:
        services_pairings.support_record(actor=pw.town_operator, pairing=pairing, **args)
    assert field in refused.value.extra["fields"]
    assert not SupportRecord.objects.exists()


def test_a_visit_keeps_no_amount(pw):
    record = services_pairings.support_record(
        actor=pw.town_operator, pairing=pair(pw), kind="visit", on=DAY, amount="100"
    )
    assert record.amount is None


def test_a_matter_taken_up_must_be_the_villages_claimed_and_not_another_agencys(pw):
    pairing = pair(pw)
    ours = matter(pw, village=pw.village_a1, state=Matter.State.CLAIMED, claimant=pw.agency)
    town_wide = matter(pw, state=Matter.State.VERIFIED)
    unclaimed = matter(pw, village=pw.village_a1)
    elsewhere = matter(pw, village=pw.village_a2, state=Matter.State.CLAIMED)
    others = matter(pw, village=pw.village_a1, state=Matter.State.CLAIMED, claimant=pw.power)
    for m in (ours, town_wide):
        services_pairings.support_record(
            actor=pw.agency_staff, pairing=pairing, kind="matter", on=DAY, matter=m
        )
    for m in (unclaimed, elsewhere, others, ours):
        with pytest.raises(ApplicationError) as refused:
            services_pairings.support_record(
                actor=pw.agency_staff, pairing=pairing, kind="matter", on=DAY, matter=m
            )
        assert "matter" in refused.value.extra["fields"]
    assert SupportRecord.objects.filter(kind="matter").count() == 2


# --- People sent down -----------------------------------------------------------------------------


def envoy(pw, **kw):
    values = {
        "grid": pw.grid_a1a,
        "kind": "party_member",
        "name": "韩建国",
        "organisation": "市水务局",
        "role": "网格指导员",
        "phone": "13912345678",
        "starts_on": date(2026, 1, 1),
        **kw,
    }
    return services_pairings.envoy_create(actor=pw.town_operator, **values)


def test_a_person_is_sent_down_to_a_grid_with_their_village_and_town(pw):
    sent = envoy(pw, user=pw.party_member)
    assert (sent.village, sent.town) == (pw.village_a1, pw.town_a)
    assert AuditEntry.objects.filter(action="governance.envoy_create", place_code=pw.grid_a1a.code).exists()
    with pytest.raises(ApplicationError) as again:
        envoy(pw, user=pw.party_member)
    assert "user" in again.value.extra["fields"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"kind": "mayor"}, "kind"),
        ({"ends_on": date(2025, 1, 1)}, "ends_on"),
    ],
)
def test_a_person_sent_down_with_something_wrong_names_the_field(pw, values, field):
    with pytest.raises(ApplicationError) as refused:
        envoy(pw, **values)
    assert field in refused.value.extra["fields"]
    assert not Envoy.objects.exists()


def test_a_financial_cadre_comes_under_a_pairing_of_the_grids_village_only(pw):
    bank = pair(pw, kind="finance", partner_name="农商银行", village=pw.village_a2)
    with pytest.raises(ApplicationError) as refused:
        envoy(pw, kind="financial_cadre", pairing=bank)
    assert "pairing" in refused.value.extra["fields"]
    cadre = envoy(pw, kind="financial_cadre", pairing=bank, grid=pw.grid_a2a)
    assert cadre.pairing == bank


@pytest.mark.parametrize("who", ["village_cadre", "grid_worker", "outsider", "agency_staff"])
def test_only_the_managers_send_people_down(pw, who):
    with pytest.raises(PermissionDenied):
        services_pairings.envoy_create(
            actor=getattr(pw, who), grid=pw.grid_a1a, kind="deputy", name="代表", starts_on=DAY
        )


def test_activity_is_recorded_by_the_envoy_the_grid_staff_and_the_managers_only(pw):
    sent = envoy(pw, user=pw.party_member)
    for who in (pw.party_member, pw.grid_worker, pw.grid_leader, pw.village_cadre, pw.town_operator):
        services_pairings.envoy_activity_record(
            actor=who, envoy=sent, kind="visit", on=DAY, note="走访独居老人"
        )
    for who in (pw.resident, pw.outsider, pw.agency_staff, pw.resident_b):
        with pytest.raises(PermissionDenied):
            services_pairings.envoy_activity_record(actor=who, envoy=sent, kind="visit", on=DAY, note="x")
    assert EnvoyActivity.objects.filter(envoy=sent).count() == 5


def test_activity_outside_the_term_or_on_another_grids_case_is_refused(pw):
    sent = envoy(pw, ends_on=date(2026, 6, 30))
    with pytest.raises(ApplicationError) as refused:
        services_pairings.envoy_activity_record(
            actor=pw.town_operator, envoy=sent, kind="visit", on=date(2026, 7, 1), note="x"
        )
    assert "on" in refused.value.extra["fields"]
    with pytest.raises(ApplicationError) as refused:
        services_pairings.envoy_activity_record(actor=pw.town_operator, envoy=sent, kind="case", on=DAY)
    assert "case" in refused.value.extra["fields"]


def test_ending_a_term_twice_is_a_conflict(pw):
    sent = envoy(pw)
    yesterday = timezone.localdate() - timedelta(days=1)
    services_pairings.envoy_end(actor=pw.town_operator, envoy=sent, ends_on=yesterday)
    with pytest.raises(Conflict):
        services_pairings.envoy_end(actor=pw.town_operator, envoy=sent, ends_on=yesterday)
    with pytest.raises(PermissionDenied):
        services_pairings.envoy_end(actor=pw.grid_worker, envoy=envoy(pw, name="另一位"), ends_on=yesterday)


def test_the_phone_is_whole_for_the_grids_staff_and_masked_for_its_residents(pw):
    sent = envoy(pw)
    whole = presenters_pairings.grid_envoys_panel(pw.grid_worker, pw.grid_a1a).envoys[0]
    assert whole.phone == "13912345678" and not whole.phone_is_masked and whole.url
    masked = presenters_pairings.grid_envoys_panel(pw.resident, pw.grid_a1a).envoys[0]
    assert masked.phone == "139****5678" and masked.phone_is_masked
    # A resident reads who serves the grid, not their record of work.
    assert masked.url == "" and masked.activity_count is None
    assert presenters_pairings.grid_envoys_panel(pw.outsider, pw.grid_a1a) is None
    assert presenters_pairings.grid_envoys_panel(pw.resident_b, pw.grid_a1a) is None
    assert presenters_pairings.grid_envoys_panel(pw.grid_worker, pw.village_a1) is None
    assert presenters_pairings.envoy_view(pw.town_operator, sent).phone == "13912345678"
    assert presenters_pairings.envoy_view(pw.agency_staff, sent).phone == "139****5678"
