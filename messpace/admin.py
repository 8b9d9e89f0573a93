"""Admin helpers shared by the apps (this package is not an app: nothing registers here).

The admin shows identities and record states, never health content. Django's
delete confirmation lists every related row by its ``__str__``, and many rows
name their content (an entry's label, a timeline event's title), so a page
about deleting an account would show them: ``IdsOnlyDeletionMixin`` lists them
by kind and id instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.utils import NestedObjects, quote
from django.db import models, router
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst


def deleted_objects_by_id(
    objs: Any, request: HttpRequest, admin_site: AdminSite
) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
    """``django.contrib.admin.utils.get_deleted_objects``, each row named by its kind
    and id only (linked to its admin page where it has one)."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed: set[str] = set()

    def label(obj: models.Model) -> str:
        opts = obj._meta
        text = f"{capfirst(opts.verbose_name)} {obj.pk}"
        if not admin_site.is_registered(obj.__class__):
            return text
        if not admin_site.get_model_admin(obj.__class__).has_delete_permission(request, obj):
            perms_needed.add(str(opts.verbose_name))
        try:
            url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
            )
        except NoReverseMatch:
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    to_delete = collector.nested(label)
    protected = [label(obj) for obj in collector.protected]
    collected: dict[Any, Any] = collector.model_objs  # model class -> its rows
    model_count = {
        str(model._meta.verbose_name_plural): len(rows) for model, rows in collected.items()
    }
    return to_delete, model_count, perms_needed, protected


class IdsOnlyDeletionMixin:
    """A ModelAdmin whose delete confirmation names related rows by id, never by content."""

    admin_site: AdminSite

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        return deleted_objects_by_id(objs, request, self.admin_site)
