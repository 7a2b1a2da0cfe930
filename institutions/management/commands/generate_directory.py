"""Fill the database with N realistic, deterministic organisations for load tests and benchmarks.

Speed comes from bulk inserts: each chunk of organisations is built in memory, then written with one
bulk_create per table (ids come back through RETURNING on PostgreSQL and SQLite), in one transaction.
Nothing is saved row by row, so no signal runs: no history rows are written for generated data and the
search entries are computed once a chunk is written (institutions.search.refresh_search_documents, what
the save hooks call).
"""

import multiprocessing
import random
import time
from collections import defaultdict
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.text import slugify
from django_countries import countries
from tqdm import tqdm

from experiences.models import Donor, Experience, ExperienceCountry, ExperienceSearchEntry, Funding, Participant
from institutions.cache import bump_generation
from institutions.facets import rebuild_facet_values
from institutions.models import (
    MAX_COMPETENCES,
    Competence,
    FacetValue,
    Organisation,
    SearchEntry,
    Sector,
)
from institutions.search import refresh_search_documents

from . import _directory_data as data

SLUG_PREFIX = "gen-"  # marks generated organisations: --clear deletes these and nothing else
ExperienceSector = Experience.sectors.through
USUAL_PARTNERS = 5  # the organisations an organisation mostly works with
TABLES = (Organisation, Competence, Experience, ExperienceSector, ExperienceCountry, Funding, Participant, FacetValue)


