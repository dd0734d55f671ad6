"""The customer pages' words (connector/customer/copy.py): every language has every phrase, and the Dutch
pages say "je" throughout, never the formal "u" / "uw" (issue 18)."""

from __future__ import annotations

import re

import pytest

from connector.customer import copy

FORMAL = re.compile(r"\b(u|uw|uzelf|heeft u|kunt u|wilt u|bent u)\b", re.I)


@pytest.mark.parametrize("language", sorted(set(copy.TEXT) - {copy.DEFAULT}))
def test_every_language_has_every_phrase_with_the_same_blanks(language):
    english, other = copy.TEXT[copy.DEFAULT], copy.TEXT[language]
    assert set(other) == set(english), set(other) ^ set(english)
    for key, text in english.items():
        assert sorted(re.findall(r"\{\w+\}", other[key])) == sorted(re.findall(r"\{\w+\}", text)), key


@pytest.mark.parametrize("key", sorted(copy.TEXT["nl"]))
def test_the_dutch_words_are_informal(key):
    assert not FORMAL.search(copy.TEXT["nl"][key]), (key, copy.TEXT["nl"][key])


def test_the_dutch_history_says_we_mailed_je():
    assert copy.words("nl")["h_told"].format(subject="Bestelling #1001") == "We mailden je: Bestelling #1001"
