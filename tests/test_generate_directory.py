"""generate_directory: realistic, deterministic synthetic data, and --clear never touches real data."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from experiences.models import Experience, ExperienceCountry, ExperienceSearchEntry, Funding, Participant
from institutions.cache import generation
from institutions.models import Competence, Organisation


def generate(n=60, seed=3, batch_size=25, **options):
    call_command(
        "generate_directory",
        organisations=n,
        seed=seed,
        workers=1,
        no_progress=True,
        batch_size=25,
        stdout=io.StringIO(),
        **options,
    )


def snapshot():
    return (
        list(
            Organisation.objects.order_by("slug").values_list("slug", "name_fr", "name_en", "kind", "country")
        ),
        list(
            Experience.objects.order_by("organisation__slug", "start_date", "title_fr").values_list(
                "organisation__slug", "title_fr", "title_en", "cost", "role", "start_date", "end_date"
            )
        ),
        sorted(ExperienceCountry.objects.values_list("experience__organisation__slug", "country")),
        sorted(Funding.objects.values_list("experience__organisation__slug", "donor__acronym", "amount")),
        sorted(
            (owner, start, slug or "", name, role)
            for owner, start, slug, name, role in Participant.objects.values_list(
                "experience__organisation__slug", "experience__start_date", "organisation__slug", "name", "role"
            )
        ),
    )


def test_needs_the_sectors(no_sectors):
    with pytest.raises(CommandError, match="load_sectors"):
        generate()


def test_same_seed_same_data_whatever_the_batch_size(sectors):
    generate(batch_size=25)
    first = snapshot()
    generate(0, clear=True)
    assert Organisation.objects.count() == 0
    generate(batch_size=7)
    assert snapshot() == first
    generate(0, clear=True)
    generate(seed=4)
    assert snapshot() != first


def test_data_is_realistic_and_consistent(sectors):
    generate(120)
    orgs = Organisation.objects.all()
    assert orgs.count() == 120
    assert all(slug.startswith("gen-") for slug in orgs.values_list("slug", flat=True))
    assert set(orgs.values_list("kind", flat=True)) == {k for k, _ in Organisation.Kind.choices}
    assert orgs.exclude(name_fr="").exclude(name_en="").exists()  # both languages
    assert orgs.filter(name_en="").exists() and orgs.filter(name_fr="").exists()  # one language only
    assert orgs.filter(published=True).count() > 100
    competences = orgs.annotate(n=Count("competences")).values_list("n", flat=True)
    assert min(competences) >= 1 and max(competences) <= 5
    assert not Competence.objects.filter(sector__withdrawn=True).exists()
    per_org = list(orgs.annotate(n=Count("experiences")).values_list("n", flat=True))
    assert min(per_org) >= 1 and max(per_org) <= 8
    assert 4 <= sum(per_org) / len(per_org) <= 6
    exps = Experience.objects.annotate(s=Count("sectors", distinct=True), c=Count("countries", distinct=True))
    assert all(1 <= s <= 3 and 1 <= c <= 3 for s, c in exps.values_list("s", "c"))
    assert Experience.objects.filter(end_date__isnull=True).exists()  # some still running
    over = Experience.objects.annotate(funded=Sum("fundings__amount")).filter(funded__gt=models_f("cost"))
    assert not over.exists()
    assert Funding.objects.values("donor").distinct().count() > 20
    listed = list(Experience.objects.annotate(n=Count("participants__organisation")).values_list("n", flat=True))
    assert max(listed) <= 3 and 1 <= sum(listed) / len(listed) <= 2.5  # 1-3 partners, some drawn twice or itself
    assert not Participant.objects.filter(organisation=models_f("experience__organisation")).exists()
    assert Participant.objects.filter(organisation__isnull=True).exclude(name="").exists()  # some unlisted


def models_f(name):
    from django.db.models import F

    return F(name)


def test_search_document_is_folded_and_covers_experiences(sectors):
    generate(10)
    for org in Organisation.objects.all():
        doc = org.search_entry.document
        assert doc == doc.lower()
        assert "é" not in doc and "à" not in doc
        title = org.experiences.first().title_fr or org.experiences.first().title_en
        assert title.lower().replace("é", "e").replace("à", "a").split()[0] in doc


def test_base_columns_fall_back_to_english(sectors):
    generate(60)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM institutions_organisation WHERE name = ''")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT COUNT(*) FROM experiences_experience WHERE title = ''")
        assert cursor.fetchone()[0] == 0


def test_clear_deletes_generated_organisations_only(sectors):
    real = Organisation.objects.create(name_fr="Ville de Kaya", country="BF", slug="kaya")
    generate(20)
    assert ExperienceSearchEntry.objects.exists()
    generate(0, clear=True)
    assert list(Organisation.objects.all()) == [real]
    assert not Experience.objects.exists() and not ExperienceSearchEntry.objects.exists()


def test_a_second_run_adds_new_organisations(sectors):
    generate(10)
    generate(10)
    assert Organisation.objects.count() == 20
    assert Organisation.objects.values("slug").distinct().count() == 20


def test_cached_pages_become_stale(sectors):
    before = generation()
    generate(5)
    assert generation() > before
