"""Run by tests/test_sqlite_concurrency.py in its own process, on a file-based SQLite database (the test
suite's is in memory): two partners save the same organisation at the same moment. Prints the two answers'
status codes and the organisation's name and version afterwards, as JSON."""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platforma.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from institutions.models import Organisation  # noqa: E402
from partners import forms  # noqa: E402
from partners.models import Membership  # noqa: E402

organisation = Organisation.objects.create(name_fr="Commune de Ouagadougou", acronym="OUAGA", country="BF")
partners = []
for n in range(2):
    user = User.objects.create_user(f"partner{n}@ouaga.example", "correct-horse-battery-9")
    Membership.objects.create(user=user, organisation=organisation)
    partners.append(user)
connection.close()

# The first save holds its transaction open a while, so the second arrives while it is being written.
original_save = forms.OrganisationForm.save


def slow_save(self, *args, **kwargs):
    saved = original_save(self, *args, **kwargs)
    time.sleep(1.0)
    return saved


forms.OrganisationForm.save = slow_save

data = {"version": str(organisation.version), "acronym": "OUAGA", "kind": "municipality", "country": "BF"}
statuses = {}
start = threading.Barrier(2)


def save(n):
    client = Client()
    client.force_login(partners[n])
    start.wait()
    time.sleep(0.3 * n)
    response = client.post(f"/en/partners/organisations/{organisation.slug}/", {**data, "name_fr": f"Version {n}"})
    statuses[n] = response.status_code
    connection.close()


threads = [threading.Thread(target=save, args=(n,)) for n in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
organisation.refresh_from_db()
outcome = {"statuses": [statuses[0], statuses[1]], "name": organisation.name_fr, "version": organisation.version}
print(json.dumps(outcome))
