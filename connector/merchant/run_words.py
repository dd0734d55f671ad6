"""A job run in the merchant's words, for the Jobs page: why it failed (``plain_error``) and who started it
(``started_by``). A run's error is stored as ``"<ExceptionName>: <message>"`` (connector/db/job_runs.py
``error_text``); the named errors' categories (connector/domain/errors.py) say what went wrong in a sentence,
and the stored text stays available beside it for support.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from connector.db.job_runs_triggers import AFTER, CLI, RUN_NOW, SCHEDULE, WEBHOOK
from connector.domain import errors

_GIVEN_UP = re.compile(r"\[given up: started (\d+) times without finishing\]")

_BY_NAME: tuple[tuple[type[BaseException], str], ...] = (
    (errors.HostKeyChanged, "The supplier's SFTP server presented a different host key, so the connector did "
                            "not log in. Check with the supplier before trusting the new key."),
    (errors.SupplierThrottled, "The supplier asked the connector to slow down; it tries again after the wait."),
    (errors.SupplierUnavailable, "The supplier's feed did not answer; the connector tries again."),
    (errors.SupplierFeedInvalid, "The supplier sent a file the connector could not read."),
    (errors.SupplierSendUncertain, "The supplier did not confirm the order; the connector checks before sending "
                                   "it again."),
    (errors.SupplierRejected, "The supplier refused the request: check its address and login on the Suppliers "
                              "page."),
    (errors.PlatformThrottled, "The store asked the connector to slow down; it tries again after the wait."),
    (errors.OutcomeUncertain, "The store did not confirm whether the change went through; the connector checks "
                              "before trying again."),
    (errors.PlatformUnavailable, "The store did not answer (it may be down or slow); the connector tries again."),
    (errors.PlatformAuthError, "The store refused the connector's access: the app may have lost its permission. "
                               "Open the app from the store's admin to connect it again."),
    (errors.PlatformNotFound, "The store no longer has something the job needed (deleted in the store?)."),
    (errors.PlatformRejected, "The store refused the request."),
    (errors.CredentialsError, "The connector could not read this store's credentials: connect the store again."),
    (errors.DeliveryUncertain, "The mail server did not confirm the message; it is not sent a second time."),
    (errors.DeliveryUnavailable, "The mail server could not be reached; the connector tries again."),
    (errors.DeliveryRejected, "The mail server refused the message."),
    (errors.StorageUnavailable, "The connector's database could not be reached; the connector tries again."),
    (errors.ConfigError, "The connector is not set up for this: a setting is missing or wrong."),
    (errors.TransientError, "A service the job needs did not answer; the connector tries again."),
    (errors.PermanentError, "The job could not do this, and trying again will not help."),
)

_BUILTIN: Mapping[str, str] = {
    "TimeoutError": "The job ran out of time.",
    "JobTimeoutException": "The job ran out of time.",
    "ConnectionRefusedError": "A service the job needs refused the connection.",
    "ConnectionError": "A connection the job needed failed.",
    "OSError": "A connection or file the job needed failed.",
}


def error_name(text: str | None) -> str | None:
    """The exception's name at the head of a stored error, if it has one."""
    if not text:
        return None
    match = re.match(r"([A-Za-z_][A-Za-z0-9_.]*): ", text)
    return match.group(1).rsplit(".", 1)[-1] if match else None


def plain_error(text: str | None) -> str | None:
    """Why a run failed (or is waiting to retry), in a sentence; None without an error."""
    if not text:
        return None
    given_up = _GIVEN_UP.search(text)
    if given_up:
        return (f"The job was started {given_up.group(1)} times and never finished (its worker stopped or "
                "was restarted), so the connector gave up. Run it again when you want it.")
    name = error_name(text)
    known = getattr(errors, name, None) if name else None
    if isinstance(known, type) and issubclass(known, BaseException):
        for kind, words in _BY_NAME:
            if issubclass(known, kind):
                return words
    if name is not None and name in _BUILTIN:
        return _BUILTIN[name]
    return "Something went wrong inside the connector. The details below help support find out what."


def started_by(trigger: str | None, labels: Mapping[str, str]) -> str:
    """Who started a run, in words; ``labels`` names the merchant's jobs by their references."""
    if trigger == SCHEDULE:
        return "Schedule"
    if trigger == RUN_NOW:
        return "Run now"
    if trigger == CLI:
        return "Command line"
    if trigger == WEBHOOK:
        return "A store event"
    if trigger and trigger.startswith(AFTER):
        ref = trigger[len(AFTER):]
        label = labels.get(ref) or ref.rsplit(".", 1)[-1].replace("_", " ")
        return f"After {label[:1].lower()}{label[1:]}"
    return "The connector, after a change"
