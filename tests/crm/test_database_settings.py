"""The options every database connection starts with (crm/settings.py): a statement timeout, and
a join-collapse limit that keeps PostgreSQL from weighing every join order of a card's query."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_connections_start_with_the_crms_timeout_and_join_collapse_limit():
    assert setting("statement_timeout") == "30s"
    assert setting("join_collapse_limit") == "4"
