from typing import Any

from django.conf import settings
from django.http import HttpRequest

CARER_SESSION_KEY = "messpace_is_carer"


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name and the current user's roles, for the header and menus.

    ``is_carer`` comes from the session (set at login and on accepting an
    invitation), so no page pays a query for it.
    """
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    session = getattr(request, "session", None)
    return {
        "SITE_NAME": settings.MESSPACE_SITE_NAME,
        "user_roles": user.roles if authenticated else [],  # type: ignore[union-attr]
        "is_carer": bool(authenticated and session is not None and session.get(CARER_SESSION_KEY)),
    }
