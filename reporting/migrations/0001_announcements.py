"""What was announced for each cycle, kept as announced (reporting.models)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accreditation', '0003_lsp_drafting_history_and_versions'),
        ('partnerships', '0002_recomputerequest_moved_to_funding'),
    ]

    operations = [
        migrations.CreateModel(
            name='Announcement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('announced_on', models.DateField(help_text="The cycle's announcement date when it was taken.")),
                ('recorded_at', models.DateTimeField(help_text="When the record was taken (the service's clock).")),
                ('fund_code', models.CharField(help_text='The fund whose allocations it states.', max_length=10)),
                ('year_label', models.CharField(help_text='The financial year of those allocations.', max_length=20)),
                ('partnerships', models.PositiveIntegerField()),
                ('accredited', models.PositiveIntegerField()),
                ('deferred', models.PositiveIntegerField()),
                ('undecided', models.PositiveIntegerField()),
                ('allocation_pence', models.BigIntegerField(help_text="The fund's total for the year.")),
                ('released_pence', models.BigIntegerField(help_text='Released by the decisions announced.')),
                ('held_pence', models.BigIntegerField(help_text='Held until a decision or a review.')),
                ('answer', models.TextField(help_text="The written answer's text, as published.")),
                ('cycle', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='announcement', to='accreditation.cycle')),
            ],
            options={
                'ordering': ['-announced_on'],
            },
        ),
        migrations.CreateModel(
            name='AnnouncedDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(help_text='Order in the written answer.')),
                ('region', models.CharField(max_length=60)),
                ('government_office', models.CharField(max_length=100)),
                ('authority', models.CharField(max_length=100)),
                ('gss_code', models.CharField(blank=True, max_length=9)),
                ('partnership_name', models.CharField(max_length=150)),
                ('status', models.CharField(choices=[('undecided', 'Not yet decided'), ('accredited', 'Accredited'), ('deferred', 'Deferred')], max_length=20)),
                ('review_date', models.DateField(blank=True, null=True)),
                ('allocation_pence', models.BigIntegerField(blank=True, null=True)),
                ('released_pence', models.BigIntegerField(blank=True, null=True)),
                ('held_pence', models.BigIntegerField(blank=True, null=True)),
                ('provenance', models.CharField(blank=True, max_length=20)),
                ('source', models.CharField(blank=True, max_length=40)),
                ('assessment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accreditation.selfassessment')),
                ('last_decision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accreditation.decision')),
                ('partnership', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partnerships.partnership')),
                ('announcement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='reporting.announcement')),
            ],
            options={
                'ordering': ['announcement', 'position'],
                'constraints': [models.UniqueConstraint(fields=('announcement', 'partnership'), name='announced_once_per_partnership'), models.UniqueConstraint(fields=('announcement', 'position'), name='announced_position_unique')],
            },
        ),
    ]
