from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name and the current user's roles, for the header and menus."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.MESSPACE_SITE_NAME,
        "user_roles": user.roles if user is not None and user.is_authenticated else [],
    }
