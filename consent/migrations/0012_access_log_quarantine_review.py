"""A basis for the access log: an admin's quarantine review of an upload
("Contrôle d’un dépôt en quarantaine"). Choices only, no change to the table;
reversible."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("consent", "0011_guardian_grants_and_declared_care")]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="basis",
            field=models.CharField(
                choices=[
                    ("care", "Relation de soins"),
                    ("care_declared", "Relation de soins déclarée par le professionnel"),
                    ("gp", "Médecin traitant"),
                    ("share", "Partage accordé par le patient"),
                    ("emergency", "Accès en urgence"),
                    ("guardian", "Représentant légal"),
                    ("carer", "Aidant"),
                    ("support", "Assistance"),
                    ("holder", "Titulaire du dossier"),
                    ("quarantine", "Contrôle d’un dépôt en quarantaine"),
                ],
                max_length=16,
            ),
        ),
    ]
