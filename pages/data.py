"""Data: import the user's own files (one table, a table through a column mapping, or a whole export
in a built-in format; all or nothing), place what an import brought, edit the brand's accounts."""

import logging

import streamlit as st

import ui
from analysis import database, formats, ingest, mapping, publicness, warm
from analysis.formats import checks

ui.page_intro(
    "data",
    "Data",
    "Import your own CSV, Excel (.xlsx) or JSON/JSONL files: one table whose columns already have the "
    "table's names, one table **from your own column names** (a mapping, saved by name for next time), or "
    "**a whole export** in a built-in format (a customer-service tweet dump, a help-desk ticket export, a "
    "reshare or follower list). **Every import is one transaction**: if any row is wrong, nothing is written "
    "and every problem found is listed with its row and column. Re-importing updates rows by their key.",
)

MODES = {"table": "One table (my columns have the table's names)",
         "mapping": "One table from my own column names (mapping)",
         "format": "A whole export (built-in format)"}
FORMAT_LABELS = {"tweets": "tweets: a customer-service tweet dump (Customer Support on Twitter, Twitter API)",
                 "tickets": "tickets: a help-desk ticket export (Zendesk, Freshdesk, ...)",
                 "edges": "edges: a reshare/reply list with times, Twitter15/16 trees, or a follower list"}
NONE = "(none)"
DATE_FORMS = {"auto": "automatic (ISO, spreadsheet forms, Twitter's, epoch)",
              "twitter": "Twitter: Wed Oct 11 06:55:44 +0000 2017", "epoch_s": "Unix epoch seconds",
              "epoch_ms": "Unix epoch milliseconds"}


def _progress_bar():
    bar = st.progress(0.0, text="Reading")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0, text=f"{stage}: {done:,} of {total:,}")
    return progress


def _refused(exc: ingest.ImportProblem, problems: list) -> None:
    """A refused import, at once: the first problem in words, then every problem grouped by column."""
    st.error("Import refused: nothing was written. " + ui.escape_md(str(exc)))
    if len(problems) > 1:
        st.markdown(f"**Every problem found**, grouped by column (the first {formats.PROBLEMS_PER_COLUMN} "
                    "rows of each column are listed, with the count of all):")
        ui.text_table(checks.by_column(problems))


def _prepare_pages(conn, progress) -> str | None:
    """Warm the pages' figures after a committed import; a failure is said, not raised (each page then
    computes its own on first view)."""
    try:
        warm.warm(conn, progress)
    except Exception as exc:  # noqa: BLE001 - the import is committed; pages compute on first view
        return (f"The import succeeded, but preparing the pages' figures failed ({ui.escape_md(str(exc))}); "
                "each page will compute its own on first view.")
    finally:
        ui.clear_cache()
    return None


# What the last import brought (its summary, and a warning if preparing the pages failed), kept across the rerun
# that follows it: the sidebar (dates, segments, platforms) is drawn before the import runs, so the page runs
# again to show the new data's choices, and shows the summary once more in that run.
IMPORTED = "data_imported"


def _kept_outcome() -> None:
    """The summary of the import that has just run (shown once, in the run after it)."""
    kept = st.session_state.pop(IMPORTED, None)
    if kept:
        summary, warm_failed = kept
        # The import's status box as it ended (folded), where the run before showed it.
        st.status("Import complete", state="complete", expanded=False)
        st.success(ui.escape_md(summary))  # file, channel and kind names come from the file
        if warm_failed:
            st.warning(warm_failed)


