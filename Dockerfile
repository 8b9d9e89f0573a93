# syntax=docker/dockerfile:1
# One image for every messpace process: web (gunicorn), Celery worker and beat.
# Configuration comes from environment variables only (docs/configuration.md).

# --- build: dependencies into a virtualenv, translations compiled -------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, so that editing the code does not reinstall them.
COPY pyproject.toml README.md ./
COPY messpace/__init__.py messpace/__init__.py
RUN mkdir -p records documents messaging consent agenda \
 && pip install --upgrade pip \
 && pip install .
COPY . .
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info \
 && python manage.py compilemessages --ignore=.venv -v 0

# --- runtime --------------------------------------------------------------------
FROM python:3.11-slim
# WeasyPrint (letters, PDF exports) needs Pango, HarfBuzz and fonts at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      libfontconfig1 fonts-dejavu-core shared-mime-info \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 messpace \
 && useradd --system --uid 10001 --gid messpace --home-dir /app --shell /usr/sbin/nologin messpace
# PYTHONPATH: run the code from /app, where templates/, static/ and locale/ live
# beside it, rather than the copy pip installed into site-packages.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=messpace.settings \
    MESSPACE_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# Static files are hashed and compressed at build time (whitenoise serves them).
# No DATABASE_URL here, so settings load in embedded mode just for this step.
RUN python manage.py collectstatic --noinput -v 0 \
 && rm -rf /app/var \
 && mkdir -p /app/var/media \
 && chown -R messpace:messpace /app/var
USER messpace
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), default 1 per container; scale containers.
CMD ["gunicorn", "messpace.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
