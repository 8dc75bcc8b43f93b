import logging

from mendian.core.logging import RedactSecretsFilter, redact


def test_bearer_tokens_and_passwords_are_redacted():
    line = 'Authorization: Bearer md_abcdefghijklmnopqrstuvwxyz0123 {"password": "hunter22"}'
    cleaned = redact(line)
    assert "md_abcdefghijklmnopqrstuvwxyz0123" not in cleaned
    assert "hunter22" not in cleaned
    assert "[redacted]" in cleaned


def test_filter_rewrites_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("md_" + "x" * 40,), None)
    RedactSecretsFilter().filter(record)
    assert "x" * 40 not in record.getMessage()