class Generator:
    """Draws every value from one seeded Random, in a fixed order: same seed, same data."""

    def __init__(self, rng, sectors, donors):
        self.rng = rng
        self.sector_ids = [s.pk for s in sectors]
        self.by_category = {}
        for s in sectors:
            self.by_category.setdefault(s.code[:3], []).append(s.pk)
        self.popular = [pk for code in data.POPULAR_CATEGORIES for pk in self.by_category.get(code, [])]
        self.donors = donors  # [(pk, name_fr, name_en, acronym)]
        self.homes = [(code, cities) for code, _w, cities in data.HOME_COUNTRIES]
        self.home_weights = [w for _c, w, _cities in data.HOME_COUNTRIES]
        self.work = [c for c, _w in data.WORK_COUNTRIES]
        self.work_weights = [w for _c, w in data.WORK_COUNTRIES]
        self.work_cities = {code: cities for code, _w, cities in data.HOME_COUNTRIES}
        self.kinds = [k for k, _w in data.KINDS]
        self.kind_weights = [w for _k, w in data.KINDS]
        self.country_names = {}
        for code in {c for c, _w, _x in data.HOME_COUNTRIES} | set(self.work):
            with translation.override("fr"):
                fr = str(countries.name(code))
            with translation.override("en"):
                en = str(countries.name(code))
            self.country_names[code] = (fr, en)

    def town(self, cities):
        r = self.rng
        if r.random() < 0.4:
            return r.choice(cities)
        root = r.choice(data.TOWN_ROOTS)
        prefix = r.choice(data.TOWN_PREFIXES)
        name = prefix + (root if prefix.endswith("-") else root)
        return (name[0].upper() + name[1:]) + r.choice(data.TOWN_SUFFIXES)

    def sectors_for(self, count, theme_category=None):
        r, chosen = self.rng, []
        if theme_category and self.by_category.get(theme_category):
            chosen.append(r.choice(self.by_category[theme_category]))
        while len(chosen) < count:
            pool = self.popular if (self.popular and r.random() < 0.5) else self.sector_ids
            pk = r.choice(pool)
            if pk not in chosen:
                chosen.append(pk)
        return chosen

    def names(self, kind, city, country):
        r = self.rng
        cfr, cen = self.country_names[country]
        theme_fr, theme_en, _cat = r.choice(data.THEMES)
        if kind == "municipality":
            fr = r.choice(["Ville de {c}", "Commune de {c}", "Mairie de {c}"]).format(c=city)
            en = r.choice(["City of {c}", "Municipality of {c}"]).format(c=city)
        elif kind == "regional":
            fr, en = r.choice(
                [
                    ("Région de {c}", "{c} Region"),
                    ("Département de {c}", "{c} County Council"),
                    ("Province de {c}", "{c} Province"),
                ]
            )
            fr, en = fr.format(c=city), en.format(c=city)
        elif kind == "national_association":
            fr, en = r.choice(
                [
                    ("Association des municipalités – {c}", "Association of Municipalities – {c}"),
                    ("Union des villes et communes – {c}", "Union of Towns and Municipalities – {c}"),
                    ("Association des régions – {c}", "Association of Regions – {c}"),
                ]
            )
            fr, en = f"{fr.format(c=cfr)} ({city})", f"{en.format(c=cen)} ({city})"
        elif kind == "international_network":
            fr = f"Réseau international des villes pour {theme_fr} – {city}"
            en = f"International Network of Cities for {theme_en} – {city}"
        else:
            fr = f"Agence de coopération décentralisée de {city}"
            en = f"{city} Decentralised Cooperation Agency"
        return fr, en

    def phone(self):
        r = self.rng
        return f"+{r.randint(1, 299)} {r.randint(10, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"

    def organisation(self, index):
        r = self.rng
        kind = r.choices(self.kinds, self.kind_weights)[0]
        country, cities = r.choices(self.homes, self.home_weights)[0]
        city = self.town(cities)
        name_fr, name_en = self.names(kind, city, country)
        mode = r.random()
        languages = ("fr", "en") if mode < 0.7 else ("fr",) if mode < 0.85 else ("en",)
        acronym = ""
        if kind in ("national_association", "international_network") and r.random() < 0.8:
            acronym = "".join(w[0] for w in name_en.split() if len(w) > 3 and w[0].isalpha()).upper()[:8]
        elif r.random() < 0.1:
            acronym = slugify(city)[:4].upper()
        t1, t2 = r.sample(data.THEMES, 2)
        templates = r.sample(data.DESCRIPTIONS, r.randint(1, 4))
        values = {"year": r.randint(1970, 2015), "n": f"{r.randint(2, 900) * 1000}", "m": r.randint(1, 30)}
        description = {}
        for li, lang in enumerate(("fr", "en")):
            sentences = [
                tpl[li].format(name=(name_fr, name_en)[li], theme=t1[li], theme2=t2[li], **values)
                for tpl in templates
            ]
            description[lang] = " ".join(sentences) if lang in languages else ""
        base = name_fr if "fr" in languages else name_en
        host = slugify(f"{city}-{index}")
        org = Organisation(
            name_fr=name_fr if "fr" in languages else "",
            name_en=name_en if "en" in languages else "",
            description_fr=description["fr"],
            description_en=description["en"],
            acronym=acronym,
            kind=kind,
            street=f"{r.randint(1, 250)} {r.choice(['rue de la République', 'avenue de la Paix', 'place de la Mairie', 'boulevard du Port', 'Main Street'])}",  # noqa: E501
            zip_code=f"{r.randint(1000, 99999):05d}",
            city=city,
            country=country,
            website=f"https://www.{host}.example" if r.random() < 0.8 else "",
            email=f"contact@{host}.example" if r.random() < 0.8 else "",
            telephone=self.phone(),
            fax=self.phone() if r.random() < 0.3 else "",
            slug=f"{SLUG_PREFIX}{slugify(base)[:90].strip('-')}-{index}",
            published=r.random() < 0.97,
        )
        org.set_sort_names()
        competences = self.sectors_for(r.randint(1, MAX_COMPETENCES))
        experiences = [
            self.experience(languages, city)
            for _ in range(r.choices(range(1, 9), [3, 5, 9, 13, 15, 14, 11, 9])[0])
        ]
        return org, competences, experiences

    def experience(self, org_languages, home_city):
        r = self.rng
        fr_theme, en_theme, category = r.choice(data.THEMES)
        countries_ = []
        while len(countries_) < r.choice([1, 1, 2, 3]):
            c = r.choices(self.work, self.work_weights)[0]
            if c not in countries_:
                countries_.append(c)
        first = countries_[0]
        place = (
            r.choice(self.work_cities[first]) if first in self.work_cities else self.country_names[first][0]
        )
        languages = org_languages if r.random() < 0.9 else ("fr", "en")
        act_fr, act_en = r.choice(data.ACTIONS)
        obj = r.choice(data.OBJECTIVES)
        res = r.choice(data.RESULTS)
        values = {"n": f"{r.randint(1, 500) * 100}", "m": r.randint(5, 200), "k": r.randint(2, 40)}
        text = {}
        for li, lang in enumerate(("fr", "en")):
            keep = lang in languages
            theme = (fr_theme, en_theme)[li]
            prep = (" à ", " in ")[li]
            text[f"title_{lang}"] = f"{(act_fr, act_en)[li]} {theme}{prep}{place}" if keep else ""
            text[f"objectives_{lang}"] = obj[li].format(theme=theme, place=place, **values) if keep else ""
            text[f"results_{lang}"] = res[li].format(theme=theme, **values) if keep else ""
        start = date(r.randint(1995, 2025), r.randint(1, 12), r.randint(1, 28))
        if r.random() < 0.15:
            end = None  # ongoing
        else:
            months = start.month - 1 + r.randint(6, 72)
            end = date(start.year + months // 12, months % 12 + 1, start.day)
        cost = None if r.random() < 0.05 else Decimal(r.randrange(5_000, 5_000_000, 500))
        exp = Experience(
            cost=cost,
            role=r.choice(["coordinator", "partner", "partner", "associate"]),
            start_date=start,
            end_date=end,
            **text,
        )
        sectors = self.sectors_for(r.randint(1, 3), category)
        fundings = []
        if cost:
            n = r.choice([0, 1, 1, 2])
            shares = [r.uniform(0.1, 0.6), r.uniform(0.05, 0.4)][:n]  # sum < 1: never more than the cost
            for donor, share in zip(r.sample(self.donors, n), shares, strict=True):
                fundings.append((donor, (cost * Decimal(share)).quantize(Decimal("1"), rounding=ROUND_DOWN)))
        return exp, sectors, countries_, fundings


_worker_state = None  # (generator, seed, batch), set before forking so workers inherit it


def _insert_chunk(chunk):
    start, stop = chunk
    generator, seed, batch = _worker_state
    rows = []
    # The untranslated columns (name, title...) that modeltranslation keeps are filled on insert from
    # the active language with fallback: French, or English when there is no French.
    with translation.override("fr"):
        for i in range(start, stop):
            generator.rng.seed(f"{seed}:{i}")
            rows.append(generator.organisation(i))
        _insert(rows, batch)
    return stop - start


def _insert(rows, batch):
    with transaction.atomic():
        Organisation.objects.bulk_create([org for org, _c, _e in rows], batch_size=batch)
        competences, experiences = [], []
        for org, sector_ids, exps in rows:
            competences += [
                Competence(organisation_id=org.pk, sector_id=s, rank=rank)
                for rank, s in enumerate(sector_ids, start=1)
            ]
            for exp, *_rest in exps:
                exp.organisation_id = org.pk
                experiences.append(exp)
        Competence.objects.bulk_create(competences, batch_size=batch)
        Experience.objects.bulk_create(experiences, batch_size=batch)
        links, places, fundings = [], [], []
        for _org, _c, exps in rows:
            for exp, sector_ids, country_codes, funds in exps:
                links += [ExperienceSector(experience_id=exp.pk, sector_id=s) for s in sector_ids]
                places += [ExperienceCountry(experience_id=exp.pk, country=c) for c in country_codes]
                fundings += [Funding(experience_id=exp.pk, donor_id=d[0], amount=a) for d, a in funds]
        ExperienceSector.objects.bulk_create(links, batch_size=batch * 2)
        ExperienceCountry.objects.bulk_create(places, batch_size=batch * 2)
        Funding.objects.bulk_create(fundings, batch_size=batch * 2)
        refresh_search_documents(Organisation.objects.filter(pk__in=[org.pk for org, _c, _e in rows]), batch)


class Command(BaseCommand):
    help = (
        "Fill the database with N realistic generated organisations (both languages, all kinds, competences, "
        "1-8 experiences each with sectors, countries, fundings and 1-3 other participants), the same data "
        "for the same --seed. "
        "Needs the sectors (manage.py load_sectors). Generated organisations have slugs starting with "
        "'gen-'; --clear deletes those and never touches real data. Rows are bulk-inserted: no history "
        "rows are written for generated data (faster, and nothing to revert)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=1000, help="how many to add (default 1000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="organisations per transaction and rows per INSERT (default 1000)",
        )
        parser.add_argument(
            "--clear", action="store_true", help="first delete previously generated organisations"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="processes building and inserting chunks in parallel (default 2; 1 on SQLite)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        count, batch = options["organisations"], options["batch_size"]
        if count < 0 or batch < 1:
            raise CommandError("--organisations must be ≥ 0 and --batch-size ≥ 1")
        sectors = list(Sector.objects.active().only("pk", "code"))
        if not sectors:
            raise CommandError("No sectors: run `manage.py load_sectors` first.")
        # With DEBUG on, Django keeps the text of every query: megabytes per bulk INSERT, formatted at a
        # cost and kept by the thousand. Generated data needs no query log.
        settings.DEBUG = False
        started = time.monotonic()
        if options["clear"]:
            self.stdout.write(f"Deleted {self.clear()} generated organisations.")
        # SQLite has one writer at a time: parallel workers would only wait for each other's locks.
        workers = options["workers"] if connection.vendor != "sqlite" else 1
        self.generate(count, batch, options["seed"], sectors, not options["no_progress"], workers)
        self.add_participants(options["seed"], batch)
        # Bulk inserts send no signals: the facet values are re-read and cached public pages made stale here.
        rebuild_facet_values()
        bump_generation()
        if connection.vendor == "postgresql":
            # Fresh statistics so the planner knows the new sizes, and a visibility map so counts can use
            # index-only scans. VACUUM cannot run inside a transaction (as when called from a test).
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in TABLES:
                    cursor.execute(f"{command} {model._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Now {Organisation.objects.count()} organisations, {Experience.objects.count()} experiences "
            f"({count} organisations added in {elapsed:.1f} s)."
        )

    def generate(self, count, batch, seed, sectors, progress, workers):
        existing = Organisation.objects.filter(slug__startswith=SLUG_PREFIX).count()
        donors = self.donors()
        # Numbering continues after earlier generated rows, so slugs stay unique. Each organisation draws
        # from a Random seeded with (seed, its number): the data depends on the seed only, not on the batch
        # size, the number of workers or the order in which chunks finish.
        chunks = [
            (start, min(start + batch, existing + count + 1))
            for start in range(existing + 1, existing + count + 1, batch)
        ]
        global _worker_state
        _worker_state = (Generator(random.Random(), sectors, donors), seed, batch)
        bar = tqdm(total=count, unit="org", disable=not progress, smoothing=0.1)
        if workers > 1 and len(chunks) > 1:
            # Python builds the rows, PostgreSQL indexes them: two processes keep both cores busy.
            connections.close_all()  # each forked worker opens its own connection
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for done in pool.imap_unordered(_insert_chunk, chunks):
                    bar.update(done)
        else:
            for chunk in chunks:
                bar.update(_insert_chunk(chunk))
        bar.close()

    def add_participants(self, seed, batch):
        """The other participants of the generated experiences that have none yet: one to three each, generated
        organisations (any chunk's, so after every chunk is written), mostly among a few usual partners of
        the owner (partnerships repeat, as in life), one experience in ten also has one not listed here.
        Each organisation's experiences draw from a Random seeded with (seed, its number), in their order:
        the same data for the same seed, whatever the batch size."""
        numbered = {
            int(slug.rsplit("-", 1)[1]): pk
            for pk, slug in Organisation.objects.filter(slug__startswith=SLUG_PREFIX).values_list("pk", "slug")
        }
        numbers = sorted(numbered)
        done = set(Participant.objects.values_list("experience_id", flat=True).distinct())
        rng = random.Random()
        for start in range(0, len(numbers), batch):
            chunk = numbers[start : start + batch]
            experiences = defaultdict(list)
            owners = Experience.objects.filter(organisation_id__in=[numbered[n] for n in chunk]).order_by("pk")
            for pk, owner in owners.values_list("pk", "organisation_id"):
                experiences[owner].append(pk)
            rows = []
            for number in chunk:
                if any(pk in done for pk in experiences[numbered[number]]):
                    continue  # generated by an earlier run
                rng.seed(f"{seed}:{number}:participants")
                usual = rng.sample(numbers, min(len(numbers), USUAL_PARTNERS))
                for experience_id in experiences[numbered[number]]:
                    partners = set()
                    for _ in range(rng.choice([1, 1, 2, 2, 3])):
                        partners.add(rng.choice(usual) if rng.random() < 0.8 else rng.choice(numbers))
                    for n in sorted(partners - {number}):
                        rows.append(Participant(experience_id=experience_id, organisation_id=numbered[n],
                                                role=rng.choice(["partner", "partner", "associate"])))
                    if rng.random() < 0.1:
                        town = rng.choice(data.TOWN_ROOTS).capitalize()
                        rows.append(Participant(experience_id=experience_id, name=f"Commune de {town}",
                                                country=rng.choice(self.unlisted_countries), kind="municipality",
                                                role="associate"))
            with transaction.atomic():
                Participant.objects.bulk_create(rows, batch_size=batch * 2)

    unlisted_countries = [code for code, _w in data.WORK_COUNTRIES]

    def donors(self):
        pool = []
        for acronym, fr, en in data.DONORS:
            donor, _ = Donor.objects.get_or_create(acronym=acronym, defaults={"name_fr": fr, "name_en": en})
            pool.append((donor.pk, donor.name_fr or fr, donor.name_en or en, donor.acronym))
        return pool

    def clear(self):
        """Delete generated organisations and everything hanging off them, with plain DELETEs: a cascading
        QuerySet.delete() would load every row into Python (history signals disable fast deletes)."""
        orgs = Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
        n = orgs.count()
        exps = Experience.objects.filter(organisation__in=orgs)
        with transaction.atomic():
            for qs in (
                Participant.objects.filter(Q(experience__in=exps) | Q(organisation__in=orgs)),
                Funding.objects.filter(experience__in=exps),
                ExperienceCountry.objects.filter(experience__in=exps),
                ExperienceSector.objects.filter(experience__in=exps),
                ExperienceSearchEntry.objects.filter(experience__in=exps),
                exps,
                Competence.objects.filter(organisation__in=orgs),
                # Partner access (partners.Membership), through its relation: no import of partner code.
                Organisation._meta.get_field("memberships").related_model.objects.filter(organisation__in=orgs),
                SearchEntry.objects.filter(organisation__in=orgs),
                orgs,
            ):
                qs._raw_delete(qs.db)
        return n
