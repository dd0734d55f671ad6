"""The text part of every customer e-mail: the link to the customer's order page is a paragraph of its own
after the footer, in every language, whether the shipped wording is sent or the shipped wording as the
merchant's editor holds it (the same source rendered in the sandbox)."""

from __future__ import annotations

import pytest

from connector.notify import email as notify_email
from connector.notify import templates
from connector.notify.languages import LANGUAGES

CUSTOMER_KINDS = sorted(k for k, spec in templates.KINDS.items() if spec.audience == templates.CUSTOMER)
PAGE = "https://connector.example/orders/o3-17.20500.abc"
LEADS = {"en": "Your order page", "nl": "Je bestelpagina"}


def text_part(kind: str, language: str, support_email: str, *, as_edited: bool) -> str:
    context = {**templates.sample(templates.KINDS[kind], language), "page_url": PAGE,
               "support_email": support_email}
    custom = templates.default_text(kind, language) if as_edited else None
    _, text, _ = notify_email.render(kind, context, language=language, custom=custom)
    return text


@pytest.mark.parametrize("as_edited", [False, True], ids=["shipped", "shipped-as-edited"])
@pytest.mark.parametrize("support_email", ["help@tea.example", ""], ids=["support", "no-support"])
@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_the_order_page_link_is_a_paragraph_of_its_own_after_the_footer(kind, language, support_email, as_edited):
    text = text_part(kind, language, support_email, as_edited=as_edited)
    lines = text.rstrip("\n").split("\n")
    link = [i for i, line in enumerate(lines) if PAGE in line]
    assert len(link) == 1, text
    at = link[0]
    assert lines[at].startswith(LEADS[language]) and lines[at].endswith(PAGE), lines[at]
    assert lines[at - 1] == "", text
    footer = lines[at - 2]
    assert footer.startswith(("Order #1001", "Bestelling #1001")), text
    assert footer.endswith(support_email or "Tea & Leaf Co."), footer


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_without_an_order_page_the_text_ends_with_the_footer(kind, language):
    context = {**templates.sample(templates.KINDS[kind], language), "page_url": ""}
    _, text, _ = notify_email.render(kind, context, language=language)
    assert text.rstrip("\n").split("\n")[-1].endswith("help@tea.example"), text
