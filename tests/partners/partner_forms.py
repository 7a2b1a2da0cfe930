"""What the partner forms post, built from the stored objects; the partner accounts' password."""

PASSWORD = "correct-horse-battery-9"


def organisation_data(organisation, **changes):
    """What the general-information form posts, from the organisation as stored."""
    data = {
        "version": organisation.version,
        "name_fr": organisation.name_fr,
        "name_en": organisation.name_en or "",
        "acronym": organisation.acronym,
        "kind": organisation.kind,
        "street": organisation.street,
        "zip_code": organisation.zip_code,
        "city": organisation.city,
        "country": organisation.country.code,
        "website": organisation.website,
        "email": organisation.email,
        "telephone": organisation.telephone,
        "fax": organisation.fax,
        "description_fr": organisation.description_fr or "",
        "description_en": organisation.description_en or "",
        "iati_identifier": organisation.iati_identifier,
    }
    data.update(changes)
    return data


def competence_data(organisation, sectors, total=5):
    data = {
        "version": organisation.version,
        "form-TOTAL_FORMS": max(total, len(sectors)),
        "form-INITIAL_FORMS": organisation.competences.count(),
        "form-MIN_NUM_FORMS": 0,
        "form-MAX_NUM_FORMS": 5,
    }
    for i in range(max(total, len(sectors))):
        data[f"form-{i}-sector"] = sectors[i].pk if i < len(sectors) else ""
    return data


def experience_data(experience=None, fundings=(), participants=(), **changes):
    """What the experience form posts; `fundings` is a list of (donor, amount) for new rows, or
    (funding, donor, amount) for existing ones; `participants` a list of dicts of one row's fields
    (organisation, name, country, kind, role, and id and DELETE for an existing row)."""
    data = {
        "version": experience.updated.isoformat() if experience else "",
        "title_fr": "Assainissement à Dakar",
        "title_en": "Sanitation in Dakar",
        "objectives_fr": "",
        "objectives_en": "",
        "results_fr": "",
        "results_en": "",
        "sectors": [],
        "countries": ["SN"],
        "cost": "50000",
        "role": "partner",
        "start_date": "2015-03-01",
        "end_date": "2016-02-28",
    }
    existing = [f for f in fundings if len(f) == 3]
    new = [f for f in fundings if len(f) == 2]
    rows = [(f.pk, d.pk, a) for f, d, a in existing] + [("", d.pk, a) for d, a in new]
    data.update({
        "fundings-TOTAL_FORMS": len(rows),
        "fundings-INITIAL_FORMS": len(existing),
        "fundings-MIN_NUM_FORMS": 0,
        "fundings-MAX_NUM_FORMS": 1000,
    })  # fmt: skip
    for i, (pk, donor, amount) in enumerate(rows):
        data[f"fundings-{i}-id"] = pk
        data[f"fundings-{i}-donor"] = donor
        data[f"fundings-{i}-amount"] = amount
    data.update({
        "participants-TOTAL_FORMS": len(participants),
        "participants-INITIAL_FORMS": sum(1 for p in participants if p.get("id")),
        "participants-MIN_NUM_FORMS": 0,
        "participants-MAX_NUM_FORMS": 1000,
    })  # fmt: skip
    for i, row in enumerate(participants):
        for key in ("id", "organisation", "name", "country", "kind", "role"):
            data[f"participants-{i}-{key}"] = row.get(key, "")
        if row.get("DELETE"):
            data[f"participants-{i}-DELETE"] = "on"
    data.update(changes)
    return data
