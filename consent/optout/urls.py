from django.urls import path
from django.views.generic import RedirectView

from consent.optout.views import console as console_views
from consent.optout.views import notices as views

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

# Mounted under /console/ (namespace ``console-optout``): the admins' pages.
console_patterns = [
    path("populations/", console_views.cohorts, name="cohorts"),
    path("populations/nouvelle/", console_views.cohort_new, name="cohort_new"),
    path("populations/<int:pk>/", console_views.cohort, name="cohort"),
    path("populations/<int:pk>/reprendre/", console_views.cohort_resume, name="cohort_resume"),
    path("campagnes/", console_views.campaigns, name="campaigns"),
    path("campagnes/nouvelle/", console_views.campaign_new, name="campaign_new"),
    path("campagnes/export.csv", console_views.campaigns_csv, name="campaigns_csv"),
    path("campagnes/<int:pk>/", console_views.campaign, name="campaign"),
    path("campagnes/<int:pk>/demarrer/", console_views.campaign_start, name="campaign_start"),
    path("campagnes/<int:pk>/retours/", console_views.campaign_returns, name="campaign_returns"),
    path(
        "campagnes/lots/<int:pk>/<str:part>/",
        console_views.batch_download,
        name="batch_download",
    ),
]
