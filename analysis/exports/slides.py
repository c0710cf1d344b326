"""Slides: a deck of sections as PPTX, charts as images."""

from __future__ import annotations

import datetime as dt
import io
import numbers
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.exports.images import figure_png
from analysis.exports.safe import clean_text, with_index
from analysis.exports.sections import check_sections, format_value, notes_list, timestamp


def _cell_text(value) -> str:
    try:
        if value is None or pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return clean_text(format_value(value) if isinstance(value, numbers.Number) else value)


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first two fields of the IHDR chunk.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _pptx():
    """python-pptx's pieces, imported on first use: the rest of the exports work without the package."""
    try:
        from pptx import Presentation
        from pptx.dml.color import RGBColor
        from pptx.util import Inches, Pt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("Slides need the python-pptx package (pip install python-pptx).") from exc
    return Presentation, RGBColor, Inches, Pt


class _Deck:
    """A 16:9 presentation and the few shapes Continuum's slides are made of (sizes in inches)."""

    def __init__(self):
        presentation, rgb, self.inches, self.pt = _pptx()
        self.grey = rgb(0x55, 0x55, 0x55)
        self.prs = presentation()
        self.prs.slide_width, self.prs.slide_height = self.inches(13.333), self.inches(7.5)
        self.title_layout, self.title_only = self.prs.slide_layouts[0], self.prs.slide_layouts[5]

    def text_box(self, slide, left, top, width, height, lines, size=14, color=None):
        inches = self.inches
        box = slide.shapes.add_textbox(inches(left), inches(top), inches(width), inches(height))
        frame = box.text_frame
        frame.word_wrap = True
        for k, (line, line_size, bold) in enumerate(lines):
            para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = clean_text(line)
            run.font.size = self.pt(line_size or size)
            run.font.bold = bold
            if color is not None:
                run.font.color.rgb = color
        return box

    @staticmethod
    def set_notes(slide, chunks):
        text = "\n\n".join(clean_text(c) for c in chunks if c and str(c).strip())
        if text:
            slide.notes_slide.notes_text_frame.text = text

    def place_title(self, slide, text):
        inches = self.inches
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = inches(0.5), inches(0.25), inches(12.3), inches(0.9)
        shape.text = clean_text(text)
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = self.pt(30)

    def footer(self, slide, caption):
        if caption:
            self.text_box(slide, 0.5, 6.95, 12.3, 0.4, [(f"Filters: {caption}", 11, False)], color=self.grey)

    def picture(self, slide, fig, left, top, width, height):
        inches = self.inches
        png = figure_png(fig, scale=2)
        w, h = _png_size(png)
        ratio = min(width / w, height / h)
        slide.shapes.add_picture(io.BytesIO(png), inches(left), inches(top), inches(w * ratio), inches(h * ratio))

    def table(self, slide, df, left, top, width, height):
        inches = self.inches
        frame = with_index(df).head(12).iloc[:, :8]
        rows, cols = frame.shape[0] + 1, frame.shape[1]
        shape = slide.shapes.add_table(rows, cols, inches(left), inches(top), inches(width),
                                       inches(min(height, 0.4 * rows)))
        grid = shape.table
        for c, name in enumerate(frame.columns):
            grid.cell(0, c).text = clean_text(name)
        for r, values in enumerate(frame.astype(object).itertuples(index=False), start=1):
            for c, v in enumerate(values):
                grid.cell(r, c).text = _cell_text(v)
        for r in range(rows):
            for c in range(cols):
                for para in grid.cell(r, c).text_frame.paragraphs:
                    for run in para.runs:
                        run.font.size = self.pt(11)

    def title_slide(self, title: str, filters_caption: str | None, when: dt.datetime, notes) -> None:
        inches = self.inches
        slide = self.prs.slides.add_slide(self.title_layout)
        slide.shapes.title.left, slide.shapes.title.top = inches(0.8), inches(2.0)
        slide.shapes.title.width, slide.shapes.title.height = inches(11.7), inches(1.6)
        slide.shapes.title.text = clean_text(title or "Continuum")
        sub = slide.placeholders[1]
        sub.left, sub.top, sub.width, sub.height = inches(0.8), inches(3.8), inches(11.7), inches(1.8)
        sub.text = clean_text(f"Filters: {filters_caption}" if filters_caption else "All data")
        sub.text_frame.add_paragraph().text = clean_text(f"Generated {when.strftime('%d %b %Y, %H:%M %Z').strip()}"
                                                          " by Continuum")
        self.set_notes(slide, notes_list(notes))

    def section(self, sec: Mapping, filters_caption: str | None) -> None:
        """One slide for the section (its first chart, else its first table; metrics and text beside),
        then a "(continued)" slide for each further chart."""
        heading = str(sec.get("heading") or "")
        caption = sec.get("caption") or filters_caption
        metrics = list(sec.get("metrics") or [])
        text = str(sec.get("text") or "")
        figures = [f for f in sec.get("figures") or [] if f is not None]
        tables = [t for t in sec.get("tables") or [] if t is not None and t.shape[1] and not t.empty]
        side = metrics or text
        main_w = 8.6 if side else 12.3
        slide = self.prs.slides.add_slide(self.title_only)
        self.place_title(slide, heading)
        if figures:
            self.picture(slide, figures[0], 0.5, 1.3, main_w, 5.5)
        elif tables:
            self.table(slide, tables[0], 0.5, 1.3, main_w, 5.5)
        elif not side:
            self.text_box(slide, 0.5, 1.3, 12.3, 5.5, [("No chart or table in this section.", 18, False)],
                          color=self.grey)
        if side:
            lines = []
            for label, value in metrics:
                lines += [(str(label), 14, False), (format_value(value), 28, True)]
            if text:
                lines.append((text, 14, False))
            left, width = (9.4, 3.4) if (figures or tables) else (0.5, 12.3)
            self.text_box(slide, left, 1.3, width, 5.5, lines)
        self.footer(slide, caption)
        self.set_notes(slide, notes_list(sec.get("notes")) + ([text] if text else []) + [
            f"Filters: {caption}" if caption else ""])
        for k, fig in enumerate(figures[1:], start=2):
            slide = self.prs.slides.add_slide(self.title_only)
            self.place_title(slide, f"{heading} (continued, {k} of {len(figures)})")
            self.picture(slide, fig, 0.5, 1.3, 12.3, 5.5)
            self.footer(slide, caption)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def pptx_deck(title: str, sections: Sequence[Mapping], filters_caption: str | None, notes=None, *,
              generated_at: dt.datetime | None = None) -> bytes:
    """A 16:9 PowerPoint deck (python-pptx): a title slide, then one slide per section.

    Each section slide shows its first chart as a PNG (kaleido), its metrics and text,
    and its filters in words at the bottom; notes go in the slide notes. A section's
    further charts get "(continued)" slides; a section without a chart shows its first
    table (up to 12 rows). Raises ChromiumNotFound if a chart needs drawing without a browser.
    """
    deck = _Deck()
    sections = check_sections(sections)
    deck.title_slide(title, filters_caption, timestamp(generated_at), notes)
    for sec in sections:
        deck.section(sec, filters_caption)
    return deck.to_bytes()
