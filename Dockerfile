# Production image: gunicorn serves the app, whitenoise its static files; the same image
# runs the Celery worker and beat (see docker-compose.yml). Settings come from the environment.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CRM_DATA_DIR=/app/var

WORKDIR /app
RUN useradd --system --create-home --home-dir /home/crm crm

COPY pyproject.toml README.md ./
COPY crm ./crm
COPY contacts ./contacts
COPY leads ./leads
COPY opportunities ./opportunities
COPY activities ./activities
COPY marketing ./marketing
COPY support ./support
COPY gdpr ./gdpr
RUN pip install .

COPY manage.py gunicorn.conf.py ./
COPY templates ./templates
COPY static ./static
# collectstatic needs settings but no database or Redis: give it placeholders.
RUN DJANGO_SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown -R crm /app/var

USER crm
EXPOSE 8000
# Worker model and count, recycling and the access log: gunicorn.conf.py (WEB_CONCURRENCY etc.).
CMD ["gunicorn", "crm.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
