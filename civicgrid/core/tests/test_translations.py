"""Every text a user can see is translated into zh-hans, and the compiled catalogue is current."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
KEYWORDS = [
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext:1,2",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "pgettext_lazy:1c,2",
]


def source_catalogue(tmp_path: Path) -> Path:
    """Extract msgids the way makemessages does: xgettext on Python files and templatized templates."""
    files = [p for p in ROOT.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    for template in ROOT.rglob("templates/**/*.html"):
        out = tmp_path / (str(template.relative_to(ROOT)).replace("/", "__") + ".py")
        out.write_text(
            templatize(template.read_text(encoding="utf-8"), origin=str(template)), encoding="utf-8"
        )
        files.append(out)
    pot = tmp_path / "messages.pot"
    args = ["xgettext", "--language=Python", "--from-code=UTF-8", "--no-wrap", "-o", str(pot)]
    args += [f"--keyword={k}" for k in KEYWORDS]
    subprocess.run([*args, *map(str, files)], check=True, capture_output=True)
    return pot


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_it_translates_every_message_into_chinese(tmp_path):
    # msgcmp counts untranslated and fuzzy entries of the .po file as missing.
    result = subprocess.run(
        ["msgcmp", str(PO), str(source_catalogue(tmp_path))], capture_output=True, text=True
    )
    assert result.returncode == 0, "untranslated (run `make messages`, then translate):\n" + result.stderr


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
def test_it_ships_a_compiled_catalogue_matching_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages`"