def _import(label: str, run, list_problems) -> None:
    """Run one import under a status box: ``run(conn, progress)`` returns its report. The outcome is shown
    after the box, which folds away when it ends (Streamlit folds a finished status box): a refusal and
    every problem behind it (``list_problems(exc, conn)``) at once; what was imported after the page runs
    again (``IMPORTED``), so that the sidebar's filters offer the data's new dates and values."""
    refused = imported = failed = None
    st.session_state.pop(IMPORTED, None)
    with st.status(label, expanded=True) as status:
        progress = _progress_bar()
        with ui.connection() as conn:
            try:
                report = run(conn, progress)
            except database.StoreError as exc:  # another writer held the lock too long; a read-only file
                status.update(label="Import refused: nothing was written", state="error", expanded=False)
                refused = (exc, [])
            except ingest.ImportProblem as exc:
                status.update(label="Import refused: nothing was written", state="error", expanded=False)
                refused = (exc, list_problems(exc, conn))
            except Exception as exc:  # noqa: BLE001 - a fault of Continuum's: said in words, the trace to the log
                logging.getLogger(__name__).exception("import failed: %s", label)
                status.update(label="Import failed: nothing was written", state="error", expanded=False)
                failed = exc
            else:
                status.update(label="Import complete; preparing the pages' figures…")
                imported = (report.summary(), _prepare_pages(conn, progress))
                status.update(label="Import complete", state="complete", expanded=False)
    if refused:
        _refused(*refused)
    if failed is not None:
        # The import is one transaction: the error rolled it back.
        st.error("Import failed: nothing was written. This is a fault in Continuum, not in your file; the "
                 "server's log has the details. " + ui.escape_md(f"{type(failed).__name__}: {failed}"))
    if imported:
        st.session_state[IMPORTED] = imported
        st.rerun()


def _file_columns(upload) -> list[str]:
    try:
        frame, _name, _offset = ingest.read_file(upload.getvalue(), name=upload.name, nested=True)
    except ingest.ImportProblem as exc:
        st.error(ui.escape_md(str(exc)))
        return []
    frame = formats.flatten(frame)
    st.caption(f"The first rows of {ui.escape_md(upload.name)} ({len(frame):,} rows):")
    ui.text_table(frame.head(5).astype(str))
    return [str(c) for c in frame.columns]


mode = st.radio("What are you importing?", list(MODES), format_func=MODES.get, key="import_mode", horizontal=True)
read_only = database.read_only_reason()
if read_only:
    st.warning("Importing and editing are off: " + ui.escape_md(read_only))
left, right = st.columns([3, 2])

