"""Mark the mutants inside type annotations as skipped in a cosmic-ray session.

The modules use ``from __future__ import annotations``: an annotation is never evaluated, so
``Q | None`` mutated into ``Q ^ None`` is an equivalent mutant no test can kill. Everything else
(also ``# pragma: no mutate`` lines — there are none) is left to the tests.

    python scripts/mutation/skip_annotations.py SESSION.sqlite
"""

import ast
import sys
from functools import cache
from pathlib import Path

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

Span = tuple[tuple[int, int], tuple[int, int]]


@cache
def annotation_spans(module_path: Path) -> list[Span]:
    tree = ast.parse(module_path.read_text())
    spans = []
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            # ast columns are 0-based, cosmic-ray's (parso) positions are 1-based lines, 0-based columns.
            spans.append(
                (
                    (annotation.lineno, annotation.col_offset),
                    (annotation.end_lineno, annotation.end_col_offset),
                )
            )
    return spans


def in_annotation(module_path: Path, start: tuple[int, int], end: tuple[int, int]) -> bool:
    return any(low <= tuple(start) and tuple(end) <= high for low, high in annotation_spans(module_path))


def main(session: str) -> int:
    skipped = 0
    with use_db(session) as work_db:
        for item in work_db.work_items:
            if all(in_annotation(Path(m.module_path), m.start_pos, m.end_pos) for m in item.mutations):
                work_db.set_result(
                    item.job_id,
                    WorkResult(
                        output=None, test_outcome=None, diff=None, worker_outcome=WorkerOutcome.SKIPPED
                    ),
                )
                skipped += 1
    print(f"{skipped} mutants inside type annotations skipped (equivalent: annotations are not evaluated)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
