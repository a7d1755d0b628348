"""What a person calls a district: its name and the units above it, Peru and Bolivia, and
never a bare code when the boundaries do not name it."""

from __future__ import annotations

from geo.admin_units import Unit, joined, label, matches

PE = {
    "210601": Unit("210601", "Huancané", "2106"),
    "2106": Unit("2106", "Huancané", "21"),
    "21": Unit("21", "Puno", None),
    "219901": Unit("219901", "Qhapaq Marka", "2199"),  # its province is not loaded
}
BO = {
    "020405": Unit("020405", "Escoma", "02"),
    "02": Unit("02", "La Paz", None),
    "020201": Unit("020201", "Achacachi", "02"),
}


def test_a_district_is_named_with_its_province_and_department() -> None:
    assert label("210601", "PE", PE) == "Huancané (Huancané, Puno)"
    assert label("2106", "PE", PE) == "Huancané (Puno)"
    assert label("21", "PE", PE) == "Puno"


def test_the_department_is_known_when_only_districts_were_imported() -> None:
    assert label("219901", "PE", PE) == "Qhapaq Marka (Puno)"
    assert label("219901", "PE", {"219901": Unit("219901", "Qhapaq Marka", "2199")}) == \
        "Qhapaq Marka (Puno)"
    assert label("02", "BO", {}) == "La Paz"


def test_a_bolivian_municipality_is_named_with_its_department_as_the_data_has_it() -> None:
    assert label("020405", "BO", BO) == "Escoma (La Paz)"
    assert label("020201", "BO", {"020201": Unit("020201", "ACHACACHI", "02"),
                                  "02": Unit("02", "LA PAZ", None)}) == "ACHACACHI (LA PAZ)"


def test_an_unnamed_unit_names_its_code_system_and_department() -> None:
    assert label("020499", "BO", BO) == "INE 020499 (La Paz)"
    assert label("219999", "PE", {}) == "ubigeo 219999 (Puno)"
    assert label("999999", "PE", {}) == "ubigeo 999999"


def test_a_parent_loop_in_the_data_ends() -> None:
    loop = {"111111": Unit("111111", "A", "1111"), "1111": Unit("1111", "B", "111111")}
    assert label("111111", "PE", loop) == "A (B, Ica)"


def test_names_match_without_case_or_accents() -> None:
    assert matches("huancane", "Huancané", "Huancané (Huancané, Puno)")
    assert matches(" HUANCANÉ (huancane, puno) ", "Huancané", "Huancané (Huancané, Puno)")
    assert not matches("Huanca", "Huancané", "Huancané (Huancané, Puno)")
    assert not matches("  ", "Huancané", "Huancané (Huancané, Puno)")
    assert joined(["Escoma (La Paz)", "Escoma (La Paz)", "X (Puno)"]) == \
        "Escoma (La Paz) / X (Puno)"