with left:
    if mode == "format":
        fmt = st.selectbox("Format", list(formats.FORMATS), format_func=FORMAT_LABELS.get, key="import_format")
        with st.expander(f"What the {fmt} format reads, writes and assumes", expanded=False):
            st.text(formats.describe(fmt))
        options: dict = {}
        if fmt == "tweets":
            brand = st.text_input("Brand handles (comma-separated; needed when the file has no 'inbound' column)",
                                  key="import_brand")
            if brand.strip():
                options["brand"] = brand
        elif fmt == "edges":
            options["platform"] = st.text_input("Platform of the accounts", value="twitter", key="import_platform")
            options["link"] = st.radio("A parent-child list links by", ["reshare", "reply"], key="import_link",
                                       horizontal=True)
        upload = st.file_uploader("File", type=["csv", "xlsx", "json", "jsonl", "txt", "tsv"], key="import_file_fmt")
        if st.button("Import", type="primary", disabled=upload is None or bool(read_only),
                     key="import_go_fmt", help=read_only):
            _import(f"Importing {upload.name} as {fmt}…",
                    lambda conn, progress: formats.import_format(conn, fmt, upload.getvalue(), filename=upload.name,
                                                                 options=options, progress=progress),
                    lambda exc, conn: checks.problems_of(exc))
        _kept_outcome()
    else:
        table = st.selectbox("Into table", ingest.TABLES, key="import_table", format_func=lambda t: t.replace("_", " "))
        upload = st.file_uploader("File", type=["csv", "xlsx", "json", "jsonl"], key="import_file")
        chosen = None
        if mode == "mapping":
            with ui.connection() as conn:
                saved = database.mappings_for(conn, table)
                start = st.selectbox("Start from a saved mapping", [NONE] + saved, key="mapping_saved")
                preset = mapping.Mapping.from_dict(database.saved_mapping(conn, start)) if start != NONE else None
            file_cols = _file_columns(upload) if upload is not None else []
            if upload is None:
                st.info("Choose a file: its columns are offered for each of the table's columns.")
            else:
                proposal = preset.columns if preset else mapping.guess(table, file_cols)
                kinds = mapping.kinds_of_columns(table)
                picks, fixed, transforms = {}, {}, {}
                st.markdown("**Which of your columns is which** (required columns first):")
                for col, kind in kinds.items():
                    required = col in ingest.SPECS[table]["required"]
                    pre = proposal.get(col)
                    options_ = [NONE] + file_cols
                    index = options_.index(pre.lower()) if isinstance(pre, str) and pre.lower() in options_ else 0
                    c1, c2 = st.columns([3, 2])
                    pick = c1.selectbox(f"{col}{' (required)' if required else ''} [{kind}]", options_, index=index,
                                        key=f"map_{table}_{col}")
                    picks[col] = "" if pick == NONE else pick
                    if pick == NONE:
                        fixed[col] = c2.text_input(f"or one value for every row: {col}",
                                                   value=pre["value"] if isinstance(pre, dict) else "",
                                                   key=f"fix_{table}_{col}")
                    elif kind == "date":
                        pre_form = preset.transforms.get(col, "auto") if preset else "auto"
                        transforms[col] = c2.selectbox(f"{col} is written as", list(DATE_FORMS),
                                                       format_func=DATE_FORMS.get, key=f"form_{table}_{col}",
                                                       index=list(DATE_FORMS).index(pre_form)
                                                       if pre_form in DATE_FORMS else 0)
                    elif kind == "direction":
                        if c2.checkbox("it is a true/false 'inbound' flag", key=f"flag_{table}_{col}",
                                       value=bool(preset and preset.transforms.get(col, "").startswith("flag:"))):
                            transforms[col] = "flag:inbound/outbound"
                    elif kind == "bit":
                        if c2.checkbox("it is a true/false flag", key=f"flag_{table}_{col}"):
                            transforms[col] = "flag:1/0"
                try:
                    chosen = mapping.from_choices(table, picks, fixed, transforms)
                except ingest.ImportProblem as exc:
                    st.error(ui.escape_md(str(exc)))
                if chosen is not None:
                    missing = chosen.missing()
                    if missing:
                        st.warning("Still to choose (required): " + ", ".join(missing))
                    ui.text_table(chosen.describe())
                    name_col, save_col = st.columns([3, 1])
                    new_name = name_col.text_input("Save this mapping as", key="mapping_name")
                    if save_col.button("Save mapping", key="mapping_save", disabled=not new_name.strip()):
                        with ui.connection() as conn:
                            database.save_mapping(conn, new_name.strip(), chosen.to_dict())
                        st.success(f"Mapping saved as {ui.escape_md(new_name.strip())}.")
        ready = upload is not None and (mode == "table" or (chosen is not None and not chosen.missing()))
        if st.button("Import", type="primary", disabled=not ready or bool(read_only), key="import_go", help=read_only):
            def run(conn, progress):
                if mode == "mapping":
                    return mapping.import_mapped(conn, chosen, upload.getvalue(), name=upload.name, progress=progress)
                return ingest.import_file(conn, table, upload.getvalue(), name=upload.name, progress=progress)

            def every_problem(exc, conn):
                if mode == "table":
                    try:
                        frame, _n, offset = ingest.read_file(upload.getvalue(), name=upload.name)
                        return checks.problems_of(exc, frame, table, offset, "record" if offset == 1 else "row", conn)
                    except ingest.ImportProblem:
                        pass
                return [checks.Problem(exc.column, exc.row, exc.reason)]

            _import(f"Importing {upload.name} into {table}…", run, every_problem)
        _kept_outcome()
        st.caption("Import customers before identities, interactions and linked survey responses: those rows "
                   "must name a customer that exists. The formats write customers first themselves.")

