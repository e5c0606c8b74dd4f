"""Lint, format and migrations are part of the suite, so CI enforces them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(command):
    result = subprocess.run([RUFF, *command], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_models_and_migrations_agree(db):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without a migration (exit {exit_.code})")


LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
    "lint-imports"
)
APP_PACKAGES = ("crm", "contacts", "opportunities", "leads", "activities", "marketing", "support", "gdpr")


def _lint_imports(project_dir: Path) -> subprocess.CompletedProcess:
    # --no-cache: a planted import in a copy must not be hidden by the cache of the real tree.
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=project_dir,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(project_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_imports_follow_the_layers_of_the_style_guide():
    result = _lint_imports(PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


PLANTED_IMPORTS = [
    ("contacts/views.py", "from opportunities.models import Deal", "opportunities"),
    ("contacts/models.py", "import leads.models", "leads"),
    ("crm/access.py", "from contacts.models import Company", "contacts"),
    ("opportunities/services.py", "from opportunities.sales import services as sales", "opportunities.sales"),
    ("gdpr/apps.py", "import contacts.models", "contacts"),
]


@pytest.mark.parametrize(("path", "planted", "forbidden"), PLANTED_IMPORTS)
def test_the_import_contracts_catch_an_arrow_the_wrong_way(tmp_path, path, planted, forbidden):
    for package in APP_PACKAGES:
        shutil.copytree(
            PROJECT_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("migrations")
        )
    shutil.copy(PROJECT_DIR / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / path
    target.write_text(target.read_text() + f"\n{planted}  # planted\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"import {forbidden}" in result.stdout.replace("\n", " ")


def transactional_tests_without_restore(text: str) -> list[str]:
    """The django_db(transaction=True) marks of a test module that do not restore the data the
    migrations seeded (serialized_rollback=True)."""
    import re

    return [
        mark
        for mark in re.findall(r"django_db\([^)]*transaction=True[^)]*\)", text)
        if "serialized_rollback=True" not in mark
    ]


def test_every_transactional_test_restores_the_seeded_data():
    """A transactional test empties the database when it ends; without serialized_rollback the
    rows the migrations seeded (pipelines, lookups, content types) are gone for the tests after
    it, or come back with new ids that the next restoring test collides with."""
    offenders = {
        str(path.relative_to(PROJECT_DIR)): marks
        for path in (PROJECT_DIR / "tests").rglob("test_*.py")
        if path.name != "test_code_quality.py"  # its own examples below
        and (marks := transactional_tests_without_restore(path.read_text()))
    }
    assert offenders == {}


def test_the_check_of_transactional_tests_finds_one_without_restore():
    assert transactional_tests_without_restore(
        "@pytest.mark.django_db(transaction=True)\ndef test(): ..."
    ) == ["django_db(transaction=True)"]
    assert (
        transactional_tests_without_restore(
            "@pytest.mark.django_db(transaction=True, serialized_rollback=True)"
        )
        == []
    )
