"""Languages: French by default, English on request, and a complete English catalogue.

The source strings are French; ``locale/en`` holds their English translation.
See ``locale/README.md`` for how to update it.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"
HTML_LANG = re.compile(r"<html\b[^>]*\blang=\"([a-zA-Z-]+)\"")


# --- The login page in both languages ------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_french_by_default(client: Client) -> None:
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Connexion à messpace" in html
    assert HTML_LANG.search(html)[1] == "fr"  # type: ignore[index]


@pytest.mark.django_db
def test_choosing_english_translates_the_login_page(client: Client) -> None:
    login_url = reverse("accounts:login")

    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    response = client.get(login_url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign in to messpace" in html
    assert "Connexion à messpace" not in html
    assert HTML_LANG.search(html)[1] == "en"  # type: ignore[index]


@pytest.mark.django_db
def test_french_can_be_chosen_again(client: Client) -> None:
    login_url = reverse("accounts:login")
    client.post(reverse("set_language"), {"language": "en", "next": login_url})

    client.post(reverse("set_language"), {"language": "fr", "next": login_url})
    html = client.get(login_url).content.decode()

    assert "Connexion à messpace" in html
    assert HTML_LANG.search(html)[1] == "fr"  # type: ignore[index]


# --- The catalogue ----------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k.startswith("msgstr")}


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: one Entry per message, header and obsolete ones left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            current, key = None, ""
            continue
        if line.startswith("#"):
            if current is None or current.fields:
                current = Entry(line=number)
                entries.append(current)
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert current is not None and key, f"{path}:{number}: stray continuation line"
            current.fields[key] += ast.literal_eval(line)
            continue
        keyword, _, literal = line.partition(" ")
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        key = keyword
        current.fields[key] = ast.literal_eval(literal)
    return [e for e in entries if e.msgid]


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    entries = parse_po(PO_FILE)
    assert len(entries) > 100, "the English catalogue looks truncated"
    return entries


def test_every_message_has_an_english_translation(po_entries: list[Entry]) -> None:
    untranslated = [
        f"{PO_FILE.name}:{e.line}: {e.msgid!r}"
        for e in po_entries
        if not e.translations or not all(e.translations.values())
    ]
    assert not untranslated, "Untranslated messages:\n" + "\n".join(untranslated)


def test_no_translation_is_fuzzy(po_entries: list[Entry]) -> None:
    fuzzy = [f"{PO_FILE.name}:{e.line}: {e.msgid!r}" for e in po_entries if "fuzzy" in e.flags]
    assert not fuzzy, "Fuzzy messages (check, then drop the flag):\n" + "\n".join(fuzzy)
    header = PO_FILE.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    assert "fuzzy" not in header, "the catalogue header is still marked fuzzy"


def test_translations_keep_every_placeholder(po_entries: list[Entry]) -> None:
    placeholder = re.compile(r"%\(\w+\)[sdfr]")
    wrong = []
    for e in po_entries:
        expected = sorted(placeholder.findall(e.msgid))
        for key, text in e.translations.items():
            if sorted(placeholder.findall(text)) != expected:
                wrong.append(f"{PO_FILE.name}:{e.line}: {key} of {e.msgid!r}")
    assert not wrong, "Placeholders differ:\n" + "\n".join(wrong)


def test_compiled_catalogue_matches_the_po_file(po_entries: list[Entry]) -> None:
    """The .mo must be recompiled after each change: `manage.py compilemessages`."""
    assert MO_FILE.exists(), "run `manage.py compilemessages --ignore=.venv`"
    with MO_FILE.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)

    stale = []
    for e in po_entries:
        context = e.fields.get("msgctxt")
        if "msgid_plural" in e.fields:
            for n, key in ((1, "msgstr[0]"), (2, "msgstr[1]")):
                plural = e.fields["msgid_plural"]
                got = (
                    compiled.npgettext(context, e.msgid, plural, n)
                    if context is not None
                    else compiled.ngettext(e.msgid, plural, n)
                )
                if got != e.fields.get(key):
                    stale.append(f"{PO_FILE.name}:{e.line}: {key} of {e.msgid!r}")
        elif context is not None:
            if compiled.pgettext(context, e.msgid) != e.fields.get("msgstr"):
                stale.append(f"{PO_FILE.name}:{e.line}: {e.msgid!r}")
        elif compiled.gettext(e.msgid) != e.fields.get("msgstr"):
            stale.append(f"{PO_FILE.name}:{e.line}: {e.msgid!r}")
    assert not stale, "django.mo is out of date, recompile it:\n" + "\n".join(stale)


def test_an_english_browser_still_gets_french_until_it_chooses(client) -> None:
    """GIVEN a browser that prefers English WHEN it opens the login page without
    having chosen a language THEN the page is French (French first)."""
    from django.urls import reverse

    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert '<html lang="fr"' in response.content.decode()
    assert "Connexion à messpace" in response.content.decode()
