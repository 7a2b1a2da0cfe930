"""Competences: at most five, ranked, active OECD sectors only, no sector twice."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from institutions.models import Competence
from tests.partners.partner_forms import competence_data


def edit_url(lang, organisation):
    with translation.override(lang):
        return reverse("partners:competences", args=[organisation.slug])


def ranked(organisation):
    return list(organisation.competences.order_by("rank").values_list("sector__code", "rank"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_form_offers_active_sectors_grouped_by_category(client, owner, aimf, sector_rows, lang):
    client.force_login(owner)
    page = client.get(edit_url(lang, aimf)).content.decode()
    assert len(re.findall(r'<select name="form-\d-sector"', page)) == 5  # five ranked rows
    label = "Eau et assainissement" if lang == "fr" else "Water and sanitation"
    assert f'<optgroup label="140 {label}">' in page
    assert "14030 " + ("Eau potable de base" if lang == "fr" else "Basic drinking water supply") in page
    assert "14031" not in page  # withdrawn: not offered


def test_save_ranks_in_order_and_skips_empty_rows(client, owner, aimf, sector_rows):
    client.force_login(owner)
    before = aimf.updated
    s = sector_rows
    data = competence_data(aimf, [s["15112"], s["14030"]])
    data["form-1-sector"], data["form-3-sector"] = "", s["14030"].pk  # a gap between them
    response = client.post(edit_url("fr", aimf), data)
    assert response.status_code == 302
    assert ranked(aimf) == [("15112", 1), ("14030", 2)]
    aimf.refresh_from_db()
    assert aimf.updated > before and aimf.version == 2
    # Reordered, one removed, one added: kept rows keep their identity (and history).
    kept = aimf.competences.get(sector=s["14030"]).pk
    response = client.post(edit_url("fr", aimf), competence_data(aimf, [s["14030"], s["15150"]]))
    assert response.status_code == 302
    assert ranked(aimf) == [("14030", 1), ("15150", 2)]
    assert aimf.competences.get(sector=s["14030"]).pk == kept
    assert Competence.history.filter(history_type="-", sector=s["15112"]).exists()


def test_more_than_five_is_refused(client, owner, aimf, sector_rows):
    client.force_login(owner)
    six = [sector_rows[c] for c in ("14010", "14030", "15110", "15112", "15150", "15160")]
    response = client.post(edit_url("fr", aimf), competence_data(aimf, six, total=6))
    assert response.status_code == 200
    assert "Une organisation a au plus 5 domaines de compétence." in response.content.decode()
    assert ranked(aimf) == []
    five = six[:5]
    assert client.post(edit_url("fr", aimf), competence_data(aimf, five)).status_code == 302
    assert len(ranked(aimf)) == 5


def test_the_same_sector_twice_is_refused_keeping_the_choices(client, owner, aimf, sector_rows):
    client.force_login(owner)
    s = sector_rows
    response = client.post(edit_url("fr", aimf), competence_data(aimf, [s["15112"], s["14030"], s["15112"]]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vous avez choisi ce secteur plusieurs fois" in page
    assert page.count(f'<option value="{s["15112"].pk}" selected>') == 2
    assert page.count(f'<option value="{s["14030"].pk}" selected>') == 1
    assert ranked(aimf) == []


def test_a_withdrawn_sector_is_refused_but_an_old_one_is_kept(client, owner, aimf, sector_rows):
    client.force_login(owner)
    s = sector_rows
    response = client.post(edit_url("fr", aimf), competence_data(aimf, [s["14031"]]))
    assert response.status_code == 200
    assert "Ce code OCDE a été retiré" in response.content.decode()
    assert ranked(aimf) == []
    # An organisation that already had the old code (from before it was withdrawn) keeps it.
    Competence.objects.create(organisation=aimf, sector=s["14031"], rank=1)
    aimf.refresh_from_db()
    page = client.get(edit_url("fr", aimf)).content.decode()
    assert f'<option value="{s["14031"].pk}" selected>' in page
    response = client.post(edit_url("fr", aimf), competence_data(aimf, [s["14031"], s["14030"]]))
    assert response.status_code == 302
    assert ranked(aimf) == [("14031", 1), ("14030", 2)]


def test_an_unknown_sector_id_is_an_error_not_a_crash(client, owner, aimf, sector_rows):
    client.force_login(owner)
    data = competence_data(aimf, [])
    data["form-0-sector"] = "999999"
    response = client.post(edit_url("en", aimf), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    data["form-TOTAL_FORMS"] = "lots"
    assert client.post(edit_url("en", aimf), data).status_code == 200


def test_stale_competences_are_refused(client, owner, aimf, sector_rows):
    client.force_login(owner)
    data = competence_data(aimf, [sector_rows["14030"]])
    aimf.save()  # someone else saved meanwhile
    response = client.post(edit_url("fr", aimf), data)
    assert response.status_code == 409
    assert "Quelqu’un d’autre a enregistré ce profil" in response.content.decode()
    assert ranked(aimf) == []
