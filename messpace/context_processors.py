from typing import Any

from django.conf import settings
from django.http import HttpRequest

CARER_SESSION_KEY = "messpace_is_carer"
GUARDIAN_SESSION_KEY = "messpace_is_guardian"
# Set while a guardian acts in a child's record: the child's patient id and name.
ACTING_FOR_SESSION_KEY = "messpace_acting_for"
ACTING_FOR_NAME_SESSION_KEY = "messpace_acting_for_name"


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name and the current user's roles, for the header and menus.

    ``is_carer`` and ``is_guardian`` come from the session (set at login, on
    accepting an invitation and on visiting the lists), and so does the name of
    the child a guardian acts for: no page pays a query for them.
    """
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    session = getattr(request, "session", None)
    return {
        "SITE_NAME": settings.MESSPACE_SITE_NAME,
        "user_roles": user.roles if authenticated else [],  # type: ignore[union-attr]
        "is_carer": bool(authenticated and session is not None and session.get(CARER_SESSION_KEY)),
        "is_guardian": bool(
            authenticated and session is not None and session.get(GUARDIAN_SESSION_KEY)
        ),
        "acting_for_name": (
            session.get(ACTING_FOR_NAME_SESSION_KEY, "")
            if authenticated and session is not None and session.get(ACTING_FOR_SESSION_KEY)
            else ""
        ),
    }