with right:
    st.subheader("Columns each table takes")
    # Listed in full as text (a table would cut long lists of columns off).
    for name, spec in ingest.SPECS.items():
        optional = ", ".join(spec["optional"]) or "none"
        st.markdown(f"**{name}**: required `{', '.join(spec['required'])}`; optional `{optional}`")
    st.caption("interactions.direction is inbound or outbound; account is the brand account or team that handled "
               "an outbound touch. survey_responses.group is consumer or business; a survey row is either one "
               "respondent (respondent_id, selected 0/1) or an aggregate (share, n). Ids written 3.0 and 3 are one "
               "id. Dates: ISO 8601, the usual spreadsheet forms or Twitter's. Post sentiment is scored at import "
               "with VADER.")

# Below both columns, one row per mapped column: one line per mapping with all its columns was cut off in the
# narrow right column (and would be at any width once a mapping fills more than a few columns).
with ui.connection() as conn:
    saved = mapping.saved_listing(conn)
if not saved.empty:
    st.subheader("Saved mappings")
    st.caption("Each saved mapping is offered under \"Start from a saved mapping\" for its table: which of your "
               "file's columns fills each of the table's columns (or \"= value\": one value for every row), and "
               "how it is read.")
    ui.text_table(saved, width="stretch", column_config={
        "mapping": st.column_config.TextColumn("Mapping"), "table": st.column_config.TextColumn("Into table"),
        "column": st.column_config.TextColumn("Table column"),
        "from": st.column_config.TextColumn("From your file"), "read as": st.column_config.TextColumn("Read as")})

st.subheader("Waiting for you")
with ui.connection() as conn:
    new_channels = database.channels_added_by_import(conn)
    kinds, has_vocab = ui.cached(database.kinds_to_place)  # a scan of the interactions: once per version
    brands = database.brand_accounts(conn)
if new_channels.empty:
    st.caption("No channel brought by an import is waiting to be placed.")
else:
    st.warning(f"{len(new_channels)} channel(s) came with an import and sit at publicness 0.5, the line between "
               "public and private, until you place them. 1 = anyone can read it, 0 = face to face.")
    placed = {}
    for ch, label in zip(new_channels["channel"], new_channels["label"], strict=True):
        placed[ch] = st.slider(f"Publicness of {label} ({ch})", 0.0, 1.0, 0.5, 0.05, key=f"place_{ch}")
    if st.button("Save these placements", key="place_save", disabled=bool(read_only)):
        with ui.connection() as conn:
            publicness.save(conn, placed)  # places them: no longer listed
        ui.clear_cache()
        st.rerun()
if kinds:
    if has_vocab:
        st.info("Kinds in your data that the kinds vocabulary does not know (they count as 'other' until you "
                "give them a meaning on the kinds table): " + ui.escape_md(", ".join(kinds)))
    else:
        st.caption("Kinds in your data: " + ui.escape_md(", ".join(kinds)))

st.subheader("The brand's own accounts")
st.caption("Posts by these accounts are the brand's voice (not customers'). Add, change or delete rows, then save.")
edited = st.data_editor(brands, num_rows="dynamic", hide_index=True, key="brand_editor",
                        column_config={"platform": st.column_config.TextColumn("platform", required=True),
                                       "handle": st.column_config.TextColumn("handle", required=True)})
if st.button("Save brand accounts", key="brand_save", disabled=bool(read_only)):
    with ui.connection() as conn:
        n = database.replace_brand_accounts(conn, edited)
    ui.clear_cache()
    st.success(f"{n} brand account(s) saved.")

st.subheader("Loaded now")
with ui.connection() as conn:
    counts = database.table_counts(conn)
    ui.text_table(database.rows_per_table(counts), key="data_rows_per_table")
    peek = st.selectbox("Show the first rows of", list(counts), key="peek_table", format_func=ingest.table_words)
    # The rows as stored: a whole number there may be a year or a code, not a count.
    ui.text_table(database.first_rows(conn, peek), counts=False)
st.caption(f"Database: {ui.escape_md(database.path())}")
from ui import kinds_editor  # noqa: E402  (its own section, apart from the import tools above)

kinds_editor.editor(read_only)

ui.page_end()
