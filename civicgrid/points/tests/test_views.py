"""Points pages: each role's access (an outsider refused), retried POSTs charged once, masking,
objections only during the notice period, exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.points import periods, services
from civicgrid.points.models import Award, Objection, Publication, Redemption
from civicgrid.points.presenters import shown_name
from civicgrid.points.tests.conftest import fund, goods, hours, service

pytestmark = pytest.mark.django_db


def office_urls(world):
    pk = world.village_a1.pk
    names = [
        "office_rules",
        "office_rewards",
        "office_awards",
        "office_leaderboard",
        "office_households",
        "office_ledger",
    ]
    return [reverse(f"points:{name}", args=[pk]) for name in names] + [
        reverse("points:office_export", args=[pk, "ledger"]),
        reverse("points:office_export", args=[pk, "balances"]),
    ]


def test_the_public_sees_the_catalogue_and_published_boards_only(client, world, rules):
    goods(world)
    assert client.get(reverse("points:rewards")).status_code == 200
    assert client.get(reverse("points:leaderboards")).status_code == 200
    assert client.get(reverse("points:mine")).status_code == 302
    assert client.get(reverse("points:redemptions")).status_code == 302
    for url in office_urls(world):
        assert client.get(url).status_code == 302, url


@pytest.mark.parametrize("who", ["village_cadre", "town_operator", "city_admin", "superuser"])
def test_the_community_office_opens_every_office_page(login, world, rules, who):
    client = login(getattr(world, who))
    services.hours_approved(hours(world, record_id=1, minutes=60))
    for url in office_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(reverse("points:office")).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "resident", "grid_worker", "agency_staff"])
def test_others_are_refused_the_office(login, world, rules, who):
    client = login(getattr(world, who))
    for url in office_urls(world):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("points:office")).status_code == 403
    assert (
        client.post(
            reverse("points:office_awards", args=[world.village_a1.pk]),
            {"action": "request", "person": "resident", "kind": "award", "points": 5, "reason": "x"},
        ).status_code
        == 403
    )
    assert not Award.objects.exists()


def test_my_points_show_the_balance_entries_in_words_and_the_household(login, world, rules):
    services.hours_approved(hours(world, record_id=1, minutes=90))
    household = services.household_create(actor=world.village_cadre, community=world.village_a1, name="王家")
    services.household_add(actor=world.village_cadre, household=household, user=world.resident)
    services.household_add(actor=world.village_cadre, household=household, user=world.grid_worker)
    fund(world, world.grid_worker, 7, key="g")
    response = login(world.resident).get(reverse("points:mine"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1.5 h of volunteer service: Elderly and disabled care" in body
    assert "Took part in an activity" in body
    assert "Household 王家" in body and ">27<" in body  # 20 + 7


def test_a_retried_redeem_post_is_charged_once(login, world, rules):
    fund(world, world.resident, 30, key="f")
    reward = goods(world, stock=3, cost=10)
    client = login(world.resident)
    page = client.get(reverse("points:reward", args=[reward.pk]))
    key = page.context["form"].initial["key"]
    for _ in range(3):
        response = client.post(reverse("points:reward", args=[reward.pk]), {"key": key})
        assert response.status_code == 302
    assert Redemption.objects.count() == 1
    reward.refresh_from_db()
    assert reward.stock == 2
    page = client.get(reverse("points:redemptions"))
    assert "大米 5kg" in page.content.decode()


def test_a_service_needs_a_slot_and_the_error_is_shown(login, world, rules):
    fund(world, world.resident, 30, key="f")
    reward, slot = service(world, provider=world.grid_worker)
    client = login(world.resident)
    response = client.post(reverse("points:reward", args=[reward.pk]), {"key": "k" * 20})
    assert response.status_code == 200 and "Choose a time" in response.content.decode()
    response = client.post(reverse("points:reward", args=[reward.pk]), {"key": "k" * 20, "slot": slot.pk})
    assert response.status_code == 302
    booking = Redemption.objects.get()
    # The provider sees it and confirms; the outsider may not.
    assert (
        login(world.outsider).post(reverse("points:redemption_fulfil", args=[booking.pk])).status_code == 403
    )
    provider = login(world.grid_worker)
    assert "王居民" in provider.get(reverse("points:provider")).content.decode()
    provider.post(reverse("points:redemption_fulfil", args=[booking.pk]))
    assert Redemption.objects.get().state == "fulfilled"


def test_not_enough_points_is_a_clear_error_that_changes_nothing(login, world, rules):
    reward = goods(world, cost=10)
    response = login(world.resident).post(reverse("points:reward", args=[reward.pk]), {"key": "a" * 20})
    assert response.status_code == 200
    assert "Not enough points" in response.content.decode()
    assert not Redemption.objects.exists()


def test_a_person_cancels_their_own_booking_not_anothers(login, world, rules):
    fund(world, world.resident, 30, key="f")
    reward = goods(world, cost=10)
    booking = services.reward_redeem(user=world.resident, reward=reward, key="key-000001")
    assert (
        login(world.outsider).post(reverse("points:redemption_cancel", args=[booking.pk])).status_code == 403
    )
    login(world.resident).post(reverse("points:redemption_cancel", args=[booking.pk]))
    assert Redemption.objects.get().state == "cancelled"


def test_names_are_masked_as_the_community_chooses():
    assert shown_name("王居民", "full") == "王居民"
    assert shown_name("王居民", "surname") == "王**"
    assert shown_name("王居民", "initials") == "王."
    assert shown_name("Wang Ming", "initials") == "W. M."


def publish(world, **kw) -> Publication:
    return services.leaderboard_publish(
        actor=world.village_cadre,
        community=world.village_a1,
        period=periods.parse("2026-03"),
        names=kw.pop("names", "surname"),
        notice_days=kw.pop("notice_days", 7),
        **kw,
    )


def test_the_public_board_is_ranked_by_earned_with_masked_names(client, world, rules):
    services.hours_approved(
        hours(world, record_id=1, minutes=60, user=world.grid_worker, activity_id=None, kind="manual")
    )
    services.hours_approved(
        hours(world, record_id=2, minutes=120, user=world.resident, activity_id=None, kind="manual")
    )
    # The resident spends everything: the rank does not change.
    services.reward_redeem(user=world.resident, reward=goods(world, cost=20), key="spend-1234")
    publication = publish(world)
    body = client.get(reverse("points:leaderboard", args=[publication.pk])).content.decode()
    assert body.index("王**") < body.index("李**")
    assert "王居民" not in body and "李网格" not in body
    assert "objections are taken until" in body


def test_objections_are_taken_only_during_the_notice_period(login, world, rules):
    publication = publish(world, notice_days=3)
    client = login(world.resident)
    url = reverse("points:leaderboard", args=[publication.pk])
    assert client.post(url, {"text": "我的积分少算了两小时"}).status_code == 302
    Publication.objects.filter(pk=publication.pk).update(
        objections_until=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(url, {"text": "再次提出异议内容"})
    assert "The notice period is over" in response.content.decode()
    assert Objection.objects.count() == 1
    # The office answers it; the outsider may not.
    objection = Objection.objects.get()
    office = reverse("points:office_leaderboard", args=[world.village_a1.pk])
    assert (
        login(world.outsider)
        .post(office, {"action": "answer", "objection": objection.pk, "answer": "x"})
        .status_code
        == 403
    )
    login(world.village_cadre).post(
        office, {"action": "answer", "objection": objection.pk, "answer": "已核实，已补记。"}
    )
    assert Objection.objects.get().answer == "已核实，已补记。"


def test_the_office_requests_and_another_member_approves_through_the_pages(login, world, rules):
    url = reverse("points:office_awards", args=[world.village_a1.pk])
    cadre = login(world.village_cadre)
    cadre.post(
        url,
        {"action": "request", "person": "13800000001", "kind": "award", "points": 6, "reason": "打扫楼道"},
    )
    award = Award.objects.get()
    cadre.post(url, {"action": "approve", "award": award.pk})
    assert Award.objects.get().state == "pending"
    login(world.town_operator).post(url, {"action": "approve", "award": award.pk})
    assert Award.objects.get().state == "approved"


def test_the_exports_are_excel_files(login, world, rules):
    services.hours_approved(hours(world, record_id=1, minutes=60))
    client = login(world.village_cadre)
    for what in ("ledger", "balances"):
        response = client.get(reverse("points:office_export", args=[world.village_a1.pk, what]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert b"".join(response.streaming_content)[:2] == b"PK"


def test_the_navigation_offers_each_role_its_pages(world, rules):
    from civicgrid.points.navigation import nav_entries

    assert {key for _l, _u, key, _g in nav_entries(world.resident)} == {
        "points",
        "points_rewards",
        "points_leaderboards",
        "points_redemptions",
    }
    assert "points_office" in {key for _l, _u, key, _g in nav_entries(world.village_cadre)}
    assert "points_office" not in {key for _l, _u, key, _g in nav_entries(world.outsider)}


def test_the_pages_speak_chinese_by_default(world, rules):
    from django.test import Client

    client = Client()
    client.force_login(world.resident)
    body = client.get(reverse("points:mine")).content.decode()
    assert "我的积分" in body and "还没有积分" in body


def test_the_main_lists_read_a_fixed_number_of_queries(login, world, rules, django_assert_max_num_queries):
    fund(world, world.resident, 500, key="f")
    for record in range(1, 11):
        services.hours_approved(hours(world, record_id=record, minutes=60, activity_id=record))
    reward = goods(world, stock=20, cost=5)
    for n in range(8):
        services.reward_redeem(user=world.resident, reward=reward, key=f"many-keys-{n}")
    client = login(world.resident)
    client.get(reverse("points:mine"))  # warm the session and scopes
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points:mine")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points:redemptions")).status_code == 200
    office = login(world.village_cadre)
    with django_assert_max_num_queries(14):
        assert office.get(reverse("points:office_ledger", args=[world.village_a1.pk])).status_code == 200


def test_the_catalogue_opens_on_the_viewers_own_community_and_offers_all(world, login):
    goods(world, name="大米 5kg")
    services.reward_create(
        actor=world.city_admin, community=world.village_b1, kind="goods", name="食用油", cost=10, stock=2
    )
    client = login(world.resident)  # a resident of village_a1
    page = client.get(reverse("points:rewards")).content.decode()
    assert "大米 5kg" in page and "食用油" not in page
    page = client.get(reverse("points:rewards") + "?community=all").content.decode()
    assert "大米 5kg" in page and "食用油" in page
    page = client.get(reverse("points:rewards") + f"?community={world.village_b1.pk}").content.decode()
    assert "大米 5kg" not in page and "食用油" in page
    # Someone with no community of their own sees them all.
    client.logout()
    page = client.get(reverse("points:rewards")).content.decode()
    assert "大米 5kg" in page and "食用油" in page


def test_a_teams_leaderboard_is_chosen_and_shown_by_the_teams_name(world, login):
    from civicgrid.volunteers.services import team_create

    team = team_create(
        actor=world.village_cadre, community=world.village_a1, name="平安巡逻队", service_field="safety"
    )
    client = login(world.village_cadre)
    url = reverse("points:office_leaderboard", kwargs={"community_id": world.village_a1.pk})
    page = client.get(url).content.decode()
    assert f'<option value="{team.pk}">平安巡逻队</option>' in page
    response = client.post(
        url,
        {
            "action": "publish",
            "period": "2026-03",
            "team_id": str(team.pk),
            "names": "surname",
            "notice_days": 7,
        },
    )
    publication = Publication.objects.get(community=world.village_a1)
    assert response.status_code == 302 and publication.team_id == team.pk
    assert "平安巡逻队" in client.get(reverse("points:leaderboards") + "?community=all").content.decode()
    assert "平安巡逻队" in client.get(reverse("points:leaderboard", args=[publication.pk])).content.decode()
    # A team of another community is not a choice.
    other = team_create(
        actor=world.city_admin, community=world.village_b1, name="外村队", service_field="safety"
    )
    response = client.post(
        url,
        {
            "action": "publish",
            "period": "2026-04",
            "team_id": str(other.pk),
            "names": "surname",
            "notice_days": 7,
        },
    )
    assert response.status_code == 200 and Publication.objects.count() == 1


def test_the_rules_page_names_the_fields_and_starts_the_next_version_from_the_one_in_force(
    world, rules, login
):
    page = (
        login(world.village_cadre)
        .get(reverse("points:office_rules", kwargs={"community_id": world.village_a1.pk}))
        .content.decode()
    )
    assert "Elderly and disabled care: 10" in page and "elderly:" not in page
    assert 'name="hourly_elderly" value="10"' in page and 'name="per_activity" value="5"' in page
