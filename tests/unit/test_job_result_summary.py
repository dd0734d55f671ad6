"""What a done job run keeps of its return value for the Jobs page: counts, never payloads."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.db.job_runs import result_summary


@dataclass
class Report:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    status: str = "ok"
    payload: object = None
    detail: dict[str, object] = field(default_factory=dict)


def test_numbers_text_and_nothing_are_kept_as_they_are():
    assert result_summary(12) == 12
    assert result_summary(True) is True
    assert result_summary("ok") == "ok"
    assert result_summary(None) is None
    assert result_summary({"webhook_events": 3, "oauth_states": 0}) == {"webhook_events": 3, "oauth_states": 0}
    assert result_summary({"order": {"email": "a@example.com"}}) is None


def test_a_report_keeps_its_counts_and_the_sizes_of_its_lists():
    report = Report(seen=4, outcomes={"captured": 3, "ignored": 1}, refused=["#1001", "#1002"],
                    payload=object(), detail={"order": {"email": "a@example.com"}})
    assert result_summary(report) == {"seen": 4, "outcomes": {"captured": 3, "ignored": 1}, "refused": 2,
                                      "status": "ok", "detail": 1}  # payload left out


def test_long_text_is_cut_and_unknown_objects_are_dropped():
    assert len(result_summary("x" * 1000)) == 200
    assert result_summary(object()) is None
    assert result_summary(Report) is None  # a class, not a report
