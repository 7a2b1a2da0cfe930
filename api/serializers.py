"""What the JSON API shows. A translated field comes three times: in the request's language (falling back
to the other one, like the pages) and in each language as stored (`name`, `name_fr`, `name_en`)."""

from django.urls import reverse
from rest_framework import serializers

from experiences.models import Donor, Experience
from institutions.models import Sector, SectorCategory


def translated(*fields):
    return [f"{field}{suffix}" for field in fields for suffix in ("", "_fr", "_en")]


class SectorCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = SectorCategory
        fields = ["code", *translated("name"), "withdrawn"]


class SectorSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", help_text="The 3-digit category's code.")

    class Meta:
        model = Sector
        fields = ["code", *translated("name"), "category", "withdrawn"]


class DonorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Donor
        fields = ["id", "acronym", *translated("name")]


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    name = serializers.CharField()
    name_fr = serializers.CharField()
    name_en = serializers.CharField()


class FundingSerializer(serializers.Serializer):
    donor = serializers.IntegerField(source="donor_id", help_text="The donor's id (see /api/v1/donors/).")
    donor_name = serializers.CharField(source="donor.__str__", help_text="Its acronym, else its name.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="EUR.")


class ExperienceSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display")
    sectors = serializers.SerializerMethodField(help_text="OECD DAC 5-digit codes.")
    countries = serializers.SerializerMethodField(help_text="ISO 3166-1 alpha-2 codes.")
    fundings = FundingSerializer(many=True)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="EUR.")

    class Meta:
        model = Experience
        fields = [
            "id",
            *translated("title", "objectives", "results"),
            "role",
            "role_label",
            "start_date",
            "end_date",
            "cost",
            "sectors",
            "countries",
            "fundings",
            "updated",
        ]

    def get_sectors(self, experience) -> list[str]:
        return [sector.code for sector in experience.sectors.all()]

    def get_countries(self, experience) -> list[str]:
        return [row.country.code for row in experience.countries.all()]


class CompetenceSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    code = serializers.CharField(source="sector.code")
    name = serializers.CharField(source="sector.name")
    name_fr = serializers.CharField(source="sector.name_fr")
    name_en = serializers.CharField(source="sector.name_en")


class OrganisationSerializer(serializers.Serializer):
    """An organisation in a list: what a result row shows, and the addresses of the rest."""

    slug = serializers.SlugField()
    url = serializers.SerializerMethodField(help_text="This organisation in the API.")
    profile_url = serializers.SerializerMethodField(help_text="Its page, in the request's language.")
    iati_url = serializers.SerializerMethodField(help_text="Its experiences as IATI 2.03 activities.")
    name = serializers.CharField()
    name_fr = serializers.CharField(allow_null=True)
    name_en = serializers.CharField(allow_null=True)
    acronym = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    city = serializers.CharField()
    country = serializers.CharField(source="country.code")
    country_name = serializers.CharField(source="country.name")
    competences = serializers.SerializerMethodField(help_text="OECD DAC 5-digit codes, by rank (then code).")
    experience_count = serializers.IntegerField()
    updated = serializers.DateTimeField()

    def _absolute(self, url):
        return self.context["request"].build_absolute_uri(url)

    def get_url(self, organisation) -> str:
        return self._absolute(reverse("api:organisation", args=[organisation.slug]))

    def get_profile_url(self, organisation) -> str:
        return self._absolute(organisation.get_absolute_url())

    def get_iati_url(self, organisation) -> str:
        return self._absolute(reverse("opendata:iati_organisation", args=[organisation.slug]))

    def get_competences(self, organisation) -> list[str]:
        # "rank:code" pairs (api.v1.competence_codes): a rank is one digit (1 to 5), so they sort as text.
        return [pair.split(":")[1] for pair in sorted((organisation.competence_codes or "").split())]


class OrganisationDetailSerializer(OrganisationSerializer):
    """One organisation: every field of its profile, its competences and its experiences."""

    street = serializers.CharField()
    zip_code = serializers.CharField()
    website = serializers.CharField()
    email = serializers.CharField()
    telephone = serializers.CharField()
    fax = serializers.CharField()
    description = serializers.CharField()
    description_fr = serializers.CharField(allow_null=True)
    description_en = serializers.CharField(allow_null=True)
    iati_identifier = serializers.CharField(help_text="From org-id.guide; empty when the organisation has none.")
    competences = CompetenceSerializer(many=True)
    experiences = ExperienceSerializer(many=True)
