# NerveMark: one image for web, worker-cpu and worker-gpu.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production NERVEMARK_VAR_DIR=/var/lib/nervemark

RUN useradd --system --create-home --home-dir /app nervemark
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY annotator ./annotator
COPY datasets ./datasets
COPY mlbackend ./mlbackend
COPY frontend ./frontend
COPY manage.py ./
# PIP_EXTRA_ARGS: extra pip options, e.g. for the gpu worker image a CUDA wheel index:
#   docker build --build-arg PIP_EXTRA_ARGS="--extra-index-url <CUDA wheel index>" .
ARG PIP_EXTRA_ARGS=""
RUN pip install --no-cache-dir $PIP_EXTRA_ARGS . \
    && mkdir -p /var/lib/nervemark/media /var/lib/nervemark/static \
    && chown -R nervemark /var/lib/nervemark

# collectstatic needs a key and hosts only to import settings; nothing is kept.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    DJANGO_STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput

USER nervemark
ENV DJANGO_STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "120", "--access-logfile", "-"]
