"""Sessions in PostgreSQL (Django's database backend), each kept by the process that read it
until a session or a user is written anywhere (crm.lookup_cache's identity generation).

A signed-in page read its session row on every request: a query, and the decoding of its
signed data. Kept here, a request reads the one generation row instead. A sign-out deletes the
row and moves the generation, so every process forgets the session on its next request.
"""

from __future__ import annotations

import copy

from django.contrib.sessions.backends import db
from django.utils import timezone

from crm import lookup_cache


class SessionStore(db.SessionStore):
    def load(self):
        key = self.session_key
        if not key:
            return {}
        entry = lookup_cache.cached_identity(("session", key), self._read)
        if entry is None or entry[1] <= timezone.now():
            self._session_key = None  # as the database backend does with a missing session
            return {}
        # The request may change its session: its own copy, never the process's.
        return copy.deepcopy(entry[0])

    def _read(self):
        """(data, expiry) of the session in the database, or None."""
        row = self._get_session_from_db()
        return None if row is None else (self.decode(row.session_data), row.expire_date)
