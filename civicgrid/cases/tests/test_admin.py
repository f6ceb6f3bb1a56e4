"""The admin edits categories and the calendar; it shows cases read-only."""

from civicgrid.cases.models import Category


def test_it_lets_the_superuser_edit_a_categorys_deadlines(login, world):
    client = login(world.superuser)
    category = Category.objects.get(code="C0201")
    page = client.get(f"/admin/cases/category/{category.pk}/change/")
    assert page.status_code == 200
    assert client.get("/admin/cases/holiday/add/").status_code == 200


def test_it_shows_cases_read_only(login, world, case_in):
    case = case_in("accepted")
    client = login(world.superuser)
    assert client.get("/admin/cases/case/").status_code == 200
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
