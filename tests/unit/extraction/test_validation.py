from datetime import date

from core.doctypes import INVOICE
from core.domain import FieldValue, RuleResult
from core.validation import dates_plausible, validate


def _fields(**values: str) -> dict[str, FieldValue]:
    return {name: FieldValue(value) for name, value in values.items()}


def _rules(results: tuple[RuleResult, ...]) -> dict[str, RuleResult]:
    return {r.rule: r for r in results}


def test_consistent_totals_pass():
    rules = _rules(
        validate(
            _fields(net_amount="100.00", tax_amount="19.00", total_amount="119.00"), (), INVOICE
        )
    )
    assert rules["totals_consistent"].ok


def test_inconsistent_totals_fail_with_a_readable_message():
    rules = _rules(
        validate(
            _fields(net_amount="100.00", tax_amount="19.00", total_amount="191.00"), (), INVOICE
        )
    )
    assert not rules["totals_consistent"].ok
    assert "191.00" in rules["totals_consistent"].message


def test_line_totals_must_sum_to_net():
    items = ({"line_total": FieldValue("60.00")}, {"line_total": FieldValue("40.00")})
    assert _rules(validate(_fields(net_amount="100.00"), items, INVOICE))["line_totals_sum"].ok
    assert not _rules(validate(_fields(net_amount="90.00"), items, INVOICE))["line_totals_sum"].ok


def test_due_date_not_before_issue_date():
    ok = _rules(validate(_fields(issue_date="2024-03-01", due_date="2024-03-31"), (), INVOICE))
    bad = _rules(validate(_fields(issue_date="2024-03-01", due_date="2024-02-01"), (), INVOICE))
    assert ok["due_after_issue"].ok
    assert not bad["due_after_issue"].ok


def test_iban_checksum_rule():
    assert _rules(validate(_fields(iban="DE08700901001234567890"), (), INVOICE))["iban_checksum"].ok
    assert not _rules(validate(_fields(iban="DE08700901001234567891"), (), INVOICE))[
        "iban_checksum"
    ].ok


def test_implausible_issue_date():
    result = dates_plausible(_fields(issue_date="1901-01-01"), (), today=date(2025, 1, 1))
    assert result is not None and not result.ok


def test_values_that_do_not_read_as_their_kind_are_flagged():
    rules = _rules(validate(_fields(total_amount="lots", issue_date="soon"), (), INVOICE))
    assert set(rules["values_well_formed"].fields) == {"total_amount", "issue_date"}


def test_nothing_to_check_means_no_rule():
    assert validate({}, (), INVOICE) == ()
