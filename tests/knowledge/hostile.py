"""Builders of crafted documents that once exhausted the extractor (the bench measures them too)."""

import io
import zipfile

from tests.knowledge.documents import make_docx

DOCUMENT_XML = "word/document.xml"
XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
XML_TAIL = b"</w:body></w:document>"


def spaces_heading_markdown(spaces: int = 3000) -> bytes:
    """A Markdown heading line of spaces between two words: the old heading pattern backtracked
    cubically over it (53 s of CPU for 3,000 spaces)."""
    return b"Intro.\n# a" + b" " * spaces + b"b\nBody text.\n"


def shared_content_pdf(pages: int = 500, stream_bytes: int = 100_000, *, as_form: bool = False) -> bytes:
    """A PDF whose pages all draw one compressed stream full of text: small on disk, but the text
    extractor interprets the stream once per page. With `as_form`, the stream is a form XObject that
    each page's one-operator content draws."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(_text_operations(stream_bytes))
    stream = stream.flate_encode()
    if as_form:
        stream[NameObject("/Type")] = NameObject("/XObject")
        stream[NameObject("/Subtype")] = NameObject("/Form")
        stream[NameObject("/BBox")] = ArrayObject([NumberObject(n) for n in (0, 0, 595, 842)])
        stream[NameObject("/Resources")] = fonts
        drawing = DecodedStreamObject()
        drawing.set_data(b"/X1 Do")
        resources = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/X1"): writer._add_object(stream)})}
        )
        contents = writer._add_object(drawing)
    else:
        resources, contents = fonts, writer._add_object(stream)
    resources = writer._add_object(resources)
    for _ in range(pages):
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Contents")] = contents
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_operations(size: int) -> bytes:
    operations, total, index = [], 0, 0
    while total < size:
        operation = f"BT /F1 9 Tf {40 + index % 7 * 70} {800 - index // 7 % 90 * 9} Td (word{index}) Tj ET\n"
        operations.append(operation)
        total += len(operation)
        index += 1
    return "".join(operations).encode()


def _replace_document_xml(write_body) -> bytes:
    """A real DOCX whose main part is rewritten by `write_body(file)`."""
    source = zipfile.ZipFile(io.BytesIO(make_docx([("Title", ["Text."])])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in source.infolist():
            if item.filename == DOCUMENT_XML:
                with archive.open(DOCUMENT_XML, "w", force_zip64=True) as part:
                    write_body(part)
            else:
                archive.writestr(item, source.read(item.filename))
    return out.getvalue()


def docx_bomb(expanded_bytes: int = 100 * 1024 * 1024) -> bytes:
    """A DOCX whose main part is `expanded_bytes` of tiny paragraphs, deflated about 1,000 to 1
    (100 MB in ~100 KB): python-docx built a tree of all of it, over 1 GB of memory."""
    block = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 30_000

    def write(part):
        part.write(XML_HEAD)
        for _ in range(max(1, expanded_bytes // len(block))):
            part.write(block)
        part.write(XML_TAIL)

    return _replace_document_xml(write)


def malformed_part_docx() -> bytes:
    """A DOCX whose zip is sound but whose main part is cut in the middle of a tag."""
    return _replace_document_xml(lambda part: part.write(XML_HEAD + b'<w:p><w:r><w:t xml:space="pre'))


def normal_docx(paragraphs: int) -> bytes:
    """An ordinary DOCX as Word writes one (revision ids, run properties) of `paragraphs` sentences from
    a few thousand words, a Heading 1 every 50 (the bench's floor)."""
    import random

    rng = random.Random(paragraphs)
    syllables = ["ca", "lo", "ri", "men", "tas", "do", "pre", "vi", "son", "tu", "gal", "ber", "nos", "fi"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
    run = '<w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri"/><w:sz w:val="22"/></w:rPr>'

    def write(part):
        part.write(XML_HEAD)
        for index in range(paragraphs):
            if index % 50 == 0:
                part.write(
                    f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Section {index // 50}</w:t>'
                    "</w:r></w:p>".encode()
                )
            sentence = " ".join(rng.choice(words) for _ in range(rng.randint(8, 22))).capitalize()
            part.write(
                f'<w:p w:rsidR="{rng.getrandbits(32):08X}" w:rsidRDefault="{rng.getrandbits(32):08X}">'
                f'<w:pPr><w:spacing w:after="120"/><w:jc w:val="both"/></w:pPr><w:r>{run}'
                f'<w:t xml:space="preserve">{sentence}.</w:t></w:r></w:p>'.encode()
            )
        part.write(XML_TAIL)

    return _replace_document_xml(write)


def normal_docx_of_size(size: int) -> bytes:
    """A normal_docx of about `size` bytes."""
    probe = normal_docx(2_000)
    template = len(normal_docx(1))
    return normal_docx(max(1, int(2_000 * (size - template) / max(len(probe) - template, 1))))
