"""CRM_HTTPS=true behind a TLS proxy needs the proxy to be trusted, or every request redirects to
itself; the settings refuse that combination at start-up with a message naming the fix."""

import secrets

import pytest

from tests.crm.test_settings import run_manage

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "crm.example.com",
    "CRM_HTTPS": "true",
}


def test_https_with_no_trusted_proxy_refuses_to_start_and_says_why():
    result = run_manage("check", **PRODUCTION, CRM_TRUSTED_PROXY_COUNT="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CRM_TRUSTED_PROXY_COUNT" in result.stderr and "CRM_SSL_REDIRECT=false" in result.stderr


@pytest.mark.parametrize(
    "fix", [{"CRM_TRUSTED_PROXY_COUNT": "1"}, {"CRM_TRUSTED_PROXY_COUNT": "0", "CRM_SSL_REDIRECT": "false"}]
)
def test_https_starts_with_a_trusted_proxy_or_without_the_redirect(fix):
    result = run_manage("check", **PRODUCTION, **fix)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_http_needs_no_proxy_count():
    result = run_manage("check", CRM_HTTPS="false", CRM_TRUSTED_PROXY_COUNT="0")
    assert result.returncode == 0, result.stdout + result.stderr
