from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    TimelineEvent = apps.get_model("records", "TimelineEvent")
    Condition = apps.get_model("records", "Condition")
    TimelineEvent.objects.filter(visibility_kind="").update(visibility_kind=F("kind"))
    mental = Condition.objects.filter(icd10_code__istartswith="F").values("pk")
    TimelineEvent.objects.filter(kind="condition", source_id__in=mental).update(
        visibility_kind="mental_health"
    )


def backwards(apps, schema_editor):
    TimelineEvent = apps.get_model("records", "TimelineEvent")
    TimelineEvent.objects.update(visibility_kind="")


class Migration(migrations.Migration):
    dependencies = [("records", "0002_item_visibility_flags")]

    operations = [migrations.RunPython(forwards, backwards)]
