"""messpace: a personal health record portal."""

from messpace.celery import app as celery_app

__all__ = ["celery_app"]
