"""SQLite with a kernel writer lock in front of ``BEGIN IMMEDIATE``.

With two or more processes writing, SQLite makes a writer that finds the database locked sleep and
retry (its busy handler sleeps 1, 2, 5, 10 … up to 100 ms between tries), so a report that arrives
just after another one can wait 100 ms for a lock that was free after 3. Here each connection first
takes an exclusive ``flock`` on ``<database>-writer.lock``; the kernel wakes the next waiter the
moment the holder commits or rolls back, and SQLite's own lock is then always free. Readers do not
take it (WAL lets them read during a write); a write outside ``transaction.atomic`` still relies on
the busy timeout. The lock is released on commit, rollback and close, and by the kernel when a
process dies, so a killed worker (gunicorn's timeout) never leaves it held.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import suppress

from django.db.backends.sqlite3 import base, creation


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        super()._destroy_test_db(test_database_name, verbosity)
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with suppress(FileNotFoundError):
                os.remove(f"{test_database_name}-writer.lock")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    _writer_fd: int | None = None
    _writer_held = False

    def _writer_lock(self) -> int | None:
        if self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE") or self.is_in_memory_db():
            return None
        if self._writer_fd is None:
            path = f"{self.settings_dict['NAME']}-writer.lock"
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._writer_fd

    def _start_transaction_under_autocommit(self):
        fd = self._writer_lock()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._writer_held = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._writer_held:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
