"""Which customer message is due: the pure rules, on frozen dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connector.domain.notify import (
    DelayNotice,
    DelayPolicy,
    Facts,
    Kind,
    Policy,
    decide,
    lapsed_action,
    shipping_promise,
)

TODAY = date(2026, 12, 1)
ORDERED = TODAY
POLICY = Policy(grace_days=7, shipping_promise_days=30)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def facts(**changes) -> Facts:
    base = dict(ordered_on=ORDERED, expected=days(10), promised=None, shipping_promise=days(30),
                last_told=None, initial_decided=False)
    base.update(changes)
    return Facts(**base)


def kinds(decisions) -> list[str]:
    return [d.kind for d in decisions]


# --- at capture -------------------------------------------------------------------------------

def test_a_date_beyond_the_grace_period_is_told_at_capture_with_that_date():
    [decision] = decide(facts(expected=days(8)), TODAY, POLICY)
    assert decision.kind == Kind.CAPTURE_NOTICE and decision.date == days(8) and decision.key == "2026-12-09"


def test_a_date_exactly_at_the_end_of_the_grace_period_is_not_worth_a_message():
    [decision] = decide(facts(expected=days(7)), TODAY, POLICY)
    assert decision.kind == Kind.CAPTURE_SILENCE and decision.date == days(7)


def test_a_date_inside_the_grace_period_is_recorded_as_deliberate_silence():
    [decision] = decide(facts(expected=days(2)), TODAY, POLICY)
    assert decision.kind == Kind.CAPTURE_SILENCE and "within the 7-day grace period" in decision.reason


def test_a_merchant_with_a_longer_grace_period_stays_silent_longer():
    assert kinds(decide(facts(expected=days(10)), TODAY, Policy(grace_days=14))) == [Kind.CAPTURE_SILENCE]


def test_nothing_is_said_at_capture_while_no_date_is_known_and_the_promise_is_far():
    assert decide(facts(expected=None), TODAY, POLICY) == []


def test_the_capture_decision_is_made_once():
    assert decide(facts(expected=days(20), promised=days(20), last_told=days(20), initial_decided=True),
                  TODAY, POLICY) == []


# --- slips ------------------------------------------------------------------------------------

def test_a_slip_past_the_promised_date_plus_grace_brings_an_apology_with_the_new_date():
    f = facts(expected=days(25), promised=days(10), last_told=days(10), initial_decided=True)
    [decision] = decide(f, TODAY, POLICY)
    assert decision.kind == Kind.APOLOGY and decision.date == days(25)


def test_a_slip_within_the_grace_period_is_not_worth_an_apology():
    f = facts(expected=days(17), promised=days(10), last_told=days(10), initial_decided=True)
    assert decide(f, TODAY, POLICY) == []


def test_an_earlier_date_is_never_an_apology():
    f = facts(expected=days(5), promised=days(10), last_told=days(10), initial_decided=True)
    assert decide(f, TODAY, POLICY) == []


def test_after_an_apology_the_next_slip_is_measured_from_the_date_last_told():
    f = facts(expected=days(28), promised=days(10), last_told=days(25), initial_decided=True)
    assert decide(f, TODAY, POLICY) == []
    f = facts(expected=days(29), promised=days(10), last_told=days(21), initial_decided=True)
    assert kinds(decide(f, TODAY, POLICY)) == [Kind.APOLOGY]


def test_a_silent_capture_still_holds_the_date_it_was_silent_about():
    f = facts(expected=days(14), promised=days(3), last_told=days(3), initial_decided=True)
    assert kinds(decide(f, TODAY, POLICY)) == [Kind.APOLOGY]


def test_a_slip_of_at_least_the_consolation_threshold_carries_a_code():
    policy = Policy(consolation_min_slip_days=14)
    f = facts(expected=days(24), promised=days(10), last_told=days(10), initial_decided=True)
    [decision] = decide(f, TODAY, policy)
    assert decision.with_consolation


def test_a_shorter_slip_carries_no_code():
    policy = Policy(consolation_min_slip_days=14)
    f = facts(expected=days(23), promised=days(10), last_told=days(10), initial_decided=True)
    [decision] = decide(f, TODAY, policy)
    assert decision.kind == Kind.APOLOGY and not decision.with_consolation


def test_an_order_that_already_has_a_code_gets_no_second_one():
    policy = Policy(consolation_min_slip_days=1)
    f = facts(expected=days(24), promised=days(10), last_told=days(10), initial_decided=True, has_consolation=True)
    assert not decide(f, TODAY, policy)[0].with_consolation


def test_no_consolation_rule_means_no_codes():
    f = facts(expected=days(29), promised=days(1), last_told=days(1), initial_decided=True)
    assert not decide(f, TODAY, POLICY)[0].with_consolation


# --- FTC delay notice ---------------------------------------------------------------------------

def test_the_shipping_promise_is_the_checkout_date_or_thirty_days_after_the_order():
    assert shipping_promise(ORDERED, None, POLICY) == days(30)
    assert shipping_promise(ORDERED, days(12), POLICY) == days(12)
    assert shipping_promise(ORDERED, None, Policy(shipping_promise_days=45)) == days(45)


def test_a_date_beyond_the_shipping_promise_at_capture_sends_a_delay_notice_at_once():
    [decision] = decide(facts(expected=days(40)), TODAY, POLICY)
    assert decision.kind == Kind.DELAY_NOTICE and decision.date == days(40)
    assert not decision.consent_required  # within 30 days past the promise: silence is consent


def test_a_delay_more_than_thirty_days_past_the_promise_needs_express_consent():
    [decision] = decide(facts(expected=days(61)), TODAY, POLICY)
    assert decision.consent_required and decision.deadline == days(30)


def test_a_delay_of_exactly_thirty_days_past_the_promise_does_not_need_consent():
    [decision] = decide(facts(expected=days(60)), TODAY, POLICY)
    assert not decision.consent_required


def test_a_slip_past_the_promise_is_a_delay_notice_not_an_apology():
    f = facts(expected=days(45), promised=days(10), last_told=days(10), initial_decided=True)
    assert kinds(decide(f, TODAY, POLICY)) == [Kind.DELAY_NOTICE]


def test_an_unknown_date_close_to_the_promise_sends_an_unknown_delay_notice_needing_consent():
    today = days(24)
    [decision] = decide(facts(expected=None), today, POLICY)
    assert decision.kind == Kind.DELAY_NOTICE and decision.date is None and decision.key == "unknown"
    assert decision.consent_required and decision.deadline == days(31)  # reply window beyond the promise


def test_the_reply_window_is_at_least_the_merchants_reply_days():
    today = days(29)
    [decision] = decide(facts(expected=days(90)), today, POLICY)
    assert decision.deadline == today + timedelta(days=7)


def test_a_delay_notice_already_sent_for_this_date_is_not_sent_again():
    notice = DelayNotice(days(40), False, days(40))
    assert decide(facts(expected=days(40), initial_decided=True, delay_notices=(notice,)), TODAY, POLICY) == []


def test_a_further_delay_needs_a_new_notice_with_express_consent():
    notice = DelayNotice(days(40), False, days(40), answer=None)
    [decision] = decide(facts(expected=days(41), initial_decided=True, delay_notices=(notice,)), TODAY, POLICY)
    assert decision.kind == Kind.DELAY_NOTICE and decision.consent_required and decision.deadline == days(40)


def test_after_an_unknown_notice_a_known_date_is_not_a_further_delay():
    notice = DelayNotice(None, True, days(30), answer="wait", settled=True)
    assert decide(facts(expected=days(70), initial_decided=True, delay_notices=(notice,)), TODAY, POLICY) == []


def test_an_unanswered_consent_notice_lapses_after_its_deadline():
    notice = DelayNotice(days(70), True, days(30))
    f = facts(expected=days(70), initial_decided=True, delay_notices=(notice,))
    assert decide(f, days(30), POLICY) == []
    [decision] = decide(f, days(31), POLICY)
    assert decision.kind == "expire_delay"


def test_a_notice_answered_keep_waiting_does_not_lapse():
    notice = DelayNotice(days(70), True, days(30), answer="wait", settled=True)
    assert decide(facts(expected=days(70), initial_decided=True, delay_notices=(notice,)), days(40), POLICY) == []


def test_a_lapse_already_handled_is_not_handled_again():
    notice = DelayNotice(days(70), True, days(30), settled=True)
    assert decide(facts(expected=days(70), initial_decided=True, delay_notices=(notice,)), days(40), POLICY) == []


def test_a_notice_that_did_not_need_consent_never_lapses():
    notice = DelayNotice(days(40), False, days(40))
    assert decide(facts(expected=days(40), initial_decided=True, delay_notices=(notice,)), days(45), POLICY) == []


def test_the_merchant_policy_decides_what_a_lapse_does():
    assert lapsed_action(DelayPolicy.CANCEL_AND_REFUND) == "cancel"
    assert lapsed_action(DelayPolicy.ASK_MERCHANT) == "ask"


def test_a_delay_notice_carries_a_code_when_the_slip_is_long_enough():
    [decision] = decide(facts(expected=days(61), promised=days(5)), TODAY, Policy(consolation_min_slip_days=30))
    assert decision.kind == Kind.DELAY_NOTICE and decision.with_consolation


def test_negative_policy_values_are_refused_naming_the_value():
    with pytest.raises(ValueError, match="grace_days"):
        Policy(grace_days=-1)
