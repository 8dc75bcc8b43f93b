"""Fail when a user-facing string has no Chinese translation, or a translation drops a placeholder.

Extracts the strings of a scratch copy of the source (so the committed .po is not touched), merges
them into a copy of locale/zh_Hans/LC_MESSAGES/django.po, and lists what is untranslated or fuzzy.
To fix: run `manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv
--ignore=node_modules --ignore=staticfiles` and translate the new entries.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

# %(name)s, %s, %d … and %% ; a stray "%" in English text also counts, as gettext reads it that way.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]")

ROOT = Path(__file__).resolve().parents[1]

with tempfile.TemporaryDirectory() as scratch:
    copy = Path(scratch)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in ("mendian", "templates", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "MENDIAN_VAR_DIR": str(copy / "var"), "DJANGO_SETTINGS_MODULE": "mendian.config.settings.base"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete", "-v0"],
        cwd=copy, env=env, check=True,
    )
    po = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    problems = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    problems += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    for entry in po.translated_entries():
        if "python-format" not in entry.flags:
            continue
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                problems.append(f"placeholders differ: {entry.msgid!r} → {text!r}")
    if problems:
        print("Strings without a Chinese translation:\n  " + "\n  ".join(problems))
        print(__doc__)
        sys.exit(1)
print(f"translations complete: {len(po.translated_entries())} strings")
