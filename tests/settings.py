"""The production settings, with what only tests need changed."""

from crm.settings import *  # noqa: F403

# Hashing is deliberately slow in production; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline unless a test starts a real worker (tests/crm/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The manifest needs collectstatic; tests serve static files straight from the finders.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
