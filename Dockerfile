# One image for every FormLens process (web, workers, beat, migrate); compose picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OMP_THREAD_LIMIT=1 FORMLENS_DATA_DIR=/data FORMLENS_HOST=0.0.0.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends poppler-utils tesseract-ocr tesseract-ocr-eng \
      tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 formlens && mkdir /data && chown formlens /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY models models
COPY worker worker
COPY web web
COPY formlens formlens
COPY migrations migrations
# On PyPI, torch==2.13.0 for Linux x86_64 is the CUDA build the GPU worker needs.
RUN pip install .

USER formlens
EXPOSE 8000
CMD ["formlens", "serve"]
