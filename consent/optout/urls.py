from django.urls import path
from django.views.generic import RedirectView

from consent.optout import views

# Mounted at the site's root: the addresses printed on the letters stay short.
urlpatterns = [
    path("opposition/", views.notice_answer, name="notice_answer"),
    # The support page's first address, in bookmarks and the operators' guide.
    path(
        "support/avis/",
        RedirectView.as_view(pattern_name="support_caller_notice", permanent=True),
    ),
    path("console/assistance/avis/", views.caller_notice, name="support_caller_notice"),
]

# Mounted under /console/ (namespace ``console-optout``): the admins' campaign pages.
console_patterns = [
    path("campagnes/", views.console_campaigns, name="campaigns"),
    path("campagnes/export.csv", views.console_campaigns_csv, name="campaigns_csv"),
    path("campagnes/<int:pk>/", views.console_campaign, name="campaign"),
    path(
        "campagnes/lots/<int:pk>/<str:part>/",
        views.console_batch_download,
        name="batch_download",
    ),
]
