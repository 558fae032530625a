# The API image: `pricing-api serve` migrates the database before it serves.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY service ./service
RUN pip install --no-cache-dir -e . && useradd --system --no-create-home pricing
USER pricing
ENV LOG_LEVEL=INFO
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready')"
CMD ["pricing-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
