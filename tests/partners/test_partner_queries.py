"""Partner pages run a fixed number of queries, whatever the number of rows (guards against N+1)."""

import datetime
from decimal import Decimal

from django.urls import reverse

from experiences.models import Experience, Funding
from institutions.models import Competence


def test_experience_form_queries_do_not_grow_with_fundings(
    client, owner, aimf, experience, donors, sector_rows, django_assert_max_num_queries
):
    client.force_login(owner)
    address = reverse("partners:experience", args=[aimf.slug, experience.pk])
    client.get(address)
    for _ in range(6):
        Funding.objects.create(experience=experience, donor=donors["afd"], amount=Decimal("1"))
    with django_assert_max_num_queries(12):
        assert client.get(address).status_code == 200


def test_competences_and_list_queries_are_fixed(
    client, owner, aimf, sector_rows, django_assert_max_num_queries
):
    client.force_login(owner)
    for rank, code in enumerate(["14010", "14030", "15110", "15112", "15150"], start=1):
        Competence.objects.create(organisation=aimf, sector=sector_rows[code], rank=rank)
    for n in range(20):
        Experience.objects.create(
            organisation=aimf, title_fr=f"Action {n}", role="partner", start_date=datetime.date(2010, 1, 1)
        )
    with django_assert_max_num_queries(5):
        assert client.get(reverse("partners:competences", args=[aimf.slug])).status_code == 200
    # The list, then its actions as a partner (one query, with their owners).
    with django_assert_max_num_queries(5):
        assert client.get(reverse("partners:experiences", args=[aimf.slug])).status_code == 200
