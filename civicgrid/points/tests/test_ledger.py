"""The ledger: announcements earn once by the rule of their day, corrections, awards, reversals, rewards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from civicgrid.accounts.services import role_assign, user_create
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Category
from civicgrid.cases.signals import CaseAnnouncement, case_event_committed
from civicgrid.cases.tests.conftest import report
from civicgrid.core.errors import ApplicationError, Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.points import periods, selectors, services
from civicgrid.points.models import Account, Entry, Redemption, Reward, Slot, Tally
from civicgrid.points.tests.conftest import fund, goods, hours, service
from civicgrid.volunteers.signals import hours_approved
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return Account.objects.get(pk=user.pk).balance


def test_an_accepted_report_earns_its_reporter_once(world, rules, django_capture_on_commit_callbacks):
    category = Category.objects.get(code="C0201")
    with django_capture_on_commit_callbacks(execute=True):
        case = report(world, category)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_act(case=case, action="accept", actor=world.grid_worker)
    [entry] = Entry.objects.filter(user=world.resident)
    assert (entry.kind, entry.amount, entry.rule_id, entry.idempotency_key) == (
        "earn",
        3,
        rules.pk,
        f"case:{case.pk}:accepted",
    )
    assert entry.detail["tracking_number"] == case.tracking_number
    # The same announcement again (a retry, the backfill) posts nothing more.
    event = case.events.get(action="accept")
    again = CaseAnnouncement(
        case_id=case.pk,
        event_id=event.pk,
        action="accept",
        from_state="reported",
        to_state="accepted",
        at=event.at,
        actor_id=world.grid_worker.pk,
        reporter_id=world.resident.pk,
        source="resident",
        category_id=category.pk,
        grid_id=case.grid_id,
        village_id=case.village_id,
        town_id=case.town_id,
    )
    case_event_committed.send(sender=CaseAnnouncement, event=again)
    assert Entry.objects.filter(user=world.resident).count() == 1
    assert balance(world.resident) == 3


def test_a_mobile_grid_members_lead_earns_by_its_own_rule(world, rules):
    rider = user_create(username="rider", password=PASSWORD, display_name="骑手", phone="13900000009")
    role_assign(user=rider, role="mobile_grid_member", place=world.town_a)
    entry = services.report_accepted(
        case_id=99,
        reporter_id=rider.pk,
        source=Case.Source.MOBILE,
        community_id=world.village_a1.pk,
        day=date(2026, 3, 1),
    )
    assert entry.amount == 8
    # Hotline cases earn nobody anything.
    assert (
        services.report_accepted(
            case_id=100,
            reporter_id=rider.pk,
            source="hotline",
            community_id=world.village_a1.pk,
            day=date(2026, 3, 1),
        )
        is None
    )


def test_the_backfill_replays_accepted_cases_through_the_same_key(world, rules):
    from io import StringIO

    from django.core.management import call_command

    category = Category.objects.get(code="C0201")
    case = report(world, category)
    # Accepted without the receiver (as if it had failed): nothing posted yet.
    case_services.case_act(case=case, action="accept", actor=world.grid_worker)
    assert not Entry.objects.exists()
    out = StringIO()
    call_command("points_backfill", "--since", "2026-01-01", stdout=out)
    call_command("points_backfill", "--since", "2026-01-01", stdout=out)
    assert Entry.objects.filter(user=world.resident, source_kind="case", source_id=case.pk).count() == 1


def test_approved_hours_earn_by_the_rule_in_force_on_their_day(world, rules):
    later = services.rules_create(
        actor=world.village_cadre,
        community=world.village_a1,
        valid_from=date(2026, 4, 1),
        hourly={"elderly": 20},
    )
    hours_approved.send(sender=None, record=hours(world, record_id=1, minutes=90, day=date(2026, 3, 31)))
    hours_approved.send(
        sender=None, record=hours(world, record_id=2, minutes=90, day=date(2026, 4, 1), activity_id=502)
    )
    by_key = {e.idempotency_key: e for e in Entry.objects.all()}
    assert by_key["hours:1"].amount == 15 and by_key["hours:1"].rule == rules
    assert by_key["hours:2"].amount == 30 and by_key["hours:2"].rule == later
    # Fixed points per activity attended: 5 under v1; v2 gives none.
    assert by_key[f"activity:501:{world.resident.pk}"].amount == 5
    assert f"activity:502:{world.resident.pk}" not in by_key
    assert balance(world.resident) == 50
    # The same record announced twice earns once.
    hours_approved.send(sender=None, record=hours(world, record_id=1, minutes=90, day=date(2026, 3, 31)))
    assert balance(world.resident) == 50


def test_a_negative_correction_deducts_and_never_goes_below_zero(world, rules):
    hours_approved.send(
        sender=None, record=hours(world, record_id=1, minutes=120, activity_id=None, kind="manual")
    )
    assert balance(world.resident) == 20
    hours_approved.send(
        sender=None,
        record=hours(world, record_id=2, minutes=-60, kind="correction", activity_id=None, corrects_id=1),
    )
    correction = Entry.objects.get(idempotency_key="hours:2")
    assert (correction.kind, correction.amount, correction.shortfall) == ("adjust", -10, 0)
    assert balance(world.resident) == 10
    # The leaderboard's earned points went down with the correction.
    assert Tally.objects.get(user=world.resident, team_id=0).earned == 10
    hours_approved.send(
        sender=None,
        record=hours(world, record_id=3, minutes=-120, kind="correction", activity_id=None, corrects_id=1),
    )
    clipped = Entry.objects.get(idempotency_key="hours:3")
    assert (clipped.amount, clipped.shortfall, clipped.balance_after) == (-10, 10, 0)
    assert balance(world.resident) == 0


def test_a_manual_award_is_approved_by_someone_else(world, rules):
    award = services.award_request(
        actor=world.village_cadre,
        community=world.village_a1,
        user=world.resident,
        kind="award",
        points=12,
        reason="清理河道",
    )
    with pytest.raises(PermissionDenied):
        services.award_decide(actor=world.village_cadre, award=award, approve=True)
    assert not Entry.objects.exists()
    with pytest.raises(PermissionDenied):
        services.award_decide(actor=world.outsider, award=award, approve=True)
    services.award_decide(actor=world.town_operator, award=award, approve=True)
    entry = Entry.objects.get(idempotency_key=f"award:{award.pk}")
    assert (entry.amount, entry.operator, entry.approved_by) == (12, world.village_cadre, world.town_operator)
    with pytest.raises(Conflict):
        services.award_decide(actor=world.city_admin, award=award, approve=True)
    assert balance(world.resident) == 12
    assert AuditEntry.objects.filter(action="points.award_decide").count() == 1


def test_a_reversal_points_at_its_original_and_happens_once(world, rules):
    fund(world, world.resident, 30, key="初始")
    entry = Entry.objects.get(user=world.resident)
    reversal = services.entry_reverse(actor=world.village_cadre, entry=entry, reason="录入错误")
    assert (reversal.kind, reversal.amount, reversal.reverses) == ("reverse", -30, entry)
    with pytest.raises(Conflict):
        services.entry_reverse(actor=world.town_operator, entry=entry, reason="again")
    with pytest.raises(Conflict):
        services.entry_reverse(actor=world.village_cadre, entry=reversal, reason="undo the undo")
    assert balance(world.resident) == 0
    with pytest.raises(PermissionDenied):
        services.entry_reverse(actor=world.outsider, entry=entry, reason="x")


def test_entries_refuse_update_and_delete(world, rules):
    fund(world, world.resident, 5, key="x")
    entry = Entry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        Entry.objects.all().update(amount=1)
    with pytest.raises(TypeError):
        entry.delete()


def test_redeeming_goods_debits_points_and_takes_a_unit_once_per_key(world, rules):
    fund(world, world.resident, 25, key="f")
    reward = goods(world, stock=2, cost=10)
    first = services.reward_redeem(user=world.resident, reward=reward, key="key-0000001")
    again = services.reward_redeem(user=world.resident, reward=reward, key="key-0000001")
    assert first.pk == again.pk
    reward.refresh_from_db()
    assert (reward.stock, balance(world.resident)) == (1, 15)
    services.reward_redeem(user=world.resident, reward=reward, key="key-0000002")
    with pytest.raises(Conflict) as refused:
        services.reward_redeem(user=world.resident, reward=reward, key="key-0000003")
    assert refused.value.code == "out_of_stock"
    assert Redemption.objects.count() == 2 and balance(world.resident) == 5


def test_a_redemption_without_enough_points_changes_nothing(world, rules):
    fund(world, world.resident, 5, key="f")
    reward = goods(world, stock=2, cost=10)
    with pytest.raises(Conflict) as refused:
        services.reward_redeem(user=world.resident, reward=reward, key="key-0000001")
    assert refused.value.code == "insufficient_points"
    reward.refresh_from_db()
    assert (reward.stock, balance(world.resident), Redemption.objects.count()) == (2, 5, 0)


def test_a_service_books_a_slot_and_cancelling_returns_points_and_frees_it(world, rules):
    fund(world, world.resident, 40, key="f")
    reward, slot = service(world, cost=20, capacity=1, provider=world.grid_worker)
    with pytest.raises(ApplicationError):
        services.reward_redeem(user=world.resident, reward=reward, key="key-0000001")
    booked = services.reward_redeem(user=world.resident, reward=reward, key="key-0000002", slot=slot)
    with pytest.raises(Conflict) as full:
        services.reward_redeem(user=world.resident, reward=reward, key="key-0000003", slot=slot)
    assert full.value.code == "slot_full"
    assert Slot.objects.get(pk=slot.pk).taken == 1 and balance(world.resident) == 20
    services.redemption_cancel(actor=world.resident, redemption=booked)
    assert Slot.objects.get(pk=slot.pk).taken == 0 and balance(world.resident) == 40
    refund = Entry.objects.get(reverses=booked.entry)
    assert refund.amount == 20
    with pytest.raises(Conflict):
        services.redemption_cancel(actor=world.resident, redemption=booked)


def test_the_provider_confirms_fulfilment(world, rules):
    fund(world, world.resident, 40, key="f")
    reward, slot = service(world, provider=world.grid_worker)
    booked = services.reward_redeem(user=world.resident, reward=reward, key="key-0000002", slot=slot)
    with pytest.raises(PermissionDenied):
        services.redemption_fulfil(actor=world.outsider, redemption=booked)
    done = services.redemption_fulfil(actor=world.grid_worker, redemption=booked)
    assert done.state == "fulfilled" and done.fulfilled_by == world.grid_worker
    with pytest.raises(Conflict):
        services.redemption_cancel(actor=world.resident, redemption=booked)


def test_rules_are_versioned_and_kept_by_their_entries(world, rules):
    with pytest.raises(ApplicationError):
        services.rules_create(
            actor=world.village_cadre, community=world.village_a1, valid_from=date(2025, 12, 1)
        )
    with pytest.raises(PermissionDenied):
        services.rules_create(actor=world.outsider, community=world.village_a1, valid_from=date(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        services.rules_create(actor=world.village_cadre, community=None, valid_from=date(2026, 6, 1))
    default = services.rules_create(
        actor=world.city_admin, community=None, valid_from=date(2026, 1, 1), report_resident=1
    )
    assert selectors.rule_in_force(community_id=world.village_b1.pk, day=date(2026, 2, 1)) == default
    assert selectors.rule_in_force(community_id=world.village_a1.pk, day=date(2026, 2, 1)) == rules
    assert selectors.rule_in_force(community_id=world.village_a1.pk, day=date(2025, 2, 1)) is None


def test_balances_equal_the_sum_of_entries_and_the_check_command_agrees(world, rules):
    from io import StringIO

    from django.core.management import call_command

    fund(world, world.resident, 30, key="a")
    hours_approved.send(sender=None, record=hours(world, record_id=1, minutes=60))
    reward = goods(world)
    services.reward_redeem(user=world.resident, reward=reward, key="key-0000009")
    total = Entry.objects.filter(user=world.resident).aggregate(s=Sum("amount"))["s"]
    assert balance(world.resident) == total == 30 + 10 + 5 - 10
    out = StringIO()
    call_command("points_check", stdout=out)
    assert "0 differences" in out.getvalue()
    # Spoil the kept balance and a tally; the check finds them and --repair mends them.
    Account.objects.filter(pk=world.resident.pk).update(balance=999)
    Tally.objects.filter(user=world.resident).update(earned=1)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("points_check", stdout=out)
    call_command("points_check", "--repair", stdout=StringIO())
    assert balance(world.resident) == total
    call_command("points_check", stdout=StringIO())


def test_a_stale_slot_is_refused(world, rules):
    fund(world, world.resident, 40, key="f")
    reward, slot = service(world)
    Slot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(Conflict):
        services.reward_redeem(
            user=world.resident, reward=reward, key="key-0000002", slot=Slot.objects.get(pk=slot.pk)
        )
    assert Reward.objects.get(pk=reward.pk) and balance(world.resident) == 40


def test_points_expire_after_their_rules_term_the_oldest_spent_first(world):
    from datetime import date as day

    from civicgrid.points.tests.conftest import goods, hours

    services.rules_create(
        actor=world.village_cadre,
        community=world.village_a1,
        valid_from=day(2025, 1, 1),
        hourly={"elderly": 10},
        expires_after_months=12,
    )
    services.hours_approved(hours(world, record_id=1, minutes=600, day=day(2025, 1, 10), kind="manual"))
    services.hours_approved(hours(world, record_id=2, minutes=300, day=day(2025, 6, 10), kind="manual"))
    assert selectors.balance(world.resident) == 150
    services.reward_redeem(user=world.resident, reward=goods(world, cost=30), key="redeem-rice-0001")
    # Not yet: January 2025's points last until 1 January 2026.
    assert services.points_expire(day(2025, 12, 31)) == 0
    # January's 100 less the 30 spent (the oldest points go first) expire; run twice, posted once.
    assert services.points_expire(day(2026, 1, 15)) == 1
    assert services.points_expire(day(2026, 1, 15)) == 0
    assert selectors.balance(world.resident) == 50
    expired = Entry.objects.get(user=world.resident, kind=Entry.Kind.EXPIRE)
    assert expired.amount == -70 and not expired.counts_earned
    # June's 50 go in June 2026; nothing is left to expire after that.
    assert services.points_expire(day(2026, 6, 2)) == 1
    assert selectors.balance(world.resident) == 0
    assert services.points_expire(day(2027, 1, 1)) == 0
    assert selectors.ledger_differences() == []
    # Spending does not lower a rank: the expiry neither.
    march = selectors.leaderboard(community_id=world.village_a1.pk, period=periods.parse("2025"))
    assert [row.earned for row in march][:1] == [150]


def test_a_rules_term_is_months_or_never(world):
    from datetime import date as day

    with pytest.raises(ApplicationError) as refused:
        services.rules_create(
            actor=world.village_cadre,
            community=world.village_a1,
            valid_from=day(2026, 1, 1),
            expires_after_months=0,
        )
    assert "expires_after_months" in refused.value.extra["fields"]
