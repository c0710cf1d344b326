"""Exports: formula-safe CSV/XLSX, chart images through the system Chromium, offline HTML and slides."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest
from openpyxl import load_workbook

from analysis import charts, exports
from analysis.exports import images, slides

HOSTILE = "<script>alert(1)</script>"
INJECTIONS = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
SAFE_TEXT = ["'already'", "normal text", "Café in Zürich"]


def cases_frame() -> pd.DataFrame:
    texts = INJECTIONS + SAFE_TEXT + [None]
    return pd.DataFrame({"text": texts, "amount": [-5] + list(range(1, len(texts))),
                         "share": [0.5] * (len(texts) - 1) + [np.nan]})


# -- neutralising ------------------------------------------------------------
@pytest.mark.parametrize("value", INJECTIONS + ["-5"])
def test_neutralise_prefixes_formula_text(value):
    assert exports.neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", [-5, 3.25, True, np.int64(-7), np.float64(-0.5), np.bool_(False), 0])
def test_numbers_stay_numbers(value):
    out = exports.neutralise_cell(value)
    assert out is value


def test_neutralise_leaves_safe_and_missing_values():
    for value in SAFE_TEXT + ["", " =padded"]:
        assert exports.neutralise_cell(value) == value
    assert exports.neutralise_cell(None) is None
    assert np.isnan(exports.neutralise_cell(float("nan")))
    assert exports.neutralise_cell(pd.NaT) is pd.NaT
    day = dt.date(2024, 1, 2)
    assert exports.neutralise_cell(day) is day

    class Sneaky:
        def __str__(self):
            return "=cmd|' /C calc'!A0"

    assert exports.neutralise_cell(Sneaky()) == "'=cmd|' /C calc'!A0"


def test_safe_frame_column_by_column():
    df = pd.DataFrame({
        "text": ["=1+1", "ok", None],
        "int": [-5, 2, 3],
        "float": [-1.5, np.nan, 2.0],
        "flag": [True, False, True],
        "when": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
        "mixed": [-5, "=x", np.nan],
        "cat": pd.Categorical(["-a", "b", "-a"]),
        "=evil header": ["a", "b", "c"],
    })
    before = df.copy()
    out = exports.safe_frame(df)
    pd.testing.assert_frame_equal(df, before)  # the input is not changed
    for col in ("int", "float", "flag", "when"):
        pd.testing.assert_series_equal(out[col], df[col])
    assert out["text"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out["text"].iloc[2])
    assert out["mixed"].iloc[0] == -5 and isinstance(out["mixed"].iloc[0], int)
    assert out["mixed"].iloc[1] == "'=x" and pd.isna(out["mixed"].iloc[2])
    assert out["cat"].tolist() == ["'-a", "b", "'-a"]
    assert list(out.columns)[-1] == "'=evil header"


def test_safe_frame_is_vectorised_enough():
    big = pd.DataFrame({"text": ["=1+1", "plain", "-x", "ok"] * 50_000, "n": range(200_000)})
    started = time.perf_counter()
    out = exports.safe_frame(big)
    assert time.perf_counter() - started < 2.0
    assert out["text"].iloc[:4].tolist() == ["'=1+1", "plain", "'-x", "ok"]


# -- CSV -----------------------------------------------------------------------
def test_csv_neutralises_and_keeps_numbers():
    data = exports.to_csv_bytes(cases_frame())
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8 accents
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype={"text": str})
    texts = back["text"].tolist()
    assert texts[:len(INJECTIONS)] == ["'" + v for v in INJECTIONS]
    assert all(t.startswith("'") for t in texts[:len(INJECTIONS)])
    assert texts[len(INJECTIONS):-1] == SAFE_TEXT
    assert texts[-1] == ""  # missing stays empty
    assert back["amount"].iloc[0] == -5 and pd.api.types.is_integer_dtype(back["amount"])
    assert back["share"].iloc[-1] == ""


def test_csv_empty_frames_and_named_index():
    assert exports.to_csv_bytes(pd.DataFrame()) == b"\xef\xbb\xbf"
    assert exports.to_csv_bytes(pd.DataFrame(columns=["a", "b"])) == b"\xef\xbb\xbfa,b\r\n"
    by_channel = pd.DataFrame({"n": [3, 1]}, index=pd.Index(["=phone", "email"], name="channel"))
    back = pd.read_csv(io.BytesIO(exports.to_csv_bytes(by_channel)), encoding="utf-8-sig")
    assert back.to_dict("list") == {"channel": ["'=phone", "email"], "n": [3, 1]}
    plain = pd.DataFrame({"n": [1, 2]}, index=[7, 9])  # a filtered frame's leftover row numbers are dropped
    assert pd.read_csv(io.BytesIO(exports.to_csv_bytes(plain)), encoding="utf-8-sig").columns.tolist() == ["n"]


# -- XLSX ----------------------------------------------------------------------
def test_xlsx_text_is_text_never_formula():
    data = exports.to_xlsx_bytes(cases_frame(), sheet_name="cases", caption="Filtered: segment Premium")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["cases"]
    assert ws["A1"].value == "Filtered: segment Premium"
    assert [c.value for c in ws[2]] == ["text", "amount", "share"]
    for i, value in enumerate(INJECTIONS):
        cell = ws.cell(row=3 + i, column=1)
        assert cell.data_type == "s", value
        assert cell.value == "'" + value
    for i, value in enumerate(SAFE_TEXT):
        assert ws.cell(row=3 + len(INJECTIONS) + i, column=1).value == value
    amount = ws.cell(row=3, column=2)
    assert amount.value == -5 and amount.data_type == "n"
    last = 2 + len(cases_frame())
    assert ws.cell(row=last, column=1).value is None and ws.cell(row=last, column=3).value is None
    assert ws.freeze_panes == "A3"


def test_xlsx_odd_inputs():
    df = pd.DataFrame({"t": ["\x01=cmd", "bell\x07", "x" * 40_000],
                       "when": pd.to_datetime(["2024-01-01 10:00"] * 3).tz_localize("Europe/Paris"),
                       "obj": [[1, 2], {"a": 1}, None]})
    ws = load_workbook(io.BytesIO(exports.to_xlsx_bytes(df, sheet_name="a/b:c?", caption="=SUM(1)"))).active
    assert ws.title == "a b c"
    assert ws["A1"].value == "'=SUM(1)" and ws["A1"].data_type == "s"
    # A control character stripped for XML must not uncover a formula.
    assert ws["A3"].value == "'=cmd" and ws["A3"].data_type == "s"
    assert ws["A4"].value == "bell"
    assert len(ws["A5"].value) == 32_767
    assert ws["B3"].value == dt.datetime(2024, 1, 1, 9, 0)  # UTC wall clock
    assert ws["C3"].value == "[1, 2]" and ws["C5"].value is None


def test_xlsx_empty_frames():
    for df in (pd.DataFrame(), pd.DataFrame(columns=["a", "b"])):
        ws = load_workbook(io.BytesIO(exports.to_xlsx_bytes(df))).active
        assert ws.title == "data"
    ws = load_workbook(io.BytesIO(exports.to_xlsx_bytes(pd.DataFrame(columns=["a", "b"])))).active
    assert [c.value for c in ws[1]] == ["a", "b"] and ws.max_row == 1


# -- HTML ----------------------------------------------------------------------
class _Attributes(HTMLParser):
    """Every tag's attributes (script bodies are not parsed as tags, as in a browser)."""

    def __init__(self):
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def parse(page: str) -> _Attributes:
    p = _Attributes()
    p.feed(page)
    return p


