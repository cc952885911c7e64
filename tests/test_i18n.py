"""The one table of figure strings: every key in every language, and errors for missing ones."""

from __future__ import annotations

import string

import pytest

from sim.figures.i18n import LANGUAGES, STRINGS, t


def test_languages_are_the_four_of_the_region() -> None:
    assert set(LANGUAGES) == {"en", "fr", "nl", "de"}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_all_four_languages_with_the_same_fields(key: str) -> None:
    entry = STRINGS[key]
    assert set(entry) == set(LANGUAGES), f"{key} has {sorted(entry)}"
    fields = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f}
              for lang, text in entry.items()}
    assert all(text.strip() for text in entry.values())
    assert all(f == fields["en"] for f in fields.values()), f"{key}: {fields}"


def test_titles_are_translated_not_copied() -> None:
    titles = [k for k in STRINGS if k.endswith(".title")]
    assert titles
    for key in titles:
        assert len({STRINGS[key][lang] for lang in LANGUAGES}) == 4, key


def test_t_formats_fields() -> None:
    assert t("cdf.panel", "fr", country="BE", n=12) == "Appels en BE (n = 12)"
    assert t("cdf.title", "de") == STRINGS["cdf.title"]["de"]


def test_missing_key_or_language_is_an_error() -> None:
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        t("no.such.key", "en")
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        t("cdf.title", "es")


def test_every_class_of_call_has_a_label() -> None:
    from sim.model.norms import NORM_CLASSES

    assert {k.removeprefix("class.") for k in STRINGS if k.startswith("class.")} == set(NORM_CLASSES)
