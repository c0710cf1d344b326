"""Data: import the user's own files (all or nothing) and see what is loaded now."""

import pandas as pd
import streamlit as st

from analysis import ingest, store, warm
from pages import _ui

_ui.page_intro(
    "Data",
    "Import your own CSV, Excel (.xlsx) or JSON/JSONL files. Column names are matched case-insensitively; "
    "dates may be ISO 8601 (2024-03-05 14:30) or the usual spreadsheet forms. **Every import is one "
    "transaction**: if any row is wrong, nothing is written and the message names the file, row and column. "
    "Re-importing the same file updates rows by their key instead of duplicating them.",
)

ORDER_HINT = ("Import customers before identities, interactions and linked survey responses: those rows "
              "must name a customer that exists.")

left, right = st.columns([3, 2])
with left:
    st.subheader("Import a file")
    table = st.selectbox("Into table", ingest.TABLES, key="import_table",
                         format_func=lambda t: t.replace("_", " "))
    upload = st.file_uploader("File", type=["csv", "xlsx", "json", "jsonl"], key="import_file")
    read_only = store.read_only_reason()
    if read_only:
        st.caption("Importing is off: " + _ui.escape_md(read_only))
    if st.button("Import", type="primary", disabled=upload is None or bool(read_only), key="import_go",
                 help=read_only):
        with st.status(f"Importing {upload.name} into {table}…", expanded=True) as status:
            bar = st.progress(0.0, text="Reading")

            def progress(stage: str, done: int, total: int) -> None:
                bar.progress(min(1.0, done / total) if total else 1.0,
                             text=f"{stage}: {done:,} of {total:,}")

            conn = _ui.db()
            try:
                report = ingest.import_file(conn, table, upload.getvalue(), name=upload.name, progress=progress)
            except (ingest.ImportProblem, store.StoreError) as exc:  # bad file; locked too long; read-only
                status.update(label="Import refused: nothing was written", state="error")
                st.error(_ui.escape_md(str(exc)))  # quotes the file's own cells
            else:
                st.success(_ui.escape_md(report.summary()))  # file and channel names
                # As after a CLI import: the pages' unfiltered figures and the rollup behind filtered
                # ones, computed now rather than on each page's first view.
                status.update(label="Import complete; preparing the pages' figures…")
                try:
                    warm.warm(conn, progress)
                except Exception as exc:  # noqa: BLE001 - the import is committed; pages compute on first view
                    st.warning(f"The import succeeded, but preparing the pages' figures failed "
                               f"({_ui.escape_md(str(exc))}); "
                               "each page will compute its own on first view.")
                status.update(label="Import complete", state="complete")
                _ui.clear_cache()
            finally:
                conn.close()
    st.caption(ORDER_HINT)

with right:
    st.subheader("Columns each table takes")
    spec_rows = []
    for name, spec in ingest.SPECS.items():
        spec_rows.append({"table": name, "required": ", ".join(spec["required"]),
                          "optional": ", ".join(spec["optional"]) or "–"})
    st.dataframe(pd.DataFrame(spec_rows), hide_index=True)
    st.caption("interactions.direction is inbound or outbound. survey_responses.group is consumer or business; "
               "a survey row is either one respondent (respondent_id, selected 0/1) or an aggregate (share, n). "
               "Post sentiment is scored at import with VADER.")

st.subheader("Loaded now")
conn = _ui.db()
try:
    counts = store.table_counts(conn)
    st.dataframe(pd.DataFrame({"table": list(counts), "rows": list(counts.values())}), hide_index=True)
    peek = st.selectbox("Show the first rows of", list(counts), key="peek_table")
    _ui.text_table(store.query_df(conn, f'SELECT * FROM "{peek}" LIMIT 50'))
finally:
    conn.close()
st.caption(f"Database: {store.db_path()}")
