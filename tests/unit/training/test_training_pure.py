"""The pure parts of retraining: parameters, examples per page, the split, the schedule, the
promotion rule and what the admin shows of metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.doctypes import INVOICE, RECEIPT
from core.domain import FieldValue
from core.training_params import InvalidParams, TrainingParams, parse_params
from web.admin.presenters import curve_points, duration, metric_rows
from worker.engines.paligemma.answer_format import parse_answer
from worker.training.dataset import LabelledDocument, page_targets, split_documents
from worker.training.evaluation import Evaluation, should_promote
from worker.training.trainer import Schedule, loss_curve

BOX = (0.1, 0.2, 0.3, 0.25)


def document(fields: dict[str, FieldValue], pages: int = 1, items=()) -> LabelledDocument:
    return LabelledDocument("document:x", Path("x.pdf"), "application/pdf", pages, fields, items)


def test_params_from_a_form_are_checked_and_typed() -> None:
    params = parse_params(
        {
            "rank": "8",
            "alpha": "16",
            "target_modules": "q_proj, v_proj",
            "vision": "on",
            "learning_rate": "1e-4",
            "synthetic_documents": "",
            "eval_fraction": "0.1",
        }
    )
    assert (params.rank, params.alpha, params.learning_rate) == (8, 16.0, 1e-4)
    assert params.target_modules == ("q_proj", "v_proj") and params.vision is True
    assert params.synthetic_documents is None and params.peft_targets() == ["q_proj", "v_proj"]
    assert TrainingParams.from_json(params.to_json()) == params
    with pytest.raises(InvalidParams) as refused:
        parse_params({"rank": "2.5", "epochs": "0", "target_modules": "q_proj; rm -rf", "x": 1})
    assert refused.value.errors == {
        "x": "unknown parameter",
        "rank": "must be a whole number",
        "epochs": "must be between 1 and 1000",
        "target_modules": "'q_proj; rm -rf' is not a module name",
    }


def test_by_default_only_the_language_model_is_adapted() -> None:
    pattern = TrainingParams().peft_targets()
    assert isinstance(pattern, str)
    assert re.fullmatch(pattern, "model.language_model.layers.3.self_attn.q_proj")
    vision = "model.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj"
    assert not re.fullmatch(pattern, vision)
    assert TrainingParams(target_modules=("all-linear",)).peft_targets() == "all-linear"


def test_each_page_gets_the_values_found_on_it() -> None:
    fields = {
        "invoice_number": FieldValue("INV-1", 1.0, 1, BOX),
        "total_amount": FieldValue("119.00", 1.0, 2, BOX),
        "currency": FieldValue("EUR", 1.0, None, None),  # typed in by a reviewer
    }
    item = {"description": FieldValue("Widget", 1.0, 2, BOX)}
    first, second = page_targets(document(fields, pages=2, items=[item]), INVOICE)
    assert first == '{"invoice_number":"<loc0205><loc0102><loc0256><loc0307>INV-1"}'
    assert parse_answer(second, INVOICE).fields["total_amount"].value == "119.00"
    assert '"line_items":[{"description":' in second and "EUR" not in first + second
    (only,) = page_targets(document(fields), RECEIPT)  # one page: an unlocated value is on it
    assert only.endswith('"currency":"EUR"}') and "invoice_number" not in only


def test_the_split_is_by_document_reproducible_and_keeps_one_of_each() -> None:
    names = [f"document:{n}" for n in range(10)]
    train, held_out = split_documents(names, 0.2, seed=4)
    assert len(held_out) == 2 and sorted(train + held_out) == sorted(names)
    assert split_documents(names, 0.2, seed=4) == (train, held_out)
    assert [len(part) for part in split_documents(names[:2], 0.5, 0)] == [1, 1]
    assert split_documents(names[:1], 0.5, 0) == (names[:1], [])


def test_the_schedule_takes_the_same_batches_on_every_run() -> None:
    schedule = Schedule(examples=5, batch_size=2, epochs=3, seed=1)
    assert (schedule.steps_per_epoch, schedule.total_steps) == (3, 9)
    epoch = [i for step in range(3) for i in schedule.batch(step)]
    assert sorted(epoch) == [0, 1, 2, 3, 4]
    assert schedule.batch(4) == Schedule(5, 2, 3, 1).batch(4)
    factors = [schedule.lr_factor(step) for step in range(9)]
    assert factors[0] == 1.0 and factors[-1] < 0.1 and max(factors) == 1.0
    assert loss_curve([4.0, 2.0, 1.0]) == [[1, 4.0], [2, 2.0], [3, 1.0]]
    assert len(loss_curve([1.0] * 1000)) == 100


def evaluation(new: float | None, old: float | None, active: str | None = "invoice@v1"):
    def score(accuracy: float | None):
        return {"all_field_accuracy": accuracy, "per_field": {}}

    return Evaluation(score(new), score(old) if active else None, active, score(None))


@pytest.mark.parametrize(
    ("auto", "result", "promoted", "reason"),
    [
        (False, evaluation(0.9, 0.5), False, "auto-promote is off"),
        (True, evaluation(0.9, 0.5), True, "it beats invoice@v1: 90.0% against 50.0%"),
        (True, evaluation(0.5, 0.5), False, "does not beat"),
        (True, evaluation(None, 0.5), False, "nothing shows it is better"),
        (True, evaluation(0.4, None, active=None), True, "no adapter was active"),
        (True, evaluation(0.0, None, active=None), False, "got no field right"),
    ],
)
def test_promotion_needs_auto_promote_and_a_win(auto, result, promoted, reason) -> None:
    decision, why = should_promote(auto, result)
    assert decision is promoted and reason in why


def test_metrics_are_shown_side_by_side() -> None:
    metrics = {
        "candidate": {"per_field": {"currency": {"accuracy": 1.0, "labelled": 4}}},
        "active": {
            "per_field": {
                "currency": {"accuracy": 0.75, "labelled": 4},
                "iban": {"accuracy": 0.5, "labelled": 2},
            }
        },
    }
    rows = metric_rows(metrics)
    assert [(r.name, r.candidate, r.active, r.delta) for r in rows] == [
        ("currency", 1.0, 0.75, 0.25),
        ("iban", None, 0.5, None),
    ]
    assert curve_points([[1, 4.0], [2, 2.0], [3, 1.0]], 100, 10) == "0.0,0.0 50.0,6.7 100.0,10.0"
    assert (duration(75), duration(3700), duration(None)) == ("1 min 15 s", "1 h 1 min", "—")
