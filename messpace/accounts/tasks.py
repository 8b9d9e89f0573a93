from celery import shared_task

from messpace.accounts import figures


@shared_task(name="accounts.sign_in_days_purge")
def sign_in_days_purge() -> int:
    return figures.sign_in_days_purge()
