"""Errors as people and programs expect them: JSON under /api, a page elsewhere, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, TooManyRequests

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request is not valid.",
    401: "Please log in, or send a valid API token.",
    403: "You do not have permission to do this.",
    404: "There is nothing here.",
    405: "This method is not allowed here.",
    409: "The request conflicts with the current state.",
    413: "The upload is larger than the limit.",
    415: "This type of file cannot be read.",
    422: "The request could not be processed.",
    429: "Too many requests; please wait a moment.",
    500: "Something went wrong on our side; it has been logged.",
}


def wants_json() -> bool:
    accept = request.accept_mimetypes
    return request.path.startswith("/api/") or (
        accept.best == "application/json" and not accept.accept_html
    )


def error_response(status: int, message: str | None = None) -> tuple[Response | str, int]:
    text = message or MESSAGES.get(status, "Error.")
    if wants_json():
        return jsonify(error={"status": status, "message": text}), status
    return render_template("error.html", status=status, message=text), status


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    # abort(code, "message") carries our own words; werkzeug's defaults are replaced by ours.
    description = error.description if error.description != type(error).description else None
    if status == TooManyRequests.code:  # Flask-Limiter's description is the limit itself
        description = f"{MESSAGES[status]} (limit: {description})" if description else None
    return error_response(status, description)


def _csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    return error_response(400, "The form expired or was sent from elsewhere; reload the page.")


def _unexpected(error: Exception) -> tuple[Response | str, int]:
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(InternalServerError.code)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
