from django.contrib.admin.apps import AdminConfig


class SuperuserAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the superusers-only site as its default site."""

    default_site = "messpace.adminsite.site.SuperuserAdminSite"
