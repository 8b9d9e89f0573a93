"""Deduplication per depositor: the same bytes are one deposit for the same patient
*and the same depositor*.

Per patient alone, a professional who sent the bytes of a document they may not
see (hidden, outside their profession's matrix, kept from a minor's guardians)
was answered "already deposited", which told them that document exists. Their
deposit is now their own upload; an identical one they may see is still reported
(``documents.services.document_deposit``).

Reversible; going back fails if two depositors have since deposited the same
bytes for one patient (the old constraint cannot hold then): discard one first.
"""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_search_terms_gin_index")]

    operations = [
        migrations.RemoveConstraint(
            model_name="upload",
            name="upload_once_per_patient_content",
        ),
        migrations.AddConstraint(
            model_name="upload",
            constraint=models.UniqueConstraint(
                condition=~Q(state="deleted"),
                fields=("patient", "depositor", "sha256"),
                name="upload_once_per_depositor_content",
            ),
        ),
    ]
