"""Which files a case may hold, told by content: PDF, images, ODT, DOCX; everything else,
macro-enabled Word files and names that lie about the content are refused in two
languages."""

from __future__ import annotations

import io
import zipfile

import pytest

from geo import documents
from geo.errors import InputError


def _zip(entries: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in entries.items():
            z.writestr(name, text)
    return out.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


@pytest.mark.parametrize(("data", "name", "media"), [
    (b"%PDF-1.7\n...", "escrito.pdf", "application/pdf"),
    (b"%PDF-1.7\n...", "sin-extension", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "foto.PNG", "image/png"),
    (b"\xff\xd8\xff\xe0....", "foto.jpeg", "image/jpeg"),
    (b"II*\x00....", "plano.tif", "image/tiff"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "foto.webp", "image/webp"),
    (_zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
     "acta.odt", "application/vnd.oasis.opendocument.text"),
    (_zip({"[Content_Types].xml": f'<Types><Override ContentType="{DOCX_MAIN}"/></Types>',
           "word/document.xml": "<w/>"}), "acta.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_accepted_types_by_content(data: bytes, name: str, media: str) -> None:
    assert documents.detect(data, name).media_type == media


@pytest.mark.parametrize(("data", "name", "es"), [
    (b"MZ\x90\x00", "programa.exe", "no es de un tipo aceptado"),
    (b"<html><script>", "pagina.html", "no es de un tipo aceptado"),
    (_zip({"a.txt": "x"}), "archivo.zip", "no es de un tipo aceptado"),
    (_zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}), "hoja.odt",
     "no es de un tipo aceptado"),
    (_zip({"[Content_Types].xml": '<Types ContentType="application/vnd.ms-word.document.'
                                  'macroEnabled.main+xml"/>', "word/document.xml": "<w/>",
           "word/vbaProject.bin": "x"}), "macro.docx", "con macros"),
    (b"%PDF-1.4", "foto.png", "termina en «.png» pero es PDF"),
    (_zip({"mimetype": "application/vnd.oasis.opendocument.text" + " " * 50_000_000}),
     "bomba.odt", "no es de un tipo aceptado"),
    (b"", "vacio.pdf", "está vacío"),
])
def test_refused_with_a_bilingual_message(data: bytes, name: str, es: str) -> None:
    with pytest.raises(InputError) as err:
        documents.detect(data, name)
    assert err.value.code == "unsupported_document"
    text = str(err.value)
    assert es in text and "Se aceptan PDF" in text and "Accepted: PDF" in text


def test_download_names_are_safe_and_typed() -> None:
    pdf = documents.detect(b"%PDF-1.4", "x.pdf")
    assert documents.download_name('../../etc/"pass\nwd"', pdf) == "_pass_wd_.pdf"
    assert documents.download_name("Acta ñuñoa.PDF", pdf) == "Acta ñuñoa.PDF"
    assert documents.download_name("", pdf) == "documento.pdf"
