# The production image: profilegraph on Neo4j 5 (see docker-compose.yml).
# Dependencies come from requirements.lock, pinned with hashes; the embedded
# development server is not installed.
FROM python:3.11-slim

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
COPY graph_schema ./graph_schema
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --uid 10001 --home-dir /var/lib/profilegraph profilegraph \
    && mkdir -p /var/lib/profilegraph \
    && chown profilegraph /var/lib/profilegraph

# Production by default: the service refuses to start without PROFILEGRAPH_NEO4J_URI
# instead of trying to start a development server inside the container.
ENV PROFILEGRAPH_ENVIRONMENT=production \
    PROFILEGRAPH_HOST=0.0.0.0 \
    PROFILEGRAPH_PORT=8000 \
    PROFILEGRAPH_DATA_DIR=/var/lib/profilegraph
VOLUME /var/lib/profilegraph
EXPOSE 8000
USER profilegraph
CMD ["profilegraph", "serve"]
