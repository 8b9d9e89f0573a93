"""French grammar for names and people, in one place.

Elision ("le dossier d’Emma", not "de Emma") and agreement ("née le" for a
woman) depend on the words, not on the sentence. Every sentence that puts a
person's name after "de", or says when someone was born, goes through these
helpers, whose pieces are translatable (English drops the "de" entirely).
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import npgettext, pgettext

# Vowels once accents are removed. First names beginning with H are taken as
# "h muet" (d’Hélène, d’Hugo), the usage for names in everyday French.
_ELIDING = frozenset("aeiouyh")


def elides(word: str) -> bool:
    """Whether "de" and "le" elide before ``word`` (it begins with a vowel or h)."""
    stripped = word.lstrip(" \u00a0\"'«")
    if not stripped:
        return False
    base = unicodedata.normalize("NFKD", stripped[0])[0].lower()
    return base in _ELIDING


def of_name(name: str) -> str:
    """ "de Paul" or "d’Emma": the name with its preposition, elided where French elides."""
    if elides(name):
        return pgettext("« de » élidé devant un nom", "d’%(name)s") % {"name": name}
    return pgettext("« de » devant un nom", "de %(name)s") % {"name": name}


def born(sex: str) -> str:
    """ "né", "née" (sex ``F``) or "né(e)" when the sex is not known."""
    if sex == "F":
        return pgettext("naissance, au féminin", "née")
    if sex == "M":
        return pgettext("naissance, au masculin", "né")
    return pgettext("naissance, sexe inconnu", "né(e)")


def years_old(age: int) -> str:
    """ "moins d’un an", "1 an", "35 ans"."""
    if age < 1:
        return pgettext("âge", "moins d’un an")
    return npgettext("âge", "%(age)d an", "%(age)d ans", age) % {"age": age}
