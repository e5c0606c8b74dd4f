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
