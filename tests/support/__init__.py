"""Helpers the tests share: servers, worker processes, documents to upload."""
