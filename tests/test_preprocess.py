from models.preprocess import normalize_text


def test_normalize_text__mentions_become_user():
    assert normalize_text("@Delta thanks @j_doe!") == "@user thanks @user!"


def test_normalize_text__urls_become_http():
    assert normalize_text("see https://t.co/abc123 and www.example.com/x now") == "see http and http now"


def test_normalize_text__html_unescaped_and_whitespace_tidied():
    assert normalize_text("  fish &amp; chips\n\n&lt;3  ") == "fish & chips <3"


def test_normalize_text__escaped_unicode_decoded():
    assert normalize_text("Day\\u2019s end") == "Day\u2019s end"


def test_normalize_text__email_is_not_a_mention():
    assert normalize_text("mail me at joe@example.com") == "mail me at joe@example.com"


def test_normalize_text__empty_and_idempotent():
    text = "@a RT http://x.y &amp;  ok "
    assert normalize_text("") == ""
    assert normalize_text(normalize_text(text)) == normalize_text(text)
