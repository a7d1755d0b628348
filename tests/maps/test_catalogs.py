"""Interface languages: gettext catalogs read by Babel; Spanish and English complete,
Quechua and Aymara drafts started for the map page and legend; Spanish fills every gap."""

from __future__ import annotations

from babel.messages.pofile import read_po

from geo.maps import catalogs, labels

MAP_PAGE_KEYS = ("app_title", "search_placeholder", "legend", "layers_legend",
                 "layer_communities", "layer_water", "water_spring", "water_lake")


def test_spanish_and_english_are_complete() -> None:
    es, en = labels.bundle("es"), labels.bundle("en")
    assert len(es) > 150
    assert set(es) == set(en)
    assert all(v.strip() for v in (*es.values(), *en.values()))


def test_catalog_files_are_valid_gettext() -> None:
    for lang in catalogs.LANGUAGES:
        path = catalogs.LOCALE_DIR / lang.code / "LC_MESSAGES" / "allpa.po"
        with path.open("rb") as f:
            cat = read_po(f)
        if lang.code in catalogs.COMPLETE:
            assert len(cat) == len(catalogs.catalog("es")), lang.code
        else:  # drafts: the interface strings plus the value labels they translate
            own = {str(m.id) for m in cat if m.id}
            assert own <= set(labels.bundle("es")), lang.code


def test_drafts_start_with_the_map_page_and_fall_back_to_spanish() -> None:
    for code in ("quy", "ay"):
        assert next(x for x in catalogs.LANGUAGES if x.code == code).draft
        own = catalogs.catalog(code)
        assert all(k in own for k in MAP_PAGE_KEYS), code
        full = labels.bundle(code)
        assert set(full) == set(labels.bundle("es"))
        # an untranslated string reads in Spanish, never as a key or empty
        assert full["layer_boundaries"] == labels.t("es", "layer_boundaries")
        assert labels.t(code, "legend") != labels.t("es", "legend")
    assert labels.t("xx", "legend") == "Leyenda"  # unknown language: Spanish
    assert labels.lang_of("quy") == "es"  # data outputs stay in a complete language


def test_value_labels_come_from_the_vocabulary() -> None:
    """The gettext catalogs of the complete languages hold no value label: the vocabulary is
    their one source; drafts may translate one, and fall back to its Spanish label."""
    from geo.vocabulary import interface_labels

    for code in catalogs.COMPLETE:
        assert not set(catalogs.catalog(code)) & set(interface_labels(code)), code
        for key, text in interface_labels(code).items():
            assert labels.t(code, key) == text
    assert labels.t("en", "legal_registered") == "Registered"
    assert labels.t("es", "kind_comunidad_campesina") == "Comunidad campesina"
    assert labels.t("quy", "water_spring") == "Pukyu"  # the draft's own word
    assert labels.t("quy", "use_human") == "consumo humano"  # Spanish fallback
    assert labels.value_label("title_status", "recognised_untitled", "en") == \
        "Recognised, untitled"
