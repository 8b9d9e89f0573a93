from celery import shared_task

from messpace.statistics import services


@shared_task(name="statistics.figures_refresh")
def figures_refresh() -> int:
    return services.figures_refresh()
