"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "messpace.settings")

app = Celery("messpace")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's ``tasks`` module, and the packages inside an app that
# have tasks of their own.
app.autodiscover_tasks()
app.autodiscover_tasks(["records.lifecycle"])
