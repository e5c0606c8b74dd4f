"""A task only the worker tests load (`celery worker --include`): it notes each attempt in a folder and
holds the first one open, so a test can kill the process running it."""

import os
import time
from pathlib import Path

from crm.celery import app

HOLD_SECONDS = 120


@app.task(name="tests.note_attempt_and_hold_the_first")
def note_attempt_and_hold_the_first(folder: str) -> int:
    attempt = len(list(Path(folder).glob("attempt-*"))) + 1
    (Path(folder) / f"attempt-{attempt}").write_text(str(os.getpid()))
    if attempt == 1:
        time.sleep(HOLD_SECONDS)
    return attempt