def external_links(page: str) -> list[tuple[str, str, str]]:
    return [(t, k, v) for t, k, v in parse(page).attrs
            if k in ("src", "href", "action", "data", "poster") and v.strip().lower().startswith(("http", "//"))]


def bar(title="Calls per channel", caption="All data"):
    return charts.finish(go.Figure(go.Bar(x=["phone", "email"], y=[3, 1])), title, caption)


def test_figure_html_is_standalone():
    page = exports.figure_html(bar())
    assert external_links(page) == []
    assert len(page) > 1_000_000  # plotly.js is inside
    assert "<title>Calls per channel All data</title>" in page
    assert "Content-Security-Policy" in page
    assert "script" in parse(page).tags and not any(k == "src" for t, k, _ in parse(page).attrs if t == "script")


def test_report_escapes_hostile_strings():
    table = pd.DataFrame({HOSTILE: [HOSTILE, "fine"], "n": [1, 2]})
    fig = go.Figure(go.Bar(x=[HOSTILE], y=[1], name=HOSTILE))
    page = exports.html_report(
        HOSTILE, [{"heading": HOSTILE, "text": HOSTILE + "\n\nsecond paragraph", "caption": "segment " + HOSTILE,
                   "notes": HOSTILE, "metrics": [(HOSTILE, 1234.5), ("Share", 0.1234)], "figures": [fig],
                   "tables": [table]}],
        "Filtered: segment Premium", notes=[HOSTILE, "Run the phone what-if next"],
        generated_at=dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC))
    assert HOSTILE not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 7
    assert "Filters: Filtered: segment Premium" in page
    assert "Run the phone what-if next" in page
    assert "1,234.50" in page and "0.123" in page
    assert "26 Nov 2026, 10:30 UTC" in page
    assert external_links(page) == []
    assert "<p>second paragraph</p>" in page
    assert "@media print" in page


