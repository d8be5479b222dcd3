FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY graph_schema ./graph_schema
RUN pip install --no-cache-dir .

ENV PROFILEGRAPH_HOST=0.0.0.0 \
    PROFILEGRAPH_PORT=8000
EXPOSE 8000
USER nobody
CMD ["profilegraph", "serve"]
