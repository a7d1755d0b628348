"""The vocabulary: one definition of every allowed value, its synonyms and its labels."""

from __future__ import annotations

import pytest

from geo import vocabulary as V
from geo.flag_rank import SEVERITIES


def test_every_term_has_both_labels_and_no_label_is_a_code() -> None:
    for vocab in V.VOCABULARIES.values():
        assert vocab.terms, vocab.name
        assert len(set(vocab.codes)) == len(vocab.codes), vocab.name
        for term in vocab.terms:
            assert term.label_es.strip() and term.label_en.strip(), term.code
            if "_" in term.code:  # a code with an underscore is never shown as is
                assert term.code not in (term.label_es, term.label_en), term.code


@pytest.mark.parametrize(("vocab", "spelling", "code"), [
    (V.KIND, "C.C.", "comunidad_campesina"),
    (V.KIND, "Comunidad Nativa", "comunidad_nativa"),
    (V.KIND, "OTB", "junta_vecinal"),
    (V.LEGAL_STATUS, "Inscrita", "registered"),
    (V.LEGAL_STATUS, "EN TRÁMITE", "in_process"),
    (V.LEGAL_STATUS, "sin personería", "none"),
    (V.TITLE_STATUS, "reconocida sin título", "recognised_untitled"),
    (V.SENSITIVITY, "restringida", "restricted"),
    (V.WATER_KIND, "puquio", "spring"),
    (V.WATER_KIND, "Bofedal", "wetland"),
    (V.WATER_USE, "consumo humano", "human"),
    (V.STAGE, "evaluación interna", "internal_evaluation"),
    (V.SUBSTANCE, "NM", "non_metallic"),
    (V.COUNTRY, "Perú", "PE"),
    (V.LEVEL, "municipio", "municipality"),
    (V.SEVERITY, "crítica", "critical"),
])
def test_synonyms_as_found_in_real_files(vocab: V.Vocabulary, spelling: str, code: str) -> None:
    assert vocab.parse(spelling) == code
    assert vocab.parse(code) == code


def test_unknown_spelling_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError):
        V.KIND.parse("cooperativa")
    with pytest.raises(ValueError):
        V.LEGAL_STATUS.parse("quizás")


def test_a_spelling_cannot_mean_two_codes() -> None:
    with pytest.raises(ValueError, match="two codes"):
        V.Vocabulary("x", (V.Term("a", "A", "A", ("z",)), V.Term("b", "B", "B", ("z",))), "x_")


def test_labels_in_both_languages_and_unknown_codes_shown_as_written() -> None:
    assert V.label("kind", "comunidad_campesina") == "Comunidad campesina"
    assert V.label("kind", "comunidad_campesina", "en") == "Peasant community"
    assert V.LEGAL_STATUS.label("registered", "en") == "Registered"
    assert V.WATER_USE.label("human") == "consumo humano"
    assert V.KIND.label(None) == "–"
    assert V.KIND.label("nuevo_tipo") == "nuevo_tipo"
    assert V.interface_labels("en")["legal_in_process"] == "In process"


def test_ranked_vocabularies_keep_their_order() -> None:
    assert V.SEVERITY.ranked
    assert V.SEVERITY.codes == SEVERITIES  # the flag ranking reads the same order
    assert V.SEVERITY.rank("critical") > V.SEVERITY.rank("high") > V.SEVERITY.rank("info")
    assert V.SEVERITY.rank("bogus") == -1
    assert V.SENSITIVITY.codes == ("public", "network", "restricted")


def test_sql_ordering_is_the_vocabulary_rank() -> None:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from geo.flag_rank import UNKNOWN_SEVERITY_RANK, severity_rank
    from layers.vocabulary_sql import rank_case

    sql = str(rank_case(sa.column("severity"), V.SEVERITY).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    for code in V.SEVERITY.codes:
        assert f"WHEN '{code}' THEN {severity_rank(code)}" in sql
    assert f"ELSE {UNKNOWN_SEVERITY_RANK}" in sql
