"""What a new web worker would otherwise do on its first request, done once in gunicorn's master
before it forks (gunicorn.conf.py `when_ready`, with preload_app).

The first request of a fresh worker cost ~630 ms of CPU against ~15 ms for the next ones:
importing every view module (the URLconf), building the URL resolver's reverse tables for each
language, loading the translation catalogues and compiling the templates. Gunicorn recycles a
worker every ~2,000 requests (max_requests), so under load that first request came back every
few seconds, at 700–900 ms. Done in the master, every forked worker inherits the result.
Nothing here opens a database connection (a connection must never cross a fork).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.template import TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")


def warm_up() -> dict[str, int]:
    """Import the URLconf, fill the resolver and the catalogues of every language, compile every
    template; answers how many templates were compiled and how many were refused."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 - built per language on first use
            resolver.namespace_dict  # noqa: B018
            resolver.app_dict  # noqa: B018
    compiled = refused = 0
    for engine in engines.all():
        for name in template_names(engine):
            try:
                engine.get_template(name)
            except TemplateSyntaxError as error:  # the page that uses it reports it too
                refused += 1
                logger.warning("Template %s does not compile: %s", name, error)
            else:
                compiled += 1
    connections.close_all()  # in case anything above reached for the database
    return {"compiled": compiled, "refused": refused}


def template_names(engine) -> list[str]:
    """The names of the project's and the installed apps' templates of `engine`."""
    directories = []
    for loader in engine.engine.template_loaders:  # the cached loader, or the loaders themselves
        for inner in getattr(loader, "loaders", [loader]):
            directories.extend(inner.get_dirs())
    names = set()
    for directory in directories:
        root = Path(directory)
        if root.is_dir():
            names.update(
                path.relative_to(root).as_posix()
                for path in root.rglob("*")
                if path.is_file() and path.suffix in TEMPLATE_SUFFIXES
            )
    return sorted(names)
