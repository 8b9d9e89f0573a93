"""The Django admin, for technical superusers only.

Admins and support agents work in the console (``messpace.console``); the
Django admin stays for the technical team (``is_superuser``): reading rows,
fixing what no console page covers. Anyone else who reaches ``/admin/`` is
sent to their console home (or to the login page when signed out).
"""
