"""The opt-out models move to the app ``optout`` (``consent.optout``), state only.

Their tables keep their names (``records_campaign``…, set as ``db_table`` on
the moved models), so no row moves and nothing is locked: this migration
removes them from this app's state, ``optout.0001_move_from_records`` adds
them to that app's, and the database is left as it is.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0011_letter_batch_retention'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='notice',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='letterbatch',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='cohortimport',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='cohortimporterror',
                    name='cohort_import',
                ),
                migrations.RemoveField(
                    model_name='guardiantoinform',
                    name='cohort_import',
                ),
                migrations.RemoveField(
                    model_name='cohortmember',
                    name='cohort_import',
                ),
                migrations.RemoveField(
                    model_name='cohortmember',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='guardiantoinform',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='noticedelivery',
                    name='letter_batch',
                ),
                migrations.RemoveField(
                    model_name='notice',
                    name='record',
                ),
                migrations.RemoveField(
                    model_name='noticedelivery',
                    name='notice',
                ),
                migrations.DeleteModel(
                    name='Campaign',
                ),
                migrations.DeleteModel(
                    name='CohortImportError',
                ),
                migrations.DeleteModel(
                    name='CohortImport',
                ),
                migrations.DeleteModel(
                    name='CohortMember',
                ),
                migrations.DeleteModel(
                    name='GuardianToInform',
                ),
                migrations.DeleteModel(
                    name='LetterBatch',
                ),
                migrations.DeleteModel(
                    name='Notice',
                ),
                migrations.DeleteModel(
                    name='NoticeDelivery',
                ),
            ],
            database_operations=[],
        ),
    ]
