"""The facet values of every published organisation (model FacetValue), kept in step with the data.

A facet value says "this organisation has this value for this criterion": its country, its kind, the
sectors and categories of its competences, the countries, sectors, categories, donors and roles of its
experiences, and the organisations it worked with ("partner_of" = the partner's id, as
experiences/partnerships.py defines partners: an id fits the column where a slug may not, and stays the same
when a slug changes). `facet_values()` is the one place that says where each one comes from; the search
criteria and their counts (directory/criteria.py) read only the FacetValue table.

When data changes, the organisations concerned get their values re-read at once, in the same transaction
as the change (so a search never sees an experience without its countries, and a rolled-back edit leaves
nothing behind): model signals, below. A partnership has two sides: a change to an action's participants,
to its owner, or to whether an organisation is published re-reads every member of the actions concerned.
Writes that send no signals (bulk_create, QuerySet.update: the import and generate_directory) call
`refresh_facet_values()` themselves (with the partners of the organisations whose publication or actions
they change), `rebuild_facet_values()` for all.
On PostgreSQL the values' bitmaps (institutions/bitmaps.py) change with them, in the same transaction.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from experiences.models import Experience, ExperienceCountry, Funding, Participant
from experiences.partnerships import members_of, partners_of

from .bitmaps import rebuild_bitmaps, update_bitmaps
from .models import Competence, FacetValue, Organisation, Sector

PARTNER_OF = FacetValue.PARTNER_OF
BATCH = 2000  # organisations re-read at once by a full rebuild (memory stays flat at any size)


def facet_values(organisations):
    """(organisation id, facet, value) of these organisations (a queryset of published ones), each once;
    every one has ("published", "yes"), so the published organisations are a set of their own."""
    of_experience = {"experience__organisation__in": organisations}
    found = set()
    ids = []
    for pk, country, kind in organisations.values_list("pk", "country", "kind"):
        found |= {(pk, FacetValue.PUBLISHED, "yes"), (pk, "country", country), (pk, "kind", kind)}
        ids.append(pk)
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
    for pk, partners in partners_of(ids, organisations.db).items():
        found |= {(pk, PARTNER_OF, str(partner)) for partner in partners}
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
    Participant: "organisation_id",
}


def _owners(model, pks, using):
    return set(model._base_manager.using(using).filter(pk__in=pks).values_list(OWNER[model], flat=True))


def _remember_owner(sender, instance, raw=False, using=None, **kwargs):
    """pre_save: an update may move a row to another organisation (an experience in the admin), which loses
    the values it had there; an experience moved, or an organisation published or withdrawn, changes the
    partners of those it was a member with."""
    if raw or instance._state.adding:
        return
    if sender is Organisation:
        was_published = Organisation._base_manager.using(using).filter(pk=instance.pk, published=True).exists()
        if was_published != instance.published:
            instance._facet_partners_before = _partners(instance.pk, using)
        return
    if sender is Participant:  # its organisation, and its action's members if it moved to another action
        rows = Participant._base_manager.using(using).filter(pk=instance.pk)
        organisation, experience = rows.values_list("organisation_id", "experience_id").first() or (None, None)
        instance._facet_owners_before = {organisation}
        if experience != instance.experience_id:
            instance._facet_partners_before = _members(experience, using)
        return
    instance._facet_owners_before = _owners(sender, [instance.pk], using)
    if sender is Experience and instance._facet_owners_before != {instance.organisation_id}:
        instance._facet_partners_before = _members(instance.pk, using)


def _row_changed(sender, instance, using=None, raw=False, origin=None, **kwargs):
    if raw:
        return  # fixtures: loaddata callers refresh afterwards (refresh_search)
    if origin is not None and _deleted_with_its_owner(sender, origin):
        return
    # Partnerships have two sides: those who were partners before the change (remembered by pre_save or
    # pre_delete when the change may alter them) and those who are after it.
    partners = instance.__dict__.pop("_facet_partners_before", None)
    if sender is Organisation:
        owners = {instance.pk}
        if partners is not None:  # published or withdrawn: its partners gain or lose it
            owners |= _partners(instance.pk, using)
    elif sender is Participant:  # every member of the action, the participant among them
        listed = {instance.organisation_id} | instance.__dict__.get("_facet_owners_before", set())
        owners = listed | _members(instance.experience_id, using) if listed - {None} else set()
    elif hasattr(instance, "organisation_id"):
        owners = {instance.organisation_id}
        if partners is not None:  # an experience moved to another organisation, or deleted
            owners |= _members(instance.pk, using)
    else:  # an experience's country or funding
        owners = _owners(Experience, [instance.experience_id], using)
    owners |= instance.__dict__.pop("_facet_owners_before", set()) | (partners or set())
    refresh_facet_values(owners - {None}, using)


def _partners(organisation_id, using):
    return partners_of([organisation_id], using).get(organisation_id, set())


def _members(experience_id, using):
    """Who may gain or lose a partner when this action's participants change: its owner, even when no listed
    participant is left (members_of() leaves out an action with its owner alone), and its public members."""
    owner = Experience.objects.using(using).filter(pk=experience_id).values_list("organisation_id", flat=True)
    return set(owner) | members_of([experience_id], using).get(experience_id, set())


def _remember_members(sender, instance, using=None, origin=None, **kwargs):
    """pre_delete: an organisation or an action deleted (with its participants, in cascade) leaves its
    partners, or its other members, with a partnership fewer: they are re-read after the deletion."""
    if origin is not None and _deleted_with_its_owner(sender, origin):
        return
    if sender is Organisation:
        instance._facet_partners_before = _partners(instance.pk, using)
    else:
        instance._facet_partners_before = _members(instance.pk, using)


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
    for model in (Organisation, Experience):
        pre_delete.connect(_remember_members, sender=model, dispatch_uid=f"facet-values-{model.__name__}-members")
    m2m_changed.connect(_sectors_changed, sender=Experience.sectors.through, dispatch_uid="facet-values-sectors")
    post_save.connect(_sector_saved, sender=Sector, dispatch_uid="facet-values-sector")
