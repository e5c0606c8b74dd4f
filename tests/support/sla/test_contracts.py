"""Contracts and warranties: the write path and the owner's to-do before a contract ends (once
per contract end, even with two runs at once)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from activities.models import Activity
from crm.exceptions import StaleRecordError
from support import contracts
from support.models import Contract, SlaPolicy
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def contract(owner, *, ends_in: int, remind_days: int = 30, company=None, **values) -> Contract:
    today = timezone.localdate()
    return contracts.contract_create(
        actor=owner,
        values={
            "company": company or CompanyFactory(owner=owner),
            "name": f"Support plan {ends_in}",
            "starts_on": today - datetime.timedelta(days=100),
            "ends_on": today + datetime.timedelta(days=ends_in),
            "sla_policy": SlaPolicy.objects.get(is_default=True),
            "remind_days": remind_days,
            "owner": owner,
            **values,
        },
    )


def todos(owner):
    return Activity.objects.filter(owner=owner, subject__contains="ends on")


def test_the_owner_gets_one_todo_when_the_reminder_day_comes(rep):
    due = contract(rep, ends_in=20)
    contract(rep, ends_in=40)  # reminded in ten days
    contract(rep, ends_in=-1)  # ended: no to-do for the past
    contract(rep, ends_in=5, remind_days=3)  # two days early yet

    assert contracts.contracts_remind() == 1
    assert contracts.contracts_remind() == 0

    todo = todos(rep).get()
    assert due.name in todo.subject and todo.company_id == due.company_id and todo.status == "open"
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_a_new_end_date_is_reminded_of_again(rep):
    plan = contract(rep, ends_in=10)
    contracts.contracts_remind()
    plan.refresh_from_db()
    plan = contracts.contract_update(
        actor=rep,
        contract=plan,
        changes={"ends_on": plan.ends_on + datetime.timedelta(days=5)},
        expected_version=plan.version,
    )
    assert plan.reminded_at is None
    assert contracts.contracts_remind() == 1 and todos(rep).count() == 2


def test_a_stale_edit_is_refused(rep):
    plan = contract(rep, ends_in=100)
    contracts.contract_update(
        actor=rep, contract=plan, changes={"name": "Gold"}, expected_version=plan.version
    )
    with pytest.raises(StaleRecordError):
        contracts.contract_update(
            actor=rep, contract=plan, changes={"name": "Silver"}, expected_version=plan.version
        )


def test_a_contract_that_ends_before_it_starts_is_refused(rep):
    with pytest.raises(Exception, match=r"ends_on|end"):
        contract(rep, ends_in=-200)
    assert not Contract.objects.exists()


def test_an_owner_who_cannot_see_the_company_gets_a_todo_without_it(restricted, rep_other_team):
    plan = contract(restricted, ends_in=3, company=CompanyFactory(owner=rep_other_team, name="Hidden AB"))
    assert contracts.contracts_remind() == 1
    todo = todos(restricted).get()
    assert todo.company_id is None and "Hidden AB" not in todo.subject + todo.notes
    assert plan.name in todo.subject


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_make_one_todo_per_contract(personas):
    rep = personas.rep
    for days in range(10):
        contract(rep, ends_in=days)
    start = threading.Barrier(2)
    made, errors = [], []

    def beat():
        try:
            start.wait()
            made.append(contracts.contracts_remind())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and sum(made) == 10
    assert todos(rep).count() == 10
