"""Default profession × item-kind matrix. Admins edit it afterwards in the admin site."""

from django.db import migrations

ALL = [
    "condition", "mental_health", "treatment", "hospitalisation", "handicap",
    "allergy", "family", "habit", "vaccination", "measure",
]
DEFAULTS = {
    "generaliste": ALL,
    "specialiste": ALL,
    "urgentiste": ALL,
    "sage_femme": ALL,
    "pharmacien": ["treatment", "allergy", "vaccination", "measure"],
    "infirmier": [
        "condition", "treatment", "hospitalisation", "handicap", "allergy", "habit",
        "vaccination", "measure",
    ],
    "kinesitherapeute": [
        "condition", "treatment", "hospitalisation", "handicap", "allergy", "habit", "measure",
    ],
    "chirurgien_dentiste": ["condition", "treatment", "hospitalisation", "allergy", "measure"],
    "orthophoniste": ["condition", "treatment", "handicap", "allergy"],
    "pedicure_podologue": ["condition", "treatment", "allergy", "measure"],
    "psychologue": ["condition", "mental_health", "treatment", "handicap", "family", "habit"],
    "dieteticien": ["condition", "treatment", "allergy", "habit", "measure"],
}


def forwards(apps, schema_editor):
    ProfessionVisibility = apps.get_model("consent", "ProfessionVisibility")
    rows = [
        ProfessionVisibility(profession=profession, item_kind=kind, visible=kind in visible)
        for profession, visible in DEFAULTS.items()
        for kind in ALL
    ]
    ProfessionVisibility.objects.bulk_create(rows, ignore_conflicts=True)


def backwards(apps, schema_editor):
    apps.get_model("consent", "ProfessionVisibility").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_gp_shares_blocks_matrix_emergency")]

    operations = [migrations.RunPython(forwards, backwards)]
