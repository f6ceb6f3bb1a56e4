"""Moves that race (PostgreSQL, real threads): the tree lock runs them one after another, so every
path stays right whatever order they land in — including two moves each putting one node below the other."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection, connections

from civicgrid.core.errors import ApplicationError
from civicgrid.orgs import services
from civicgrid.orgs.models import Organisation
from civicgrid.orgs.tests.test_tree import paths_consistent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock under real concurrency"),
]


def _run(workers) -> list:
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(i, work):
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_moves_each_below_the_other_leave_one_tree(world):
    root = world.superuser
    top = services.org_create(actor=root, parent=None, name="市妇联", kind="city_fed", region=world.city)
    a = services.org_create(actor=root, parent=top, name="甲", kind="industry_fed", region=world.city)
    b = services.org_create(actor=root, parent=top, name="乙", kind="industry_fed", region=world.city)
    for n in range(3):
        services.org_create(actor=root, parent=a, name=f"甲{n}", kind="enterprise_fed", region=world.district)
        services.org_create(actor=root, parent=b, name=f"乙{n}", kind="enterprise_fed", region=world.district)
    results = _run(
        [
            lambda: services.org_move(actor=root, org=a, new_parent=b),
            lambda: services.org_move(actor=root, org=b, new_parent=a),
        ]
    )
    done = [r for r in results if isinstance(r, Organisation)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(done) == 1 and len(refused) == 1, results
    assert refused[0].code == "move_into_self"
    paths_consistent()
    assert Organisation.objects.count() == 9


def test_many_threads_moving_branches_at_once_keep_every_path_right(world):
    root = world.superuser
    top = services.org_create(actor=root, parent=None, name="市妇联", kind="city_fed", region=world.city)
    branches = []
    for i in range(8):
        branch = services.org_create(
            actor=root, parent=top, name=f"行业{i}", kind="industry_fed", region=world.city
        )
        for n in range(3):
            services.org_create(
                actor=root, parent=branch, name=f"企业{i}-{n}", kind="enterprise_fed", region=world.district
            )
        branches.append(branch)
    names = set(Organisation.objects.values_list("name", flat=True))

    def mover(seed: int):
        def work():
            rng = random.Random(seed)
            moved = 0
            for _n in range(12):
                org, parent = rng.sample([*branches, top], 2)
                if org.pk == top.pk:
                    continue
                try:
                    services.org_move(actor=root, org=org, new_parent=parent)
                    moved += 1
                except ApplicationError as exc:
                    assert exc.code == "move_into_self"
            return moved

        return work

    results = _run([mover(s) for s in range(6)])
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) > 0
    paths_consistent()
    assert set(Organisation.objects.values_list("name", flat=True)) == names
    # Every enterprise still sits directly below its own industry federation.
    for branch in Organisation.objects.filter(kind="industry_fed"):
        kids = Organisation.objects.get_children(branch).filter(kind="enterprise_fed")
        assert {k.name.split("-")[0] for k in kids} == {branch.name.replace("行业", "企业")}
