"""The OpenAPI 3.1 description of /api/v1.

Each API module describes its own paths with :func:`register_paths`, next to its views, so the
document cannot silently fall behind the routes (a test compares the two).
"""

from __future__ import annotations

from typing import Any

_PATHS: dict[str, dict[str, Any]] = {}


def register_paths(paths: dict[str, dict[str, Any]]) -> None:
    for path, operations in paths.items():
        _PATHS.setdefault(path, {}).update(operations)


def ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}} if schema else {}
    return {"description": description, **({"content": content} if content else {})}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "401": {"$ref": "#/components/responses/Error"},
    "403": {"$ref": "#/components/responses/Error"},
}
ID_PARAMETER = {
    "name": "document_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            }
        },
    },
    "Document": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "filename": {"type": "string"},
            "sha256": {"type": "string"},
            "mime_type": {"type": "string"},
            "size_bytes": {"type": "integer"},
            "pages": {"type": "integer"},
            "requested_type": {"type": ["string", "null"]},
            "document_type": {"type": ["string", "null"]},
            "status": {
                "type": "string",
                "enum": ["queued", "processing", "extracted", "needs_review", "failed", "approved"],
            },
            "error": {"type": ["string", "null"]},
            "review_reasons": {"type": "array", "items": {"type": "string"}},
            "progress": {
                "type": ["object", "null"],
                "description": "While processing: {stage: reading|previews, done, total}.",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "processed_at": {"type": ["string", "null"], "format": "date-time"},
            "approved_at": {"type": ["string", "null"], "format": "date-time"},
            "version": {
                "type": "integer",
                "description": "Goes up with every change people make; send it back to review.",
            },
            "created": {
                "type": "boolean",
                "description": "On upload: false when the same file existed already.",
            },
            "links": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "DocumentList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Document")},
            "next_cursor": {"type": ["string", "null"]},
        },
    },
    "Export": {
        "type": "object",
        "description": "formlens.extraction/v1; the exact schema per document type is served "
        "at /schemas/{name}.json.",
    },
}

register_paths(
    {
        "/documents": {
            "post": {
                "summary": "Upload a document",
                "security": [{"bearer": ["documents:write"]}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "type": {
                                        "type": "string",
                                        "description": "Omit to detect the type.",
                                    },
                                    "ignore_embedded_xml": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": ok("Accepted and queued.", ref("Document")),
                    "200": ok("The same file was uploaded before.", ref("Document")),
                    "413": {"$ref": "#/components/responses/Error"},
                    "415": {"$ref": "#/components/responses/Error"},
                    "422": {"$ref": "#/components/responses/Error"},
                    **ERRORS,
                },
            },
            "get": {
                "summary": "List documents, newest first",
                "security": [{"bearer": ["documents:read"]}],
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "schema": {"type": "string"}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    },
                ],
                "responses": {"200": ok("A page of documents.", ref("DocumentList")), **ERRORS},
            },
        },
        "/documents/{document_id}": {
            "get": {
                "summary": "One document's status and metadata",
                "security": [{"bearer": ["documents:read"]}],
                "parameters": [ID_PARAMETER],
                "responses": {"200": ok("The document.", ref("Document")), **ERRORS},
            },
        },
        "/documents/{document_id}/export": {
            "get": {
                "summary": "The document's fields in the v1 export format",
                "security": [{"bearer": ["documents:read"]}],
                "parameters": [ID_PARAMETER],
                "responses": {"200": ok("The export.", ref("Export")), **ERRORS},
            },
        },
        "/documents/{document_id}/reprocess": {
            "post": {
                "summary": "Read a document again",
                "security": [{"bearer": ["documents:write"]}],
                "parameters": [ID_PARAMETER],
                "responses": {
                    "202": ok("Queued.", ref("Document")),
                    "409": {"$ref": "#/components/responses/Error"},
                    **ERRORS,
                },
            },
        },
        "/document-types": {
            "get": {
                "summary": "Document types and their fields",
                "security": [{"bearer": ["documents:read"]}],
                "responses": {"200": ok("The types."), **ERRORS},
            },
        },
        "/schemas/{name}.json": {
            "get": {
                "summary": "JSON Schema of the export of one document type",
                "security": [{"bearer": ["documents:read"]}],
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": ok("A JSON Schema (2020-12)."), **ERRORS},
            },
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": ok("OpenAPI 3.1")},
            },
        },
    }
)


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FormLens API",
            "version": "1",
            "description": "Upload invoices and receipts, follow their reading, fetch the "
            "extracted fields. Authenticate with 'Authorization: Bearer <token>' "
            "(create tokens with `formlens users token`).",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(_PATHS.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
            "responses": {
                "Error": {
                    "description": "An error with a message for people.",
                    "content": {"application/json": {"schema": ref("Error")}},
                }
            },
        },
    }
