"""Every user-facing string has a Chinese translation (``make lint`` extracts new strings first)."""

from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_string_is_translated_to_chinese():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_placeholders_survive_translation():
    import re

    po = polib.pofile(str(PO))
    pattern = re.compile(r"%\(\w+\)s")
    for entry in po.translated_entries():
        strings = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in strings:
            assert sorted(pattern.findall(text)) == sorted(pattern.findall(entry.msgid)), entry.msgid


def test_chinese_is_the_default_and_compiled():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override("zh-hans"):
        assert translation.gettext("Stores") == "门店"
