# Answers carried forward from the previous cycle are checked again by an officer.

from django.db import migrations, models
from django.db.models import F, Q


def carried_answers_already_seen(apps, schema_editor):
    """An answer carried forward that was since edited (its version moved) or sent with its
    assessment has been looked at: it does not need checking again."""
    RequirementResponse = apps.get_model("accreditation", "RequirementResponse")
    RequirementResponse.objects.filter(carried_forward_from__isnull=False).filter(
        Q(version__gt=1) | ~Q(assessment__status="draft") | Q(assessment__submitted_at__isnull=False)
    ).update(checked_at=F("updated_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('accreditation', '0006_deferral_timestamps_on_the_clock'),
    ]

    operations = [
        migrations.AddField(
            model_name='requirementresponse',
            name='checked_at',
            field=models.DateTimeField(blank=True, help_text='When an officer confirmed or edited an answer carried forward (until then: check again).', null=True),
        ),
        migrations.AlterField(
            model_name='assessmentchange',
            name='action',
            field=models.CharField(choices=[('started', 'Self-assessment started'), ('response_saved', 'Answer saved'), ('evidence_added', 'Evidence added'), ('evidence_removed', 'Evidence removed'), ('progress_saved', 'Progress on an area of concern saved'), ('sign_off_requested', 'Chair asked to sign off'), ('answer_confirmed', 'Answer carried forward confirmed')], max_length=30),
        ),
        migrations.RunPython(carried_answers_already_seen, migrations.RunPython.noop),
    ]
