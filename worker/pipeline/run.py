"""The pipeline's entry: run an engine, then judge its answer by the same rules for every engine.

This is what the Celery task and ``formlens extract`` both call; it touches no database and
no queue, so it runs the same in a worker, in the CLI and in a unit test. Whatever the engine
(CPU rules, e-invoice XML, PaliGemma), its values are normalised to the export's canonical form,
validated by :func:`core.validation.validate`, and a failed rule or a missing or low-confidence
required field sends the document to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from core.doctypes import DocumentTypeSpec, FieldSpec
from core.domain import MISSING, ExtractionResult, FieldValue, RuleResult
from core.normalise import normalise
from core.validation import validate
from worker.engines.base import Engine, EngineOutput, EngineRequest


def run_pipeline(request: EngineRequest, engine: Engine) -> EngineOutput:
    """Read ``request.document`` with ``engine`` and decide whether people must review it."""
    output = engine.run(request)
    spec = request.types.get(output.result.document_type) or request.spec
    result = output.result
    if spec is not None:
        result = judge(result, spec)
    return EngineOutput(pages=output.pages, result=result)


def judge(result: ExtractionResult, spec: DocumentTypeSpec) -> ExtractionResult:
    """Normalise, complete and validate ``result``; set the reasons to review it."""
    fields, problems = _normalised(result.fields, spec.field_index)
    items = tuple(
        _normalised(item, {f.name: f for f in spec.line_item_fields})[0]
        for item in result.line_items
    )
    completed = {name: fields.get(name, MISSING) for name in spec.field_names}
    rules = (*result.validation, *problems, *validate(completed, items, spec))
    judged = replace(result, fields=completed, line_items=items, validation=rules)
    return replace(judged, review_reasons=review_reasons(judged, spec))


def _normalised(
    fields: Mapping[str, FieldValue], index: Mapping[str, FieldSpec]
) -> tuple[dict[str, FieldValue], list[RuleResult]]:
    """Values in their canonical form; unknown keys dropped, unreadable values nulled."""
    out: dict[str, FieldValue] = {}
    problems: list[RuleResult] = []
    for name, found in fields.items():
        field_spec = index.get(name)
        if field_spec is None:
            continue
        if found.value is None:
            out[name] = found
            continue
        value = normalise(field_spec.kind, found.value)
        if value is None:
            message = (
                f"{field_spec.title}: {found.value!r} cannot be read as {field_spec.kind.value}"
            )
            problems.append(RuleResult("value_format", False, message, (name,)))
            out[name] = MISSING
        else:
            out[name] = replace(found, value=value)
    return out, problems


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
    return tuple(dict.fromkeys(reasons))
