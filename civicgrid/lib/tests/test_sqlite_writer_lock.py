"""The SQLite backend's writer lock (civicgrid/lib/sqlite3/base.py): held for exactly a transaction."""

import fcntl
import os
import threading

import pytest
from django.db import connection, transaction

from civicgrid.places.models import Place

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own backend")


def _taken_elsewhere() -> bool:
    """Whether another holder has the writer lock (asked through a separate open file)."""
    fd = os.open(f"{connection.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_holds_the_writer_lock_until_commit():
    assert not _taken_elsewhere()
    with transaction.atomic():
        assert _taken_elsewhere()
        with transaction.atomic():  # a savepoint takes nothing more
            assert _taken_elsewhere()
        assert _taken_elsewhere()
    assert not _taken_elsewhere()


@pytest.mark.django_db(transaction=True)
def test_a_rollback_and_a_failed_begin_release_it():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert _taken_elsewhere()
        1 / 0  # noqa: B018
    assert not _taken_elsewhere()


@pytest.mark.django_db(transaction=True)
def test_closing_the_connection_releases_it():
    transaction.set_autocommit(False)
    connection.cursor().execute("SELECT 1")
    connection.close()
    assert not _taken_elsewhere()
    connection.connect()


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_then_sees_its_write():
    """Two connections (threads): the second's BEGIN waits on the kernel lock, not on SQLite's
    backoff, and it starts after the first committed, so it reads the first one's row."""
    inside, release, seen = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                Place.objects.create(
                    code="WL1", name="写锁", level=Place.Level.DISTRICT, kind=Place.Kind.DISTRICT
                )
                inside.set()
                release.wait(10)
        finally:
            connection.close()

    def second():
        try:
            inside.wait(10)
            with transaction.atomic():
                seen.append(Place.objects.filter(code="WL1").exists())
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    inside.wait(10)
    assert _taken_elsewhere()
    release.set()
    for t in threads:
        t.join(20)
    assert seen == [True]
    assert not _taken_elsewhere()
