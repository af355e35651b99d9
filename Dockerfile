# syntax=docker/dockerfile:1
# One image for every ccplatform process: web (the default command), Celery worker, Celery
# beat and the one-shot migration; docker-compose.yml picks the command per service.
#
#   docker build -t ccplatform .
#
# Pin the base image by digest in your registry mirror with
#   docker build --build-arg PYTHON_IMAGE=python:3.12-slim@sha256:... .
ARG PYTHON_IMAGE=python:3.12-slim

# --- build: the locked dependencies, installed into a virtualenv copied as a whole ----------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements/pip.lock requirements/pip.lock
COPY requirements/base.lock requirements/base.lock
RUN /opt/venv/bin/pip install --require-hashes -r requirements/pip.lock
# Every package, transitive ones included, must match a hash in the lock: a tampered or
# unexpected download fails the build instead of entering the image.
RUN /opt/venv/bin/pip install --require-hashes -r requirements/base.lock

# --- runtime --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=ccplatform.settings \
    CCPLATFORM_ENV=production \
    CCPLATFORM_READ_DOTENV=0 \
    GUNICORN_BIND=0.0.0.0:8000

# A fixed, unprivileged uid: files it must write (the beat schedule volume) can be owned by
# it on the host, and the secret files mounted from the host must be readable by it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Static files are collected once, here, with production settings (hashed, compressed names
# for whitenoise). Settings refuse to load without a strong secret, encryption keys, a
# database, a broker and a mail server, so the build passes throw-away values that exist only
# for this command: the secret and the keys are generated on the spot (and never used to
# encrypt anything) and nothing is contacted.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
        FIELD_ENCRYPTION_KEYS="1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
        BLIND_INDEX_KEYS="1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
        AUDIT_CHECKPOINT_KEYS="1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
        DATABASE_URL=sqlite:///:memory: \
        REDIS_URL=redis://build.invalid:6379/0 \
        ALLOWED_HOSTS=build.invalid \
        EMAIL_HOST=build.invalid \
        python manage.py collectstatic --noinput \
    && python -m compileall -q /app \
    && mkdir -p /app/var/beat \
    && chown app:app /app/var/beat

USER app
EXPOSE 8000

CMD ["gunicorn", "-c", "gunicorn.conf.py", "ccplatform.wsgi"]
