"""History of an experience's own rows, so that restoring a deleted experience brings back everything.

Its countries, fundings and participants have their own history (registered in translation.py). When they are deleted
because their experience is (a cascade), their last record says so (DELETED_WITH_EXPERIENCE), which tells
them apart from rows a partner removed earlier; the sectors are kept with each version of the experience
(m2m history). restore_rows() brings them back after the experience itself is restored."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .models import Experience, ExperienceCountry, Funding, Participant

DELETED_WITH_EXPERIENCE = "deleted with its experience"


def _deleting_experiences(origin):
    return isinstance(origin, Experience) or getattr(origin, "model", None) is Experience


@receiver(pre_delete, sender=ExperienceCountry)
@receiver(pre_delete, sender=Funding)
@receiver(pre_delete, sender=Participant)
def mark_deleted_with_experience(sender, instance, origin=None, **kwargs):
    if _deleting_experiences(origin):
        instance._change_reason = DELETED_WITH_EXPERIENCE


def restore_rows(experience, version):
    """After `experience` was brought back from its history record `version`: its sectors as in that
    version (or, for the deletion record, as just before it), its countries, fundings and participants as they were when
    it was deleted. Each row keeps its id and gets a history record of its own; the experience keeps its
    creation date (saving it anew set it to now)."""
    Experience.objects.filter(pk=experience.pk).update(created=version.created)
    deleted = experience.history.filter(history_type="-").order_by("-history_date", "-history_id").first()
    kept = version
    if version.history_type == "-":
        kept = experience.history.filter(history_date__lt=version.history_date).exclude(history_type="-").first()
    if kept is not None:
        experience.sectors.set([row.sector_id for row in kept.sectors.all()])
    if deleted is None:
        return
    for model in (ExperienceCountry, Funding, Participant):
        last_records = {}
        records = model.history.filter(experience_id=experience.pk, history_date__lte=deleted.history_date)
        for record in records.order_by("history_date", "history_id"):
            last_records[record.id] = record
        for record in last_records.values():
            if record.history_type == "-" and record.history_change_reason == DELETED_WITH_EXPERIENCE:
                record.instance.save()
