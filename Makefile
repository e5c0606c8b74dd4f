.PHONY: run test lint fmt migrations-check seed bench bench-board load mutation

run:            ## start the CRM (web + Celery worker + beat) at http://127.0.0.1:8000
	./scripts/run.sh

test:           ## the whole test suite on real PostgreSQL, Redis, Celery and Chromium
	./scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

fmt:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

migrations-check:
	.venv/bin/python -m crm.embedded --throwaway -- .venv/bin/python manage.py makemigrations --check --dry-run

bench:          ## seed the bench data set once (var/bench) and time every GET route as an admin and a rep
	./scripts/bench.sh

bench-board:    ## seed 10,000 open + 20,000 closed deals and time the board and a stage move
	./scripts/bench_board.sh

load:           ## gunicorn as in production on the bench data set (var/bench), 20 clients × 30 s on the two lists
	./scripts/load.sh

seed:
	.venv/bin/python -m crm.embedded -- .venv/bin/python manage.py seed_demo

mutation:       ## mutation testing (cosmic-ray) of access, gates, deal and conversion services; not in CI, ~1 h
	./scripts/mutation.sh
