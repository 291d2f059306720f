FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libmagic1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir -e . \
    && DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home portal && mkdir -p /app/var/evidence && chown -R portal /app/var
USER portal
EXPOSE 8000
# Sync workers, 4 (deploy/gunicorn.conf.py, docs/adr/0019-gunicorn-worker-model.md).
CMD ["gunicorn", "lsp_portal.wsgi:application", "-c", "deploy/gunicorn.conf.py"]
