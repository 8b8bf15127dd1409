"""The printable agenda as PDF (WeasyPrint, the system's Pango and HarfBuzz), and a text layer that reads back
as the Thai that was printed.

WeasyPrint maps each glyph to the text of the cluster it was first drawn in. Thai marks share their base
letter's cluster, so a glyph first met inside "ผู้" stands for the whole cluster for the rest of the file and
copy, search and screen readers get garbled Thai ("ศูนย์" back as "ศ่นย์"). The fonts here map one glyph to one
letter, so the file is rewritten with each glyph mapped to its own letter: from the font's cmap, or for the
glyphs its GSUB puts in their place (lowered vowels, shifted tone marks), from the letter they replace. SARA
AM is given decomposed in the order HarfBuzz draws it (the very same glyphs), so the text layer holds
NIKHAHIT + SARA AA; `from_pdf_text` puts SARA AM back. Marks in one cluster may come back in another order than
typed (canonically equivalent; NFC restores it).
"""
import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from flask import render_template

SARA_AM, NIKHAHIT, SARA_AA = "\u0e33", "\u0e4d", "\u0e32"
THAI_TONES = "\u0e48\u0e49\u0e4a\u0e4b"
FONT_DIRS = (Path("/usr/share/fonts"),)  # Debian's fonts-thai-tlwg: Garuda.ttf, Garuda-Bold.ttf ...
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def pdf_text(text: str) -> str:
    """SARA AM as NIKHAHIT + SARA AA, NIKHAHIT before any tone mark: how HarfBuzz draws it anyway."""
    out = []
    for ch in text:
        if ch == SARA_AM:
            tones = ""
            while out and out[-1] in THAI_TONES:
                tones = out.pop() + tones
            out.extend([NIKHAHIT, *tones, SARA_AA])
        else:
            out.append(ch)
    return "".join(out)


def from_pdf_text(text: str) -> str:
    """Text read back from the PDF as it was written: SARA AM put back (the inverse of pdf_text) and marks in
    canonical order (NFC; the fonts draw a tone mark's glyph before a vowel below, e.g. ผู้ reads back as
    ผ + MAI THO + SARA UU, canonically the same text)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == NIKHAHIT:
            j = i + 1
            while j < len(text) and text[j] in THAI_TONES:
                j += 1
            if j < len(text) and text[j] == SARA_AA:
                out.append(text[i + 1:j] + SARA_AM)
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


def render(template: str, **context) -> bytes:
    """The template as PDF, fonts embedded, nothing fetched, with a text layer that reads back right."""
    from weasyprint import HTML

    html = pdf_text(render_template(template, **context))
    return fix_text_layer(HTML(string=html, url_fetcher=_no_fetching).write_pdf())


def _no_fetching(url, *args, **kwargs):
    raise ValueError(f"the agenda PDF fetches nothing ({url[:40]})")


@lru_cache(maxsize=16)
def _letters_of(postscript_name: str) -> dict[int, str] | None:
    """glyph id -> the letter it draws, for the system font of that name (None if not found)."""
    from fontTools.ttLib import TTFont

    path = next((p for folder in FONT_DIRS for suffix in ("ttf", "otf")
                 for p in folder.rglob(f"{postscript_name}.{suffix}")), None)
    if path is None:
        return None
    font = TTFont(path, lazy=True)
    letters = {font.getGlyphID(name): chr(code) for code, name in sorted(font.getBestCmap().items(), reverse=True)
               if not 0xE000 <= code <= 0xF8FF}  # private-use codes name the shifted marks: GSUB says which
    if "GSUB" in font:
        by_name = {font.getGlyphName(gid): letter for gid, letter in letters.items()}
        for _round in range(3):  # substitutes of substitutes
            for lookup in font["GSUB"].table.LookupList.Lookup:
                for sub in lookup.SubTable:
                    sub = getattr(sub, "ExtSubTable", sub)
                    for source, target in (getattr(sub, "mapping", None) or {}).items():
                        if isinstance(target, str) and source in by_name:
                            by_name.setdefault(target, by_name[source])
        letters = {font.getGlyphID(name): letter for name, letter in by_name.items()}
    return letters


def fix_text_layer(pdf: bytes) -> bytes:
    """Map every glyph of the embedded fonts to its own letter (see the module's docstring)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    done = set()
    for page in writer.pages:
        for ref in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = ref.get_object()
            cmap_ref = font.get("/ToUnicode")
            if cmap_ref is None or id(cmap_ref.get_object()) in done:
                continue
            letters = _letters_of(str(font["/BaseFont"]).split("+")[-1].lstrip("/"))
            if letters is None:
                continue
            stream = cmap_ref.get_object()
            done.add(id(stream))

            def remap(match, letters=letters):
                gid = int(match.group(1), 16)
                letter = letters.get(gid)
                if letter is None:
                    return match.group(0)
                return match.group(1).join((b"<", b"> <")) + letter.encode("utf-16-be").hex().encode() + b">"

            stream.set_data(_BFCHAR.sub(remap, stream.get_data()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
