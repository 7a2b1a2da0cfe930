"""Search benchmark: fills the database with N synthetic organisations (slugs b-0..b-N, once), then
prints the time of a few search pages. Writes data: run it on a scratch database only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/SCRATCH ALLOWED_HOSTS=testserver BENCH_N=20000 \
        .venv/bin/python manage.py shell -c "exec(open('scripts/bench_search.py').read())"
"""

import os

if os.environ.get("BENCH_N") is None:
    raise SystemExit("Set BENCH_N (number of organisations) to confirm this scratch database may be filled.")
import datetime
import random
import time

from django.db import connection
from django.test import Client

from experiences.models import Experience, ExperienceCountry
from institutions.models import Competence, Organisation, Sector, SectorCategory
from institutions.search import refresh_search_documents

random.seed(1)
N = int(os.environ["BENCH_N"])
if Organisation.objects.count() < N:
    cat, _ = SectorCategory.objects.get_or_create(code="140", defaults={"name_fr": "Eau", "name_en": "Water"})
    sec, _ = Sector.objects.get_or_create(
        code="14030", defaults={"name_fr": "Eau potable", "name_en": "Drinking water", "category": cat}
    )
    words = (
        "eau assainissement decentralisation gouvernance ecoles sante dechets transport ville region commune "
        "cooperation"
    ).split()
    cities = ["Ouagadougou", "Dakar", "Lyon", "Abidjan", "Cotonou", "Bamako", "Niamey", "Lome"]
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name_fr=f"Commune {i} de {random.choice(cities)}",
                slug=f"b-{i}",
                country=random.choice(["FR", "SN", "BF", "CI", "BJ"]),
                city=random.choice(cities),
                description_fr=" ".join(random.choices(words, k=30)),
            )
            for i in range(N)
        ],
        batch_size=2000,
    )
    Competence.objects.bulk_create(
        [Competence(organisation=o, sector=sec) for o in orgs[::3]], batch_size=2000
    )
    exps = Experience.objects.bulk_create(
        [
            Experience(
                organisation=o,
                title_fr="Projet " + random.choice(words),
                role="partner",
                start_date=datetime.date(2010, 1, 1),
            )
            for o in orgs
            for _ in range(2)
        ],
        batch_size=2000,
    )
    ExperienceCountry.objects.bulk_create(
        [ExperienceCountry(experience=e, country=random.choice(["CI", "BF", "ML"])) for e in exps],
        batch_size=2000,
    )
    t = time.perf_counter()
    refresh_search_documents(Organisation.objects.all())
    print(f"refresh {N}: {time.perf_counter() - t:.1f}s")
    with connection.cursor() as c:
        c.execute("ANALYZE")
c = Client()
for url in [
    "/fr/",
    "/fr/?q=ouagadougou",
    "/fr/?q=Ouagadogou",
    "/en/?q=decentralisation&country=SN",
    "/fr/?sector=140&worked_in=CI",
    "/fr/?q=eau&sort=-experiences",
    "/fr/feed/rss/?q=dakar",
]:
    c.get(url)
    t = time.perf_counter()
    r = c.get(url)
    dt = time.perf_counter() - t
    print(f"{url:45} {r.status_code} {dt * 1000:7.0f} ms")
