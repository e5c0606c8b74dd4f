"""Search-as-you-type on PostgreSQL's core full-text search (no extension needed), and the lists
whose filter bars the admin's search configuration shapes.

Stored text and typed terms go through the same normalisation: lower case, accents removed
(so "Malmo" finds "Malmö" and "Szeged" finds "Szegedi"), every other character a word break.
Each typed word must be the start of a word in the record: "filma kov" finds
"Filmarchívum, Kovács". Phone numbers are also stored as one run of digits.

Searchable lists register themselves from their app's ``AppConfig.ready`` with
``register_search_list``; the search configuration (crm.models.SearchField) offers exactly
the registered lists, so a new app's list needs no migration here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db import models

NOT_A_WORD_CHARACTER = re.compile(r"[^0-9a-z]+")
# Letters that Unicode does not decompose into a base letter and an accent.
TRANSLITERATION = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
)
MAX_TERMS = 8


def normalise_for_search(text: str) -> str:
    if text.isascii():
        # Case folding is lower() and nothing else changes an ASCII character: the same result,
        # ~2x faster for the bulk of an import's names and addresses.
        without_accents = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(TRANSLITERATION))
        without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = NOT_A_WORD_CHARACTER.sub(" ", without_accents).split()
    digits = "".join(re.findall(r"\d", text))
    if len(digits) >= 6:
        words.append(digits)
    return " ".join(words)


def search_query(term: str) -> SearchQuery | None:
    """A prefix query for every typed word, or None when nothing searchable was typed."""
    words = NOT_A_WORD_CHARACTER.sub(" ", normalise_for_search(term)).split()
    digits = "".join(re.findall(r"\d", term))
    if len(digits) >= 6:
        # A phone number typed in groups ("+46 70 123 45 67") is stored as one run of digits.
        words = [word for word in words if not word.isdigit()] + [digits]
    words = words[:MAX_TERMS]
    if not words:
        return None
    return SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")


def search(queryset: models.QuerySet, term: str) -> models.QuerySet:
    query = search_query(term)
    if query is None:
        return queryset
    return queryset.filter(search_vector=query)


class SearchableModel(models.Model):
    """A record found by the search box: accent-free words in `search_text`, indexed as tsvector."""

    search_text = models.TextField(editable=False, blank=True, default="")
    search_vector = models.GeneratedField(
        expression=SearchVector("search_text", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Derived data kept in step with the row, whichever service saves it.
        self.search_text = normalise_for_search(" ".join(word for word in self.search_words() if word))
        super().save(*args, **kwargs)

    def search_words(self) -> list[str]:
        raise NotImplementedError


# -- Lists the search configuration shapes ----------------------------------------------------


@dataclass(frozen=True)
class SearchList:
    name: str  # the value stored in SearchField.list_name, at most 20 characters
    label: str
    model: type[models.Model]
    # The filter bar of the list (a crm.filters.ConfigurableFilterSet); its configurable_fields
    # are the fields the admin may pick for this list.
    filterset: type | None = None


_search_lists: dict[str, SearchList] = {}


def register_search_list(
    name: str, label: str, model: type[models.Model], filterset: type | None = None
) -> None:
    """Offer the list called `name` in the admin's search configuration."""
    _search_lists[name] = SearchList(name=name, label=label, model=model, filterset=filterset)


def search_list(name: str) -> SearchList | None:
    return _search_lists.get(name)


def search_list_choices() -> list[tuple[str, str]]:
    """The choices of SearchField.list_name: every registered list, in registration order."""
    return [(entry.name, entry.label) for entry in _search_lists.values()]
