"""The report classes: the base classes are abstract (a report missing a query method cannot
be made), and every concrete report and part instantiates."""

from __future__ import annotations

import inspect

import pytest

from orderdesk.reports.selectors import REPORTS
from orderdesk.reports.selectors.base import GroupedReport, GroupedRows, Report
from orderdesk.reports.selectors.cancellations import CancelledOrders, LineCancellations
from orderdesk.reports.selectors.profitability import (
    CreditedLines,
    InvoicedLines,
    ShippedLines,
    _DocumentLines,
)


def _subclasses(cls: type) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        out |= {sub, *_subclasses(sub)}
    return out


def test_every_concrete_report_class_instantiates():
    concrete = {c for c in _subclasses(Report) if not inspect.isabstract(c)}
    assert {ShippedLines, InvoicedLines, CreditedLines, LineCancellations, CancelledOrders} <= (
        concrete
    )
    assert {type(r) for r in REPORTS.values()} <= concrete
    for cls in concrete:
        assert isinstance(cls(), Report)


@pytest.mark.parametrize("cls", [Report, GroupedRows, GroupedReport, _DocumentLines])
def test_the_base_classes_are_abstract(cls):
    assert inspect.isabstract(cls)
    with pytest.raises(TypeError):
        cls()


def test_a_grouped_report_without_its_aggregates_cannot_be_made():
    class Incomplete(GroupedReport):
        def measures(self, params):
            return []

        def base(self, user, params):
            raise AssertionError("never called")

    assert Incomplete.__abstractmethods__ == frozenset({"aggregates"})
    with pytest.raises(TypeError, match="aggregates"):
        Incomplete()
