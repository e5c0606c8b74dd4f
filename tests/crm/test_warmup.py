"""crm.warmup, run by gunicorn's master before it forks: every template compiles, the resolver
is built for every language, and nothing touches the database (no `db` fixture here: pytest-django
fails any query)."""

from django.conf import settings
from django.template import engines
from django.urls import get_resolver

from crm import warmup


def test_warm_up_compiles_every_template_and_fills_the_resolver_without_the_database():
    figures = warmup.warm_up()
    engine = engines["django"]
    names = warmup.template_names(engine)
    assert "layouts/app.html" in names and "admin/base.html" in names
    assert figures == {"compiled": len(names), "refused": 0}
    assert {code for code, _name in settings.LANGUAGES} <= set(get_resolver()._reverse_dict)
