"""Interface languages: gettext catalogs read by Babel; Spanish and English complete,
Quechua and Aymara drafts started for the map page and legend; Spanish fills every gap."""

from __future__ import annotations

from babel.messages.pofile import read_po

from geo.maps import catalogs, labels

MAP_PAGE_KEYS = ("app_title", "search_placeholder", "legend", "layers_legend",
                 "layer_communities", "layer_water", "water_spring", "water_lake")


def test_spanish_and_english_are_complete() -> None:
    es, en = catalogs.catalog("es"), catalogs.catalog("en")
    assert len(es) > 150
    assert set(es) == set(en)
    assert all(v.strip() for v in (*es.values(), *en.values()))


def test_catalog_files_are_valid_gettext() -> None:
    for lang in catalogs.LANGUAGES:
        path = catalogs.LOCALE_DIR / lang.code / "LC_MESSAGES" / "allpa.po"
        with path.open("rb") as f:
            cat = read_po(f)
        assert len(cat) == len(catalogs.catalog("es")), lang.code


def test_drafts_start_with_the_map_page_and_fall_back_to_spanish() -> None:
    for code in ("quy", "ay"):
        assert next(x for x in catalogs.LANGUAGES if x.code == code).draft
        own = catalogs.catalog(code)
        assert all(k in own for k in MAP_PAGE_KEYS), code
        full = labels.bundle(code)
        assert set(full) == set(catalogs.catalog("es"))
        # an untranslated string reads in Spanish, never as a key or empty
        assert full["layer_boundaries"] == labels.t("es", "layer_boundaries")
        assert labels.t(code, "legend") != labels.t("es", "legend")
    assert labels.t("xx", "legend") == "Leyenda"  # unknown language: Spanish
    assert labels.lang_of("quy") == "es"  # data outputs stay in a complete language
