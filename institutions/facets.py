"""The facet values of every published organisation (model FacetValue), kept in step with the data.

A facet value says "this organisation has this value for this criterion": its country, its kind, the
sectors and categories of its competences, the countries, sectors, categories, donors and roles of its
experiences. `facet_values()` is the one place that says where each one comes from; the search criteria and
their counts (directory/criteria.py) read only the FacetValue table.

When data changes, the organisations concerned get their values re-read at once, in the same transaction
as the change (so a search never sees an experience without its countries, and a rolled-back edit leaves
nothing behind): model signals, below. Writes that send no signals (bulk_create, QuerySet.update: the
import and generate_directory) call `refresh_facet_values()` themselves, `rebuild_facet_values()` for all.
On PostgreSQL the values' bitmaps (institutions/bitmaps.py) change with them, in the same transaction.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from experiences.models import Experience, ExperienceCountry, Funding

from .bitmaps import rebuild_bitmaps, update_bitmaps
from .models import Competence, FacetValue, Organisation, Sector

BATCH = 2000  # organisations re-read at once by a full rebuild (memory stays flat at any size)


def facet_values(organisations):
    """(organisation id, facet, value) of these organisations (a queryset of published ones), each once;
    every one has ("published", "yes"), so the published organisations are a set of their own."""
    of_experience = {"experience__organisation__in": organisations}
    found = set()
    for pk, country, kind in organisations.values_list("pk", "country", "kind"):
        found |= {(pk, FacetValue.PUBLISHED, "yes"), (pk, "country", country), (pk, "kind", kind)}
    for pk, code, category in Competence.objects.filter(organisation__in=organisations).values_list(
        "organisation_id", "sector__code", "sector__category__code"
    ):
        found |= {(pk, "sector", code), (pk, "sector_category", category)}
    for pk, role in Experience.objects.filter(organisation__in=organisations).values_list("organisation_id", "role"):
        found.add((pk, "role", role))
    for pk, country in ExperienceCountry.objects.filter(**of_experience).values_list(
        "experience__organisation_id", "country"
    ):
        found.add((pk, "worked_in", country))
    for pk, code, category in Experience.sectors.through.objects.filter(**of_experience).values_list(
        "experience__organisation_id", "sector__code", "sector__category__code"
    ):
        found |= {(pk, "experience_sector", code), (pk, "experience_sector_category", category)}
    for pk, donor in Funding.objects.filter(**of_experience).values_list("experience__organisation_id", "donor_id"):
        found.add((pk, "donor", str(donor)))
    return {row for row in found if row[2]}


def refresh_facet_values(organisation_ids, using="default", bitmaps=True):
    """Re-read the facet values of these organisations (ids; unpublished or deleted ones get none), and
    their bitmaps unless `bitmaps` is false (a full rebuild writes them once at the end)."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return
    with transaction.atomic(using=using):
        FacetValue.objects.using(using).filter(organisation_id__in=ids).delete()
        published = Organisation.objects.using(using).published().filter(pk__in=ids)
        values = facet_values(published)
        FacetValue.objects.using(using).bulk_create(
            FacetValue(organisation_id=pk, facet=facet, value=value) for pk, facet, value in values
        )
        if bitmaps:
            update_bitmaps(ids, values, using)


def rebuild_facet_values(using="default", progress=None, bitmaps=True):
    """Every organisation's facet values from scratch (`manage.py refresh_search`, bulk writes), then their
    bitmaps (`bitmaps=False`: migration 0006, older than the bitmaps' table)."""
    FacetValue.objects.using(using).all().delete()
    ids = list(Organisation.objects.using(using).published().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        refresh_facet_values(ids[start : start + BATCH], using, bitmaps=False)
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    if bitmaps:
        rebuild_bitmaps(using)


# --- keeping them in step ----------------------------------------------------------------------------

# Where a changed row's organisation is: (model, lookup from the row to its organisation id).
OWNER = {
    Organisation: "pk",
    Competence: "organisation_id",
    Experience: "organisation_id",
    ExperienceCountry: "experience__organisation_id",
    Funding: "experience__organisation_id",
}


def _owners(model, pks, using):
    return set(model._base_manager.using(using).filter(pk__in=pks).values_list(OWNER[model], flat=True))


def _remember_owner(sender, instance, raw=False, using=None, **kwargs):
    """pre_save: an update may move a row to another organisation (an experience in the admin), which loses
    the values it had there."""
    if not raw and not instance._state.adding and sender is not Organisation:
        instance._facet_owners_before = _owners(sender, [instance.pk], using)


def _row_changed(sender, instance, using=None, raw=False, origin=None, **kwargs):
    if raw:
        return  # fixtures: loaddata callers refresh afterwards (refresh_search)
    if origin is not None and _deleted_with_its_owner(sender, origin):
        return
    if sender is Organisation:
        owners = {instance.pk}
    elif hasattr(instance, "organisation_id"):
        owners = {instance.organisation_id}
    else:  # an experience's country or funding
        owners = _owners(Experience, [instance.experience_id], using)
    owners |= instance.__dict__.pop("_facet_owners_before", set())
    refresh_facet_values(owners - {None}, using)


def _deleted_with_its_owner(sender, origin):
    """A row deleted in cascade from its organisation or experience: the origin's own signal follows."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model is not sender and model in (Organisation, Experience)


def _sectors_changed(sender, instance, action, pk_set, using=None, **kwargs):
    if not action.startswith("post_"):
        return
    if isinstance(instance, Experience):
        owners = {instance.organisation_id}
    elif pk_set is None:  # sector.experiences.clear(): whose they were is not known any more
        owners = None
    else:
        owners = _owners(Experience, pk_set, using)
    if owners is None:
        rebuild_facet_values(using)
    else:
        refresh_facet_values(owners, using)


def _sector_saved(sender, instance, raw=False, using=None, created=False, **kwargs):
    """A code moved to another category changes the categories of those who use it."""
    if raw or created:
        return
    users = set(Competence.objects.using(using).filter(sector=instance).values_list("organisation_id", flat=True))
    users |= set(Experience.objects.using(using).filter(sectors=instance).values_list("organisation_id", flat=True))
    refresh_facet_values(users, using)


def connect_signals():
    for model in OWNER:
        uid = f"facet-values-{model.__name__}"
        pre_save.connect(_remember_owner, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(_sectors_changed, sender=Experience.sectors.through, dispatch_uid="facet-values-sectors")
    post_save.connect(_sector_saved, sender=Sector, dispatch_uid="facet-values-sector")
