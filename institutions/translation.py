"""Translated content fields (FR/EN), then history.

History is registered here, after the translation options, on purpose: a HistoricalRecords() declared on
the model would be built before the name_fr/name_en fields exist and saving would fail.
"""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from .models import Competence, Organisation, Sector, SectorCategory


@register(SectorCategory)
class SectorCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = ()


simple_history.register(Organisation)
simple_history.register(Competence)
