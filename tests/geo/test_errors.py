"""A bilingual domain error keeps its two languages apart whatever text it quotes."""

from __future__ import annotations

from geo.errors import InputError, bilingual


def test_quoted_separator_does_not_move_the_split() -> None:
    column = "norte / sur"
    exc = InputError(bilingual(f"columna desconocida «{column}»", f"unknown column «{column}»"))
    assert exc.message_es == "columna desconocida «norte / sur»"
    assert exc.message_en == "unknown column «norte / sur»"
    assert str(exc) == "columna desconocida «norte / sur» / unknown column «norte / sur»"


def test_plain_string_messages_carry_no_halves() -> None:
    exc = InputError("solo español / English only")
    assert not hasattr(exc, "message_es")


def test_bilingual_message_survives_pickling() -> None:
    import pickle

    message = pickle.loads(pickle.dumps(bilingual("a / b", "c")))
    assert (message.es, message.en) == ("a / b", "c")
