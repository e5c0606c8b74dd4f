"""Search-as-you-type on PostgreSQL's core full-text search (no extension needed).

Stored text and typed terms go through the same normalisation: lower case, accents removed
(so "Malmo" finds "Malmö" and "Szeged" finds "Szegedi"), every other character a word break.
Each typed word must be the start of a word in the record: "filma kov" finds
"Filmarchívum, Kovács". Phone numbers are also stored as one run of digits.
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery
from django.db import models

NOT_A_WORD_CHARACTER = re.compile(r"[^0-9a-z]+")
# Letters that Unicode does not decompose into a base letter and an accent.
TRANSLITERATION = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
)
MAX_TERMS = 8


def normalise_for_search(text: str) -> str:
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
