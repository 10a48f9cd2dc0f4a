"""The pipeline's entry: run an engine, then judge its answer by the same rules for every engine.

This is what the Celery task and ``formlens extract`` both call; it touches no database and
no queue, so it runs the same in a worker, in the CLI and in a unit test.
"""

from __future__ import annotations

from dataclasses import replace

from core.doctypes import DocumentTypeSpec
from core.domain import MISSING, ExtractionResult
from worker.engines.base import Engine, EngineOutput, EngineRequest


def run_pipeline(request: EngineRequest, engine: Engine) -> EngineOutput:
    """Read ``request.document`` with ``engine`` and decide whether people must review it."""
    output = engine.run(request)
    spec = request.types.get(output.result.document_type) or request.spec
    result = output.result
    if spec is not None:
        result = _complete(result, spec)
        result = replace(result, review_reasons=review_reasons(result, spec))
    return EngineOutput(pages=output.pages, result=result)


def _complete(result: ExtractionResult, spec: DocumentTypeSpec) -> ExtractionResult:
    """Every field of the type appears, in the type's order; unknown keys are dropped."""
    fields = {name: result.fields.get(name, MISSING) for name in spec.field_names}
    return replace(result, fields=fields)


def review_reasons(result: ExtractionResult, spec: DocumentTypeSpec) -> tuple[str, ...]:
    reasons: list[str] = []
    for name in spec.required_fields:
        found = result.fields.get(name, MISSING)
        if found.value is None:
            reasons.append(f"missing:{name}")
        elif found.confidence < spec.review_threshold:
            reasons.append(f"low_confidence:{name}")
    reasons.extend(f"rule:{rule.rule}" for rule in result.validation if not rule.ok)
    if result.type_confidence < spec.review_threshold:
        reasons.append("uncertain_type")
    return tuple(reasons)
