"""The quarantine review: who last opened a quarantined upload's contents in the
admin, when, and the reason they typed (kept on the upload, so erased with the
record; each opening is also an access-log row, without the reason).

Reversible (the three columns go).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_upload_once_per_depositor_content"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="upload",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="upload",
            name="review_reason",
            field=models.CharField(blank=True, max_length=500, verbose_name="motif du contrôle"),
        ),
    ]
