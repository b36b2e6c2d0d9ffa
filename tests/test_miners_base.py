from __future__ import annotations

from miners.base import clean_text, match_alias
from ugcminer.config import BrandConfig

BRAND = BrandConfig(name="Apple", aliases=["iPhone", "OS X"], exclude=["apple pie", "apple cider"])


def test_match_alias__whole_words_case_insensitive() -> None:
    assert match_alias(BRAND, "My IPHONE died") == "iPhone"
    assert match_alias(BRAND, None, "upgraded to os x today") == "OS X"
    assert match_alias(BRAND, "pineapple phones") is None


def test_match_alias__exclusions_drop_false_matches() -> None:
    assert match_alias(BRAND, "Best apple pie recipe") is None
    assert match_alias(BRAND, "Apple support was slow") == "Apple"


def test_match_alias__a_link_is_not_a_mention() -> None:
    google = BrandConfig(name="Google", aliases=["Android"])
    guide = "My [amp cheat sheet](https://docs.google.com/spreadsheet/ccc?key=0Av) and www.google.com/maps/x"
    assert match_alias(google, "[GUIDE] DACs and Amps", guide) is None
    assert match_alias(google, "Asked Google support", guide) == "Google"
    assert match_alias(google, "see google.com for help") == "Google"  # a name in plain words still counts


def test_clean_text__strips_html_controls_and_surrogates() -> None:
    assert clean_text("<b>hi</b> &amp; bye<br>", strip_html=True) == "hi & bye"
    assert clean_text("a\x00b\x1fc\ud800d") == "abc?d"
    assert clean_text(None) == "" and clean_text(42) == "42"
    assert len(clean_text("x" * 100_000)) == 20_000


def test_clean_text__keeps_script_text_for_the_report_to_escape() -> None:
    assert clean_text("<script>alert(1)</script>") == "<script>alert(1)</script>"
