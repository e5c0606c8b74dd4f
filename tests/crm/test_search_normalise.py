"""crm.search.normalise_for_search takes a shortcut for ASCII text; it must give exactly what the
full path (case folding, transliteration, accents stripped) gives."""

import re
import string
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from crm.search import NOT_A_WORD_CHARACTER, TRANSLITERATION, normalise_for_search


def full_path(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(TRANSLITERATION))
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = NOT_A_WORD_CHARACTER.sub(" ", without_accents).split()
    digits = "".join(re.findall(r"\d", text))
    if len(digits) >= 6:
        words.append(digits)
    return " ".join(words)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_any_ascii_text_normalises_as_through_the_full_path(text):
    assert normalise_for_search(text) == full_path(text)


def test_every_ascii_character_alone():
    for char in map(chr, range(128)):
        assert normalise_for_search(f"A{char}b +46 70 123") == full_path(f"A{char}b +46 70 123")
    assert normalise_for_search(string.printable) == full_path(string.printable)


def test_non_ascii_text_still_loses_its_accents():
    assert normalise_for_search("Ström Ærø Łódź") == "strom aero lodz"
