"""Django admin shows marketing's rows to administrators read only: plans, campaigns, scores,
forms and submissions are written by marketing's pages and services alone (one write path)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from marketing.models import Campaign, Grade
from marketing.webforms.models import WebForm

pytestmark = pytest.mark.django_db

MARKETING_MODELS = [model for model in admin.site._registry if model.__module__.startswith("marketing.")]


def test_marketing_registers_its_models_in_admin():
    assert {Campaign, Grade, WebForm} <= set(MARKETING_MODELS)


@pytest.mark.parametrize("model", MARKETING_MODELS, ids=lambda model: model._meta.label)
def test_an_administrator_lists_them_and_cannot_add(client, admin, model):
    client.force_login(admin)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403


def test_a_grade_opened_in_admin_cannot_be_changed_there(client, admin):
    """Saving grades regrades everyone: only the scoring page's service does that."""
    client.force_login(admin)
    grade = Grade.objects.get(label="A")
    url = reverse("admin:marketing_grade_change", args=[grade.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="min_score"' not in page.content
    client.post(url, {"label": "A", "min_score": 1})
    grade.refresh_from_db()
    assert grade.min_score == 50
