"""Consent pages: the patient's privacy pages (``privacy``) and what professionals
do to open a record (``professional``: declaring a care relationship, emergency access)."""
