"""The OpenAPI description of the admin API (:mod:`web.api.admin_views`)."""

from __future__ import annotations

from web.api.openapi import ERRORS, ok, register_paths

ADMIN = [{"bearer": ["admin"]}]
CONFLICT = {"409": {"$ref": "#/components/responses/Error"}}
REFUSED = {
    "413": {"$ref": "#/components/responses/Error"},
    "422": {"$ref": "#/components/responses/Error"},
}
ADAPTER = {
    "type": "object",
    "description": "One version of a type's LoRA adapter.",
    "properties": {
        "id": {"type": "integer"},
        "document_type": {"type": "string"},
        "version": {"type": "integer"},
        "key": {"type": "string", "description": "type@vN, as extractions name it"},
        "status": {"type": "string", "enum": ["candidate", "active", "retired"]},
        "source": {"type": "string", "enum": ["upload", "training"]},
        "base_model": {"type": "string"},
        "rank": {"type": "integer"},
        "alpha": {"type": "number"},
        "target_modules": {"type": "array", "items": {"type": "string"}},
        "sha256": {"type": "string"},
        "size_bytes": {"type": "integer"},
        "train_examples": {"type": ["integer", "null"]},
        "metrics": {"type": "object", "description": "Evaluation of trained versions."},
        "activated_at": {"type": ["string", "null"], "format": "date-time"},
        "activated_by": {"type": ["string", "null"]},
    },
}
JOB = {
    "type": "object",
    "description": "A retraining job.",
    "properties": {
        "id": {"type": "integer"},
        "document_type": {"type": "string"},
        "status": {
            "type": "string",
            "enum": ["queued", "running", "succeeded", "failed", "cancelled"],
        },
        "params": {"type": "object"},
        "progress": {
            "type": "object",
            "description": "{phase, step, total_steps, epoch, loss, elapsed_s, eta_s}",
        },
        "metrics": {"type": "object"},
        "error": {"type": ["string", "null"]},
        "adapter_id": {"type": ["integer", "null"]},
        "log": {"type": "string", "description": "Only when one job is asked for."},
    },
}
TYPE_QUERY = {"name": "type", "in": "query", "schema": {"type": "string"}}
ADAPTER_ID = {"name": "adapter_id", "in": "path", "required": True, "schema": {"type": "integer"}}
JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}
LIST = {"type": "object", "properties": {"items": {"type": "array"}}}

register_paths(
    {
        "/admin/adapters": {
            "get": {
                "summary": "Every adapter version (optionally of one type)",
                "security": ADMIN,
                "parameters": [TYPE_QUERY],
                "responses": {"200": ok("The versions, newest first per type.", LIST), **ERRORS},
            },
            "post": {
                "summary": "Upload an adapter: a .zip or .tar.gz of a peft LoRA folder",
                "security": ADMIN,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "type"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "type": {"type": "string"},
                                    "activate": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": ok("Checked and registered as the next version.", ADAPTER),
                    **REFUSED,
                    **CONFLICT,
                    **ERRORS,
                },
            },
        },
        "/admin/adapters/{adapter_id}": {
            "get": {
                "summary": "One adapter version with its metrics",
                "security": ADMIN,
                "parameters": [ADAPTER_ID],
                "responses": {"200": ok("The adapter.", ADAPTER), **ERRORS},
            },
        },
        "/admin/adapters/{adapter_id}/activate": {
            "post": {
                "summary": "Make this version its type's active adapter",
                "security": ADMIN,
                "parameters": [ADAPTER_ID],
                "responses": {"200": ok("Active.", ADAPTER), **CONFLICT, **ERRORS},
            },
        },
        "/admin/adapters/{adapter_id}/retire": {
            "post": {
                "summary": "Retire a version that is not active",
                "security": ADMIN,
                "parameters": [ADAPTER_ID],
                "responses": {"200": ok("Retired.", ADAPTER), **CONFLICT, **ERRORS},
            },
        },
        "/admin/document-types/{name}/rollback": {
            "post": {
                "summary": "Roll back to the previously active version (or 'version', or none)",
                "security": ADMIN,
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"version": {"type": "integer"}},
                            }
                        }
                    }
                },
                "responses": {"200": ok("The key now active (or null)."), **CONFLICT, **ERRORS},
            },
        },
        "/admin/training-jobs": {
            "get": {
                "summary": "Training jobs, newest first",
                "security": ADMIN,
                "parameters": [TYPE_QUERY],
                "responses": {"200": ok("The jobs.", LIST), **ERRORS},
            },
            "post": {
                "summary": "Start retraining a type's adapter from its reviewed documents",
                "security": ADMIN,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["type"],
                                "properties": {
                                    "type": {"type": "string"},
                                    "params": {
                                        "type": "object",
                                        "description": "rank, alpha, target_modules, vision, "
                                        "epochs, learning_rate, batch_size, lora_dropout, "
                                        "max_examples, synthetic_documents, eval_fraction, seed",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": ok("Queued.", JOB),
                    "409": {"$ref": "#/components/responses/Error"},
                    "422": {"$ref": "#/components/responses/Error"},
                    **ERRORS,
                },
            },
        },
        "/admin/training-jobs/{job_id}": {
            "get": {
                "summary": "One job: progress, metrics and log",
                "security": ADMIN,
                "parameters": [JOB_ID],
                "responses": {"200": ok("The job.", JOB), **ERRORS},
            },
        },
        "/admin/training-jobs/{job_id}/cancel": {
            "post": {
                "summary": "Cancel a queued job, or stop a running one after its current step",
                "security": ADMIN,
                "parameters": [JOB_ID],
                "responses": {"200": ok("The job.", JOB), **CONFLICT, **ERRORS},
            },
        },
    }
)
