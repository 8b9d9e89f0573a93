"""The moved models' content types follow them from ``records`` to ``optout``.

So that the admins' permissions on them (``view_campaign``…) and the admin's
history of changes keep pointing at the same models. A content type already
made for ``optout`` (on a database where post_migrate ran in between) wins,
and the stale ``records`` one is left for ``remove_stale_contenttypes``.
"""

from django.db import migrations

MODELS = (
    "campaign",
    "cohortimport",
    "cohortimporterror",
    "cohortmember",
    "guardiantoinform",
    "letterbatch",
    "notice",
    "noticedelivery",
)


def _move(apps, source: str, target: str) -> None:  # type: ignore[no-untyped-def]
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(
        content_type.objects.filter(app_label=target, model__in=MODELS).values_list(
            "model", flat=True
        )
    )
    content_type.objects.filter(app_label=source, model__in=set(MODELS) - taken).update(
        app_label=target
    )


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, "records", "optout")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, "optout", "records")


class Migration(migrations.Migration):
    dependencies = [
        ("optout", "0001_move_from_records"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
