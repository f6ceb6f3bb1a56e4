"""The pages of the network: the tree, search, an organisation, posts, moves, people, export, overview."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from civicgrid.orgs import services
from civicgrid.orgs.models import Organisation, Person, Position


def test_the_cadre_sees_their_subtree_in_the_tree(net, login):
    client = login(net.cadre)
    page = client.get("/orgs/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "海棠市妇联" in body and "甲镇妇联" in body
    assert "另区妇联" not in body
    children = client.get(f"/orgs/{net.town_a_fed.pk}/children/")
    assert "甲一村妇联" in children.content.decode()
    found = client.get("/orgs/", {"q": "甲一"})
    assert "甲一村妇联" in found.content.decode() and "甲镇妇联 ›" in found.content.decode()


def test_another_districts_cadre_is_refused_everywhere(net, login):
    client = login(net.other_cadre)
    assert client.get(f"/orgs/{net.town_a_fed.pk}/").status_code == 403
    assert client.get(f"/orgs/{net.town_a_fed.pk}/children/").status_code == 403
    assert client.get(f"/orgs/{net.town_a_fed.pk}/new/").status_code == 403
    assert client.post(f"/orgs/{net.town_a_fed.pk}/move/", {"parent": net.other_fed.pk}).status_code == 403
    assert client.get(f"/orgs/{net.town_a_fed.pk}/export.xlsx").status_code == 403
    assert "甲一村妇联" not in client.get("/orgs/", {"q": "甲"}).content.decode()


def test_the_public_and_a_resident_are_refused(net, client, login):
    assert client.get("/orgs/").status_code == 302
    assert login(net.world.resident).get("/orgs/").status_code == 403


def test_a_town_operator_reads_the_towns_part_with_masked_phones(net, login):
    services.org_update(actor=net.cadre, org=net.town_a_fed, contact_name="周", contact_phone="13911112222")
    client = login(net.world.town_operator)
    body = client.get(f"/orgs/{net.town_a_fed.pk}/").content.decode()
    assert "139****2222" in body and "13911112222" not in body
    assert "Add an organisation below" not in body
    assert client.get(f"/orgs/{net.town_a_fed.pk}/edit/").status_code == 403
    assert client.get(f"/orgs/{net.town_b_fed.pk}/").status_code == 403


def test_adding_an_organisation_below_through_the_form(net, login):
    client = login(net.cadre)
    answer = client.post(
        f"/orgs/{net.village_a1_fed.pk}/new/",
        {
            "name": "甲一村妇女微家",
            "kind": "micro_home",
            "region": net.world.village_a1.code,
            "status": "active",
            "founded_on": "2026-03-01",
        },
    )
    assert answer.status_code == 302
    org = Organisation.objects.get(name="甲一村妇女微家")
    assert org.path.startswith(net.village_a1_fed.path) and org.depth == net.village_a1_fed.depth + 1
    # A region outside the parent's: the form says so and nothing is added.
    bad = client.post(
        f"/orgs/{net.village_a1_fed.pk}/new/",
        {
            "name": "乙一社区妇女之家",
            "kind": "womens_home",
            "region": net.world.village_b1.code,
            "status": "active",
        },
    )
    assert bad.status_code == 200 and "must lie within the region" in bad.content.decode()
    assert not Organisation.objects.filter(name="乙一社区妇女之家").exists()


def test_moving_through_the_page(net, login):
    client = login(net.city_cadre)
    page = client.get(f"/orgs/{net.enterprise_fed.pk}/move/")
    assert page.status_code == 200
    answer = client.post(f"/orgs/{net.enterprise_fed.pk}/move/", {"parent": net.town_a_fed.pk})
    assert answer.status_code == 302
    net.refresh()
    assert Organisation.objects.get_parent(net.enterprise_fed).pk == net.town_a_fed.pk


def test_appointing_and_ending_a_term_keeps_the_record(net, login):
    client = login(net.cadre)
    answer = client.post(
        f"/orgs/{net.enterprise_fed.pk}/appoint/",
        {
            "name": "何领头",
            "phone": "13700001111",
            "id_number": "11010519491231002X",
            "role": "chair",
            "term_start": "2026-01-01",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    person = Person.objects.get(name="何领头")
    assert person.id_masked == "110105********002X" and person.id_hash and "1949" not in person.id_masked
    # The same ID number again is the same person: refused, with the reason.
    again = client.post(
        f"/orgs/{net.town_a_fed.pk}/appoint/",
        {
            "name": "何领头",
            "id_number": "11010519491231002X",
            "role": "executive",
            "term_start": "2026-01-01",
        },
    )
    assert "already on record" in again.content.decode()
    # Appoint the person on record to a second post: a cross-appointment, shown on both sides.
    client.post(
        f"/orgs/{net.village_a1_fed.pk}/appoint/",
        {"person": person.pk, "role": "executive", "term_start": "2026-02-01"},
    )
    body = client.get(f"/orgs/{net.enterprise_fed.pk}/").content.decode()
    assert "甲一村妇联 · Executive member" in body
    assert "海棠科技妇联 · Chair" in client.get(f"/orgs/{net.village_a1_fed.pk}/").content.decode()
    assert "何领头" in client.get("/orgs/people/cross/").content.decode()
    position = Position.objects.get(person=person, organisation=net.enterprise_fed)
    client.post(f"/orgs/posts/{position.pk}/end/", {"term_end": "2026-06-30", "reason": "换届"})
    position.refresh_from_db()
    assert position.term_end == date(2026, 6, 30)
    assert Position.objects.filter(person=person).count() == 2


def test_an_invalid_id_number_is_refused(net, login):
    answer = login(net.cadre).post(
        f"/orgs/{net.enterprise_fed.pk}/appoint/",
        {"name": "错号", "id_number": "110105194912310021", "role": "member", "term_start": "2026-01-01"},
    )
    assert answer.status_code == 200 and "valid 18-character" in answer.content.decode()
    assert not Person.objects.filter(name="错号").exists()


def test_export_and_overview(net, login):
    client = login(net.cadre)
    answer = client.get(f"/orgs/{net.district_fed.pk}/export.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names[0] == "海棠市妇联" and set(names) >= {"甲镇妇联", "甲一村妇联", "乙街道妇联"}
    assert "另区妇联" not in names
    overview = client.get(f"/orgs/{net.district_fed.pk}/overview/")
    assert overview.status_code == 200 and "林副主席" in overview.content.decode()


def test_the_navigation_shows_the_network_to_cadres(net, login):
    assert 'href="/orgs/"' in login(net.cadre).get("/").content.decode()


def test_an_administrator_links_a_person_to_a_login(net, login):
    from civicgrid.accounts.services import role_assign, user_create
    from conftest import PASSWORD

    user = user_create(username="newfed", password=PASSWORD, display_name="新执委", phone="13900000009")
    role_assign(user=user, role="federation_cadre")
    person = Person.objects.get(name="林副主席")
    services.position_appoint(
        actor=net.world.superuser,
        person=Person.objects.create(name="新执委"),
        organisation=net.town_b_fed,
        role="executive",
        term_start=date(2026, 1, 1),
    )
    newbie = Person.objects.get(name="新执委")
    # A cadre may not hand out logins.
    assert (
        login(net.cadre).post(f"/orgs/people/{newbie.pk}/login/", {"username": "newfed"}).status_code == 302
    )
    newbie.refresh_from_db()
    assert newbie.user is None
    login(net.world.superuser).post(f"/orgs/people/{newbie.pk}/login/", {"username": "newfed"})
    newbie.refresh_from_db()
    assert newbie.user == user
    client = login(user)
    assert client.get(f"/orgs/{net.town_b_fed.pk}/edit/").status_code == 200
    assert client.get(f"/orgs/{net.town_a_fed.pk}/edit/").status_code == 403
    assert person.user is not None
