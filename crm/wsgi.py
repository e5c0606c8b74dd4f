"""The WSGI application: Django, with the website tracking endpoint in front of it.

`/w/t/visit` takes page-visit reports from the company website at up to thousands a second
(issue 14); it needs nothing of Django's request machinery (no session, user, CSRF or URL
resolving), so it is answered by marketing.webforms.beacon directly, which queues the report in
Redis. Every other path goes to Django. The Django route of the same path stays (runserver,
tests) and answers through the same code.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

django_application = get_wsgi_application()

from marketing.webforms import beacon  # noqa: E402 - needs the settings and apps loaded above


def application(environ, start_response):
    if environ.get("PATH_INFO") == beacon.PATH:
        return beacon.application(environ, start_response)
    return django_application(environ, start_response)
