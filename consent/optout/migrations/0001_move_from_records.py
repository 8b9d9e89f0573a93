"""The opt-out models, moved from ``records`` without touching their data.

State only: the tables exist already under their former names, which the
models keep (``db_table``); ``records.0012`` removed the models from that
app's state. A fresh database gets the tables from the ``records``
migrations before ``records.0012``.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('records', '0012_optout_models_move_to_consent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CohortImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('filename', models.CharField(max_length=150, verbose_name='nom du fichier')),
                        ('encoding', models.CharField(blank=True, max_length=16, verbose_name='encodage d’origine')),
                        ('size', models.PositiveBigIntegerField(default=0, verbose_name='taille (octets)')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='déposé le')),
                        ('state', models.CharField(choices=[('queued', 'En attente'), ('running', 'En cours'), ('done', 'Terminé'), ('failed', 'Échec')], default='queued', max_length=16, verbose_name='état')),
                        ('total_rows', models.PositiveIntegerField(default=0, verbose_name='lignes')),
                        ('processed_rows', models.PositiveIntegerField(default=0, verbose_name='lignes traitées')),
                        ('created_count', models.PositiveIntegerField(default=0, verbose_name='dossiers créés')),
                        ('unchanged_count', models.PositiveIntegerField(default=0, verbose_name='déjà connus')),
                        ('duplicate_count', models.PositiveIntegerField(default=0, verbose_name='doublons dans le fichier')),
                        ('error_count', models.PositiveIntegerField(default=0, verbose_name='lignes refusées')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='commencé le')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminé le')),
                        ('blob', models.CharField(blank=True, max_length=200)),
                        ('wrapped_key', models.BinaryField()),
                        ('key_id', models.CharField(max_length=32)),
                        ('failure', models.TextField(blank=True, verbose_name='motif de l’échec')),
                        ('by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='importé par')),
                    ],
                    options={
                        'verbose_name': 'import de population',
                        'verbose_name_plural': 'imports de population',
                        'db_table': 'records_cohortimport',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Campaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='nom')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('state', models.CharField(choices=[('draft', 'En préparation'), ('running', 'En cours d’envoi'), ('done', 'Envoyée')], default='draft', max_length=16, verbose_name='état')),
                        ('postcode_prefixes', models.CharField(blank=True, help_text='Séparés par des virgules, par exemple « 75, 92, 93 » ; vide : tous.', max_length=200, verbose_name='codes postaux (débuts)')),
                        ('birth_year_from', models.PositiveIntegerField(blank=True, null=True, verbose_name='né(e) à partir de')),
                        ('birth_year_to', models.PositiveIntegerField(blank=True, null=True, verbose_name='né(e) jusqu’en')),
                        ('delay_days', models.PositiveIntegerField(default=42, verbose_name='délai avant ouverture (jours)')),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('wrapped_key', models.BinaryField(default=b'')),
                        ('key_id', models.CharField(blank=True, max_length=32)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('cohort_import', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='optout.cohortimport', verbose_name='import')),
                    ],
                    options={
                        'verbose_name': 'campagne d’information',
                        'verbose_name_plural': 'campagnes d’information',
                        'db_table': 'records_campaign',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='CohortImportError',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('line', models.PositiveIntegerField(verbose_name='ligne')),
                        ('nir_masked', models.CharField(blank=True, max_length=20, verbose_name='NIR (masqué)')),
                        ('message', models.TextField(verbose_name='motif')),
                        ('cohort_import', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='errors', to='optout.cohortimport')),
                    ],
                    options={
                        'verbose_name': 'ligne refusée',
                        'verbose_name_plural': 'lignes refusées',
                        'db_table': 'records_cohortimporterror',
                        'ordering': ['cohort_import', 'line'],
                    },
                ),
                migrations.CreateModel(
                    name='CohortMember',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created', models.BooleanField(default=False)),
                        ('cohort_import', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='members', to='optout.cohortimport')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cohort_memberships', to='records.patient')),
                    ],
                    options={
                        'verbose_name': 'personne importée',
                        'verbose_name_plural': 'personnes importées',
                        'db_table': 'records_cohortmember',
                    },
                ),
                migrations.CreateModel(
                    name='GuardianToInform',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('guardian_nir', models.CharField(max_length=15, verbose_name='NIR du représentant légal')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('cohort_import', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='optout.cohortimport')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='guardians_to_inform', to='records.patient')),
                    ],
                    options={
                        'verbose_name': 'représentant légal à informer',
                        'verbose_name_plural': 'représentants légaux à informer',
                        'db_table': 'records_guardiantoinform',
                    },
                ),
                migrations.CreateModel(
                    name='LetterBatch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('count', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('pdf_blob', models.CharField(max_length=200)),
                        ('manifest_blob', models.CharField(max_length=200)),
                        ('wrapped_key', models.BinaryField()),
                        ('key_id', models.CharField(max_length=32)),
                        ('purged_at', models.DateTimeField(blank=True, null=True)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='letter_batches', to='optout.campaign')),
                    ],
                    options={
                        'verbose_name': 'lot de courriers',
                        'verbose_name_plural': 'lots de courriers',
                        'db_table': 'records_letterbatch',
                        'ordering': ['campaign_id', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='Notice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reference', models.CharField(blank=True, max_length=32)),
                        ('code_hash', models.CharField(blank=True, max_length=64)),
                        ('code_sealed', models.BinaryField(default=b'')),
                        ('issued_at', models.DateTimeField(blank=True, null=True)),
                        ('opens_at', models.DateTimeField(blank=True, null=True)),
                        ('outcome', models.CharField(blank=True, choices=[('opposed', 'Opposition'), ('activated', 'Ouverture anticipée'), ('opened', 'Ouverture automatique')], max_length=12)),
                        ('outcome_at', models.DateTimeField(blank=True, null=True)),
                        ('outcome_by_support', models.BooleanField(default=False)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='optout.campaign')),
                        ('record', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='notice', to='records.record')),
                    ],
                    options={
                        'verbose_name': 'avis d’information',
                        'verbose_name_plural': 'avis d’information',
                        'db_table': 'records_notice',
                    },
                ),
                migrations.CreateModel(
                    name='NoticeDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('recipient_key', models.CharField(max_length=16)),
                        ('recipient_name', models.CharField(max_length=200)),
                        ('channel', models.CharField(choices=[('email', 'Courriel'), ('letter', 'Courrier')], max_length=8)),
                        ('state', models.CharField(choices=[('pending', 'À envoyer'), ('sending', 'En cours d’envoi'), ('sent', 'Envoyé'), ('printed', 'Dans un lot d’impression'), ('bounced', 'Non distribué'), ('cancelled', 'Annulé (avis déjà répondu)')], default='pending', max_length=12)),
                        ('email', models.EmailField(blank=True, max_length=254)),
                        ('address_lines', models.JSONField(blank=True, default=list)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('bounced_at', models.DateTimeField(blank=True, null=True)),
                        ('letter_batch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='optout.letterbatch')),
                        ('notice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='optout.notice')),
                    ],
                    options={
                        'verbose_name': 'envoi d’un avis',
                        'verbose_name_plural': 'envois des avis',
                        'db_table': 'records_noticedelivery',
                    },
                ),
                migrations.AddConstraint(
                    model_name='cohortimport',
                    constraint=models.CheckConstraint(condition=models.Q(('processed_rows__lte', models.F('total_rows'))), name='cohort_import_progress_within_total'),
                ),
                migrations.AddConstraint(
                    model_name='campaign',
                    constraint=models.CheckConstraint(condition=models.Q(('delay_days__gte', 1)), name='campaign_delay_positive'),
                ),
                migrations.AddConstraint(
                    model_name='cohortimporterror',
                    constraint=models.UniqueConstraint(fields=('cohort_import', 'line'), name='cohort_error_once_per_line'),
                ),
                migrations.AddConstraint(
                    model_name='cohortmember',
                    constraint=models.UniqueConstraint(fields=('cohort_import', 'patient'), name='cohort_member_once_per_import'),
                ),
                migrations.AddConstraint(
                    model_name='guardiantoinform',
                    constraint=models.UniqueConstraint(fields=('patient', 'guardian_nir'), name='guardian_to_inform_once'),
                ),
                migrations.AddConstraint(
                    model_name='guardiantoinform',
                    constraint=models.CheckConstraint(condition=models.Q(('guardian_nir__regex', '^[12][0-9]{4}(2A|2B|[0-9]{2})[0-9]{8}$')), name='guardian_to_inform_nir_shape'),
                ),
                migrations.AddConstraint(
                    model_name='letterbatch',
                    constraint=models.UniqueConstraint(fields=('campaign', 'number'), name='letter_batch_number'),
                ),
                migrations.AddIndex(
                    model_name='notice',
                    index=models.Index(fields=['campaign', 'issued_at'], name='records_not_campaig_c4058a_idx'),
                ),
                migrations.AddIndex(
                    model_name='notice',
                    index=models.Index(fields=['reference'], name='notice_reference_idx'),
                ),
                migrations.AddIndex(
                    model_name='notice',
                    index=models.Index(condition=models.Q(('issued_at__isnull', False)), fields=['opens_at'], name='notice_opens_idx'),
                ),
                migrations.AddConstraint(
                    model_name='notice',
                    constraint=models.UniqueConstraint(condition=models.Q(('code_hash', ''), _negated=True), fields=('code_hash',), name='notice_code_unique'),
                ),
                migrations.AddIndex(
                    model_name='noticedelivery',
                    index=models.Index(fields=['channel', 'state'], name='records_not_channel_b4c7dc_idx'),
                ),
                migrations.AddIndex(
                    model_name='noticedelivery',
                    index=models.Index(django.db.models.functions.text.Lower('email'), name='delivery_email_lower_idx'),
                ),
                migrations.AddConstraint(
                    model_name='noticedelivery',
                    constraint=models.UniqueConstraint(fields=('notice', 'recipient_key', 'channel'), name='delivery_once_per_channel'),
                ),
            ],
            database_operations=[],
        ),
    ]