def test_report_plotly_once_and_only_when_needed():
    marker = plotly.offline.get_plotlyjs()[:200]
    two = exports.html_report("Deck", [{"heading": "A", "figures": [bar(), bar()]}, {"heading": "B",
                                                                                     "figures": [bar()]}], None)
    assert two.count(marker) == 1
    assert two.count('class="plotly-graph-div"') == 3
    text_only = exports.html_report("Notes", [{"heading": "A", "text": "t", "tables": [pd.DataFrame()]}], "All data")
    assert marker not in text_only and len(text_only) < 20_000
    assert "No rows under these filters." in text_only
    nothing = exports.html_report("Empty", [], "All data")
    assert "no sections" in nothing


def test_report_truncates_long_tables_and_checks_keys():
    page = exports.html_report("T", [{"tables": [pd.DataFrame({"n": range(30)})]}], None, max_table_rows=10)
    assert "first 10 of 30 rows" in page and page.count("<tr") == 11
    with pytest.raises(ValueError, match="unknown keys \\['figure'\\]"):
        exports.html_report("T", [{"figure": bar()}], None)


def test_format_value():
    assert [exports.format_value(v) for v in (1234, 1234.5, 0.1234, 2.0, None, float("nan"), True, "12%")] == \
        ["1,234", "1,234.50", "0.123", "2", "–", "–", "yes", "12%"]


# -- chart images (kaleido with the system Chromium) ------------------------------
def test_missing_chromium_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CONTINUUM_CHROMIUM", "/nowhere/chromium")
    with pytest.raises(exports.ChromiumNotFound, match="CONTINUUM_CHROMIUM"):
        exports.chromium_path()
    monkeypatch.delenv("CONTINUUM_CHROMIUM")
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(images, "_is_exe", lambda path: False)
    with pytest.raises(exports.ChromiumNotFound, match="apt-get install chromium"):
        exports.chromium_path()


@pytest.fixture(scope="module")
def renderer():
    """Chromium started once for this module (about 2 s); each image afterwards takes about 0.15 s."""
    try:
        exports.chromium_path()
    except exports.ChromiumNotFound as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium is required in CI for the chart image exports: {exc}")
        pytest.skip(f"chromium is not available, so chart images cannot be drawn: {exc}")
    exports.figure_png(go.Figure(), scale=1)


def test_png(renderer):
    png = exports.figure_png(bar(), scale=2, width=600, height=300)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert slides._png_size(png) == (1200, 600)


def test_svg(renderer):
    svg = exports.figure_svg(bar())
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Calls per channel" in svg


def test_images_of_empty_figures(renderer):
    for fig in (go.Figure(), charts.empty("Nothing here")):
        assert exports.figure_png(fig, scale=1).startswith(b"\x89PNG")
        assert ET.fromstring(exports.figure_svg(fig)).tag.endswith("svg")
    with pytest.raises(TypeError, match="plotly Figure"):
        exports.figure_png(None)


def test_report_with_static_images_has_no_script(renderer):
    page = exports.html_report("Static", [{"heading": "A", "figures": [bar()]}], "All data", static_images=True)
    assert "<script" not in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert external_links(page) == []


def test_pptx_deck(renderer):
    pptx = pytest.importorskip("pptx", reason="python-pptx is not installed")
    sections = [
        {"heading": "Phone focus", "metrics": [("Calls", 1234), ("Share public", 0.25)], "figures": [bar()],
         "notes": "Premium callers first", "caption": "segment Premium"},
        {"heading": "Two charts\x0b", "figures": [bar(), charts.empty("Nothing")]},
        {"heading": "Table only", "tables": [pd.DataFrame({"channel": ["=phone", "email"], "n": [3, 1]})]},
        {"heading": "Words only", "text": "Nothing drawn here."},
    ]
    data = exports.pptx_deck("Workshop", sections, "All data", notes="Deck notes",
                             generated_at=dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC))
    prs = pptx.Presentation(io.BytesIO(data))
    slides = list(prs.slides)
    assert len(slides) == 1 + 4 + 1  # title, four sections, one continuation slide
    assert slides[0].shapes.title.text == "Workshop"
    assert "Filters: All data" in slides[0].placeholders[1].text
    assert slides[0].notes_slide.notes_text_frame.text == "Deck notes"
    first = slides[1]
    assert first.shapes.title.text == "Phone focus"
    assert sum(1 for s in first.shapes if s.shape_type == 13) == 1  # the chart picture
    texts = " ".join(s.text_frame.text for s in first.shapes if s.has_text_frame)
    assert "1,234" in texts and "Filters: segment Premium" in texts
    assert "Premium callers first" in first.notes_slide.notes_text_frame.text
    assert slides[3].shapes.title.text == "Two charts (continued, 2 of 2)"
    assert any(s.has_table for s in slides[4].shapes)


def test_pptx_without_charts_needs_no_browser():
    pptx = pytest.importorskip("pptx", reason="python-pptx is not installed")
    data = exports.pptx_deck("Empty deck", [], None)
    assert len(pptx.Presentation(io.BytesIO(data)).slides) == 1
