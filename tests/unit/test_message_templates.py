"""The message template catalogue and its checks: every shipped wording is editable as it stands (it
passes the same checks a merchant's wording must), and a wording that could not be sent is refused."""

from __future__ import annotations

import pytest

from connector.domain.errors import TemplateRefused
from connector.notify import email as notify_email
from connector.notify import templates
from connector.notify.languages import LANGUAGES


@pytest.mark.parametrize("kind", sorted(templates.KINDS))
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_shipped_wording_passes_the_checks_a_merchants_must_pass(kind: str, language: str):
    templates.check(kind, language, templates.default_text(kind, language))


def test_every_kind_the_connector_sends_has_a_subject_and_templates():
    for kind in templates.KINDS:
        assert kind in notify_email.SUBJECTS
        for ext in ("txt", "html"):
            assert (notify_email.TEMPLATES / f"{kind}.{ext}").is_file()


def test_every_customer_kind_ships_in_every_language():
    for spec in templates.KINDS.values():
        if spec.audience == templates.CUSTOMER:
            for language in LANGUAGES:
                assert notify_email.shipped(spec.kind, language) == language, (spec.kind, language)


@pytest.mark.parametrize("text, field, words", [
    (notify_email.Custom("", "x"), "subject", "must not be empty"),
    (notify_email.Custom("{{ wait_url }}", "x"), "subject", "unknown variable wait_url"),
    (notify_email.Custom("s", "{% if date_text %}{{ secret }}{% endif %}"), "body", "unknown variable secret"),
    (notify_email.Custom("s", "{{ date_text | nosuchfilter }}"), "body", "No filter named 'nosuchfilter'"),
    (notify_email.Custom("s", "x", "{{ doing_text }}"), "doing", "unknown variable doing_text"),
    (notify_email.Custom("s", "{{ order_name.__class__ }}"), "body", "not allowed"),
    (notify_email.Custom("s", "{{ 1 / 0 }}"), "body", "ZeroDivisionError"),
    (notify_email.Custom("s" * 501, "x"), "subject", "too long"),
])
def test_a_wording_that_could_not_be_sent_is_refused_naming_its_field(text, field, words):
    with pytest.raises(TemplateRefused) as refused:
        templates.check("capture_notice", "en", text)
    assert words in refused.value.problems[field]


def test_a_custom_wording_is_escaped_into_the_shared_layout_and_keeps_its_text_part():
    context = templates.sample(templates.KINDS["capture_notice"], "en")
    context["items"] = [{"title": "Tea <b>& co</b>", "sku": "T", "quantity": 1}]
    subject, text, html = notify_email.render("capture_notice", context, custom=notify_email.Custom(
        "Hi {{ order_name }}", "{{ items[0].title }} <i>literal</i>\n\nhttps://tea.example/x?a=1&b=2"))
    assert subject == "Hi #1001" and text.startswith("Tea <b>& co</b> <i>literal</i>")
    assert "Tea &lt;b&gt;&amp; co&lt;/b&gt; &lt;i&gt;literal&lt;/i&gt;" in html and "<i>" not in html
    assert '<a href="https://tea.example/x?a=1&amp;b=2">' in html and '<html lang="en">' in html


def test_a_custom_wording_that_fails_on_real_data_falls_back_to_the_shipped_one():
    context = templates.sample(templates.KINDS["capture_notice"], "nl")
    subject, _, _ = notify_email.render("capture_notice", context, language="nl",
                                        custom=notify_email.Custom("{{ items[3].title }}", "x"))
    assert subject.startswith("Bestelling #1001: verzonden uiterlijk ")
