# botkit with every plugin the README installs, run as a non-root user.
#   podman build -t botkit .            (or docker build)
#   podman run --rm -e DISCORD_TOKEN -e OPENAI_API_KEY -v botkit-data:/data botkit
# The data directory /data is a volume; /healthz on port 9108 is the health check.

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY botkit ./botkit
COPY plugins ./plugins
COPY adapters ./adapters
RUN python -m venv /opt/botkit \
    && /opt/botkit/bin/pip install ".[postgres]" \
        ./plugins/openai_chat ./plugins/trainer ./plugins/voice ./plugins/feedback \
        ./adapters/discord ./adapters/telegram

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN groupadd --system --gid 10001 botkit \
    && useradd --system --uid 10001 --gid botkit --home-dir /data --shell /usr/sbin/nologin botkit \
    && install -d -o botkit -g botkit -m 0750 /data
COPY --from=build /opt/botkit /opt/botkit
ENV PATH=/opt/botkit/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOTKIT_DATA_DIR=/data \
    BOTKIT_METRICS_LISTEN=0.0.0.0:9108
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["botkit"]
CMD ["run"]
