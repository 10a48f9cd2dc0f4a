from core.domain import (
    TERMINAL_STATUSES,
    DocumentStatus,
    FieldValue,
    can_transition,
    clamp_bbox,
    union_bbox,
)


def test_the_status_machine_follows_the_design() -> None:
    s = DocumentStatus
    assert can_transition(s.QUEUED, s.PROCESSING)
    assert can_transition(s.PROCESSING, s.NEEDS_REVIEW)
    assert can_transition(s.NEEDS_REVIEW, s.APPROVED)
    assert not can_transition(s.QUEUED, s.APPROVED)
    assert not can_transition(s.FAILED, s.APPROVED)
    assert s.PROCESSING not in TERMINAL_STATUSES and s.APPROVED in TERMINAL_STATUSES


def test_boxes_are_ordered_and_clipped_to_the_page() -> None:
    assert clamp_bbox((0.9, 1.2, -0.1, 0.5)) == (0.0, 0.5, 0.9, 1.0)
    assert union_bbox([(0.1, 0.2, 0.3, 0.4), (0.2, 0.1, 0.5, 0.3)]) == (0.1, 0.1, 0.5, 0.4)
    assert union_bbox([]) is None


def test_field_values_survive_json() -> None:
    value = FieldValue("INV-1", 0.91234, 2, (0.1, 0.2, 0.3, 0.4), "textlayer")
    again = FieldValue.from_json(value.to_json())
    assert again.value == "INV-1" and again.page == 2 and again.bbox == (0.1, 0.2, 0.3, 0.4)
    assert again.confidence == 0.912
    assert FieldValue.from_json(None).value is None
