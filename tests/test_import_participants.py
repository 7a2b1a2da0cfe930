"""The import's participant columns: a directory slug (in the database or created earlier in the file) or an
unlisted organisation's name, with its role; the same rules as the forms, errors by line; re-import no-op."""

import pytest

from experiences.models import MAX_PARTICIPANTS, Experience, Participant
from institutions.models import Organisation
from tests.test_import import HEADER, TEMPLATE, experience_row, org_row, run, snapshot, write

pytestmark = pytest.mark.django_db

PARTICIPANT_HEADER = [
    f"participant_{n}{suffix}" for n in (1, 2, 3) for suffix in ("", "_role", "_country", "_kind")
]


def participants(**cells):
    """participant columns from p1=("slug or name", "role", "country", "kind") style arguments."""
    row = {}
    for key, values in cells.items():
        n = key[1:]
        for suffix, value in zip(("", "_role", "_country", "_kind"), values, strict=False):
            row[f"participant_{n}{suffix}"] = value
    return row


@pytest.fixture
def ouaga(db):
    return Organisation.objects.create(name_fr="Commune de Ouagadougou", slug="ouagadougou", country="BF")


def test_the_template_imports_its_unlisted_participant(sectors):
    out, err = run(TEMPLATE)
    assert err == ""
    water = Experience.objects.get(title_en="Drinking water in Kérou (fictitious)")
    assert [(p.organisation, p.name, p.country.code, p.kind, p.role) for p in water.participants.all()] == [
        (None, "Commune de Kérou (fictive)", "BJ", "municipality", "partner")
    ]


def test_a_good_file_imports_listed_and_unlisted_participants_and_reimports_as_a_no_op(
    sectors, ouaga, tmp_path
):
    rows = [
        org_row("banfora", name_fr="Commune de Banfora", country="BF"),  # line 2: created before it is named
        {
            **experience_row("aimf", "Eau pour tous"), **org_row("aimf", name_fr="AIMF", country="FR"),
            **participants(p1=("ouagadougou", "partner"), p2=("banfora", "associate"),
                           p3=("Ville de Man", "partner", "ci", "municipality")),
        },  # line 3
    ]  # fmt: skip
    path = write(tmp_path, rows, header=HEADER + PARTICIPANT_HEADER)
    out, err = run(path)
    assert err == "", err
    experience = Experience.objects.get(title_fr="Eau pour tous")
    banfora = Organisation.objects.get(slug="banfora")
    assert {(p.organisation, p.name, p.country.code or "", p.kind, p.role) for p in experience.participants.all()} == {
        (ouaga, "", "", "", "partner"),
        (banfora, "", "", "", "associate"),
        (None, "Ville de Man", "CI", "municipality", "partner"),
    }
    reasons = set(Participant.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Import from import.csv (manage.py import_organisations)"}
    before, history = snapshot(), Participant.history.count()
    out, err = run(path)
    assert "Experiences: 0 created, 0 updated, 1 unchanged" in out
    assert snapshot() == before and Participant.history.count() == history


def test_the_file_replaces_the_participants(sectors, ouaga, tmp_path):
    first = [{**experience_row("aimf", "Eau"), **org_row("aimf"), **participants(p1=("ouagadougou", "partner"))}]
    run(write(tmp_path, first, header=HEADER + PARTICIPANT_HEADER))
    second = [{**first[0], **participants(p1=("Ville de Man", "associate"))}]
    out, err = run(write(tmp_path, second, header=HEADER + PARTICIPANT_HEADER))
    assert err == "" and "Experiences: 0 created, 1 updated" in out
    stored = [(p.organisation, p.name, p.role) for p in Participant.objects.all()]
    assert stored == [(None, "Ville de Man", "associate")]
    # Without the participant columns, the participants stay.
    run(write(tmp_path, [experience_row("aimf", "Eau")]))
    assert Participant.objects.count() == 1


def test_a_bad_file_is_reported_by_line_and_the_good_rows_import(sectors, ouaga, tmp_path):
    def exp(title, **cells):
        return {**experience_row("aimf", title), **participants(**cells)}

    rows = [
        org_row("aimf"),  # line 2
        exp("Itself", p1=("aimf", "partner")),  # line 3
        exp("No role", p1=("ouagadougou", "")),  # line 4
        exp("Bad role", p1=("ouagadougou", "boss")),  # line 5
        exp("Twice", p1=("ouagadougou", "partner"), p2=("ouagadougou", "associate")),  # line 6
        exp("Twice by name", p1=("Ville de Man", "partner"), p2=("ville de man", "partner")),  # line 7
        exp("Listed with country", p1=("ouagadougou", "partner", "BF")),  # line 8
        exp("Unknown slug", p1=("commune-de-nulle-part", "partner")),  # line 9
        exp("Role without participant", p1=("", "partner")),  # line 10
        exp("Bad country", p1=("Ville de Man", "partner", "ZZ")),  # line 11
        exp("Good", p1=("ouagadougou", "coordinator")),  # line 12
    ]  # fmt: skip
    out, err = run(write(tmp_path, rows, header=HEADER + PARTICIPANT_HEADER))
    expected = {
        3: ["participant_1: organisation: An organisation is not its own partner"],
        4: ["participant_1: role: This field cannot be blank."],
        5: ["participant_1: role:", "boss"],
        6: ["participant_2: the same as participant_1"],
        7: ["participant_2: the same as participant_1"],
        8: ["participant_1_country, participant_1_kind: only for an organisation not listed here"],
        9: ["participant_1: no organisation of the directory has the slug “commune-de-nulle-part”"],
        10: ["participant_1: missing"],
        11: ["participant_1: country:", "ZZ"],
    }
    errors = err.strip().splitlines()
    assert len(errors) == len(expected), err
    for line, message in zip(expected, errors, strict=True):
        assert message.startswith(f"line {line}: "), message
        for part in expected[line]:
            assert part in message, (part, message)
    assert "11 rows read, 9 refused" in out
    assert list(Experience.objects.values_list("title_fr", flat=True)) == ["Good"]
    assert [(p.organisation, p.role) for p in Participant.objects.all()] == [(ouaga, "coordinator")]
    assert Participant.history.count() == 1  # refused rows leave no history


@pytest.mark.parametrize(("count", "imported"), [(MAX_PARTICIPANTS, True), (MAX_PARTICIPANTS + 1, False)])
def test_participants_just_below_and_above_the_bound(sectors, tmp_path, count, imported):
    header = HEADER + [f"participant_{n}{s}" for n in range(1, count + 1) for s in ("", "_role")]
    row = {**experience_row("aimf", "Eau"), **org_row("aimf")}
    for n in range(1, count + 1):
        row.update({f"participant_{n}": f"Commune {n}", f"participant_{n}_role": "partner"})
    out, err = run(write(tmp_path, [row], header=header))
    assert Participant.objects.count() == (count if imported else 0)
    if not imported:
        assert f"line 2: participant_*: An experience lists at most {MAX_PARTICIPANTS} participants" in err
