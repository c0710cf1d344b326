"""Cascades: observed sharing cascades, influence in context, and a seeding simulation lab."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import streamlit as st

import ui
from analysis import cascades, graphs
from analysis.charts import cascades as figures

ui.page_intro(
    "cascades",
    "Cascades",
    "How sharing spreads. A **cascade** is an original post with every reshare of it, and reshares of those. "
    "Most posts are never reshared; a few travel far. In Miller & Page's *standing ovation* people stand when "
    "their own view is strong or when enough of those they can see stand; those in front are seen by many "
    "and see few, like accounts with many followers. Look at what happened, who carried it, then ask "
    "*what if we seeded it this way?*",
)
if ui.no_data_notice():
    st.stop()

f = ui.filters()
cap = f.caption()


_md = ui.escape_md  # text from the data, made literal for Streamlit's Markdown

VIEWS = {"observed": "Observed cascades", "influence": "Influence in context", "lab": "Simulation lab"}
view = st.segmented_control("View", list(VIEWS), format_func=VIEWS.get, default="observed", required=True,
                            key="cascade_view", bind="query-params", persist_state="session",
                            label_visibility="collapsed") or "observed"


def _kind_picker() -> str:
    return st.radio("Trees built from", list(cascades.KINDS), format_func=lambda k: {
        "reshare": "Reshares (who passed the post on)", "reply": "Replies (who answered whom)"}[k],
        horizontal=True, key="cascade_kind", bind="query-params", persist_state="session",
        help="A reshare tree follows posts.reshare_of (the post directly reshared); a reply tree follows "
             "posts.reply_to.") or "reshare"


def _cascade_label(row) -> str:
    return f"{int(row.size):,} posts · @{row.author_handle} · {row.platform} · {str(row.created_at)[:10]}"


def _observed(kind: str):
    obs = ui.cached(cascades.observed_cascades, kind)
    table = cascades.filter_cascades(obs.table, f)
    return obs, table


# --- observed -------------------------------------------------------------------------------------------------

def observed_view() -> None:
    kind = _kind_picker()
    noun = "reshares" if kind == "reshare" else "replies"
    obs, table = _observed(kind)
    n_roots = ui.cached(cascades.root_count, f, kind)
    s = cascades.summary(table, n_roots)
    st.caption(f"{_md(cap)} · a cascade is counted when its original post passes the filters; all its {noun} "
               "are included whatever their date.")
    c = st.columns(5)
    c[0].metric("Original posts", f"{s['originals']:,}", help="Posts that could start a cascade under the filters")
    c[1].metric(f"Ever {('reshared' if kind == 'reshare' else 'replied to')}",
                f"{s['reshared_share']:.1%}" if s["originals"] else "–",
                help=f"{s['cascades']:,} cascades with at least one of the {noun}")
    c[2].metric("Largest cascade", f"{s['largest']:,} posts" if s["cascades"] else "–")
    c[3].metric("Deepest chain", f"{s['deepest']} steps" if s["cascades"] else "–",
                help="Longest path from the original post to a reshare of a reshare …")
    c[4].metric("Median structural virality", f"{s['median_virality']:.2f}" if s["cascades"] else "–",
                help="Mean distance between all pairs of posts in a cascade (Goel et al.): about 1–2 for a "
                     "broadcast (everyone reshares the original), larger for person-to-person chains.")
    if obs.orphans or obs.loops:
        st.warning(f"{obs.orphans:,} posts point (through their chain) to a parent that is not in the data, and "
                   f"{obs.loops:,} sit on a chain that loops back on itself; they are left out of every cascade.")

    left, right = st.columns(2)
    with left:
        ui.chart(figures.cascade_ccdf(cascades.size_counts(table, n_roots), cap), key="cascade_ccdf")
    with right:
        ui.chart(figures.virality_vs_size(table, cap), key="cascade_virality")

    st.subheader("The largest cascades")
    top = cascades.largest(table, 50)
    if top.empty:
        st.info(f"No post under these filters was {('reshared' if kind == 'reshare' else 'replied to')}.")
        return
    top = ui.cached(cascades.with_authors, top)
    top["customer"] = [ui.customer_url(c) if isinstance(c, str) else None for c in top["customer_id"]]
    shown = top[["root_id", "platform", "author_handle", "role_label", "followers", "customer", "segment",
                 "lifetime_value",
                 "sentiment", "size", "depth", "breadth", "virality", "t50_h", "t90_h", "created_at"]]
    ui.text_table(shown, key="cascade_top", height=320, column_config={
        "root_id": st.column_config.TextColumn("Original post"),
        "platform": "Platform",
        "author_handle": st.column_config.TextColumn("Author"),
        "role_label": st.column_config.TextColumn("Author role", help="The brand's own account, a linked "
                                                  "customer, or another public voice"),
        "followers": st.column_config.NumberColumn("Author's followers", format="localized"),
        "customer": st.column_config.LinkColumn("Linked customer", display_text=r"customer=(.*)$",
                                                help="Open the customer's 360 view"),
        "segment": "Segment",
        "lifetime_value": st.column_config.NumberColumn("Lifetime value", format="%,.0f"),
        "sentiment": st.column_config.NumberColumn("Sentiment", format="%+.2f"),
        "size": st.column_config.NumberColumn("Size", help="Posts in the cascade, the original included"),
        "depth": st.column_config.NumberColumn("Depth", help="Longest chain of reshares of reshares"),
        "breadth": st.column_config.NumberColumn("Breadth", help="Most posts at one distance from the original"),
        "virality": st.column_config.NumberColumn("Virality", format="%.2f",
                                                  help="Structural virality: mean distance between posts"),
        "t50_h": st.column_config.NumberColumn("Half by (h)", format="%.1f",
                                               help=f"Hours until half of the {noun} had happened"),
        "t90_h": st.column_config.NumberColumn("90% by (h)", format="%.1f",
                                               help=f"Hours until 90% of the {noun} had happened"),
        "created_at": st.column_config.TextColumn("Posted"),
    })

    labels = {r.root_id: _cascade_label(r) for r in top.itertuples(index=False)}
    root = st.selectbox("Look at one cascade", list(labels), format_func=lambda r: labels.get(r, str(r)),
                        key=f"cascade_root_{kind}",
                        bind="query-params", persist_state="session")
    if root not in labels:
        root = next(iter(labels))
    detail = ui.cached(cascades.cascade_detail, root, kind, cascades.TREE_CAP)
    row = top[top["root_id"] == root].iloc[0]
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**The cascade as a tree**")
        sampled = (f"the first {detail.shown:,} of its {detail.size:,} posts, breadth-first (by distance from the "
                   f"original, then time)" if detail.shown < detail.size else f"all {detail.size:,} posts")
        st.caption(f"Showing {sampled}; at most {cascades.TREE_CAP} are drawn. Orange star: the original post · "
                   "blue: accounts linked to a customer · grey: other accounts. Arrows run from the post "
                   "reshared to the reshare; hover a dot for its author, time and text; drag to explore.")
        st.iframe(_tree_html(detail.sample), height=580)
    with right:
        ui.chart(figures.cascade_spread(detail.spread, cap, t50=row["t50_h"], t90=row["t90_h"]),
                 key="cascade_spread")


# --- influence --------------------------------------------------------------------------------------------------

# Follower graphs up to this many follows in all are loaded without asking (about a second on a laptop).
AUTO_GRAPH_FOLLOWS = 1_000_000


@st.cache_data(max_entries=16, show_spinner=False)
def _tree_html(sample: pd.DataFrame) -> str:
    return figures.tree_html(sample)


@st.cache_resource(max_entries=3, show_spinner=False)
def _follow_graph(path: str, version: int, platform: str) -> graphs.Graph:
    """One platform's follower graph (flow followee -> follower), loaded once per data version."""
    with ui.connection(path) as conn:
        return cascades.follow_graph(conn, platform)


@st.cache_data(max_entries=32, show_spinner=False)
def _degrees(path: str, version: int, platform: str, roots: tuple) -> pd.DataFrame:
    """Follower-graph distances for the resharers of ``roots`` (all on ``platform``), cached with the graph."""
    g = _follow_graph(path, version, platform)
    with ui.connection(path) as conn:
        return cascades.resharer_distances(conn, g, roots)


@st.cache_resource(show_spinner=False)
def _loaded_graphs() -> set:
    """Which (database, version, platform) follower graphs this server process holds in memory."""
    return set()


def _graph_key(platform: str) -> tuple:
    return ui.db_path(), ui.data_version(), platform


def follow_graph(platform: str) -> graphs.Graph:
    g = _follow_graph(*_graph_key(platform))
    _loaded_graphs().add(_graph_key(platform))
    return g


def influence_view() -> None:
    kind = "reshare"
    obs, table = _observed(kind)
    st.caption(f"{_md(cap)} · reshare cascades whose original post passes the filters.")
    if table.empty:
        st.info("No post under these filters was reshared.")
        return

    authors, n_authors = cascades.sample_authors(table)
    followers = ui.cached(cascades.follower_counts, tuple(zip(authors["platform"], authors["author_handle"])))
    reach = cascades.author_reach(table, followers, authors)
    rho = cascades.follower_reach_correlation(reach)
    note = "" if len(reach) == n_authors else (
        f" · {len(reach):,} of {n_authors:,} authors drawn: the {cascades.REACH_TOP:,} most reshared and a random "
        "sample of the rest")
    st.subheader("Front row and back row")
    st.markdown(
        "Accounts with many followers sit in the front row: many see them, so what they post can start a wave. "
        f"Across these authors the rank correlation between followers and reshares received is "
        f"**{rho:+.2f}**" + (" (Spearman)." if np.isfinite(rho) else "."))
    ui.chart(figures.reach_vs_followers(reach, cap + note +
                                                " · authors whose posts were reshared at least once"),
              key="cascade_reach")

    st.subheader("Three degrees of influence")
    st.markdown("For the largest cascades: was each resharer a follower of the author (1 step), a follower of a "
                "follower (2), or further out? Christakis and Fowler found influence fading after about three "
                "steps.")
    top = cascades.largest(table, cascades.TOP_N_DISTANCES)
    platforms = sorted(top["platform"].unique())
    need = {p: ui.cached(cascades.follow_edge_count, p) for p in platforms}
    pending = [p for p in platforms if _graph_key(p) not in _loaded_graphs()]
    go_now = sum(need[p] for p in pending) <= AUTO_GRAPH_FOLLOWS or st.button(
        f"Load the follower graph ({sum(need[p] for p in pending):,} follows on {_md(', '.join(pending))}) and "
        "measure",
        key="cascade_measure", help="A few seconds the first time; kept in memory afterwards.")
    if go_now:
        parts = []
        path, version = ui.db_path(), ui.data_version()
        with st.spinner("Measuring distances in the follower graph…"):
            for p in platforms:
                follow_graph(p)
                roots = tuple(top.loc[top["platform"] == p, "root_id"])
                parts.append(_degrees(path, version, p, roots))
        per = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if not per.empty:
            order = {r: i for i, r in enumerate(top["root_id"])}
            per = per.sort_values("root", key=lambda s: s.map(order)).reset_index(drop=True)
        labels = {r.root_id: f"@{r.author_handle} · {r.platform}" for r in top.itertuples(index=False)}
        ui.chart(figures.degrees_of_influence(per, cascades.pooled_distances(per), cap +
                                          f" · the {len(top)} largest cascades; distances over follows, at most 3",
                                          labels=labels), key="cascade_degrees")
    else:
        st.info(f"The {len(top)} largest cascades sit on platforms with large follower graphs; press the button "
                "to load them and measure.")

    st.subheader("Customers who start or carry cascades")
    accounts = ui.cached(cascades.linked_accounts)
    resharers = cascades.filter_resharers(ui.cached(cascades.linked_resharers, kind), f)
    roles = cascades.customer_roles(table, resharers, accounts)
    st.caption(f"{_md(cap)} · started: cascades from their own posts; reach: the reshares those gathered; carried: "
               "reshares they made; passed on: reshares of their reshares.")
    if roles.empty:
        st.info("No linked customer started or carried a cascade under these filters.")
        return
    roles = roles.head(200).assign(customer=lambda d: [ui.customer_url(c) for c in d["customer_id"]])
    ui.text_table(roles[["customer", "name", "segment", "region", "lifetime_value", "started", "reach", "largest",
                         "carried", "passed_on"]], key="cascade_roles", height=360, column_config={
        "customer": st.column_config.LinkColumn("Customer", display_text=r"customer=(.*)$",
                                                help="Open the customer's 360 view"),
        "name": "Name", "segment": "Segment", "region": "Region",
        "lifetime_value": st.column_config.NumberColumn("Lifetime value", format="%,.0f"),
        "started": st.column_config.NumberColumn("Started"),
        "reach": st.column_config.NumberColumn("Reach"),
        "largest": st.column_config.NumberColumn("Largest cascade"),
        "carried": st.column_config.NumberColumn("Carried"),
        "passed_on": st.column_config.NumberColumn("Passed on"),
    })


# --- lab --------------------------------------------------------------------------------------------------------

RESULT_KEY = "cascade_lab_result"


@st.cache_resource(max_entries=4, show_spinner=False)
def _generated_graph(name: str, params: tuple, seed: int) -> graphs.Graph:
    return graphs.generate(name, np.random.default_rng(seed), **dict(params))


def _graph_for(source: tuple) -> graphs.Graph:
    if source[0] == "data":
        return follow_graph(source[1])
    return _generated_graph(*source[1:])


@st.cache_resource(max_entries=8, show_spinner=False)
def _betweenness(source: tuple, version: int, seed: int) -> np.ndarray:
    return graphs.betweenness(_graph_for(source), np.random.default_rng(seed))


def _slider(spec: dict, label: str, key: str):
    kind = spec.get("type")
    help_ = spec.get("descr")
    if kind == "bool":
        return st.checkbox(label, value=bool(spec["default"]), key=key, help=help_, persist_state="session")
    if kind == "choice":
        return st.radio(label, spec["options"], index=spec["options"].index(spec["default"]), key=key,
                        help=help_, horizontal=True, persist_state="session")
    lo, hi = spec["range"]
    if kind == "int":
        step = 10 if hi - lo > 10_000 else 1
        return int(st.slider(label, int(lo), int(hi), int(spec["default"]), step=step, key=key, help=help_,
                             persist_state="session"))
    step = 0.005 if hi - lo <= 1 else (hi - lo) / 100
    return float(st.slider(label, float(lo), float(hi), float(spec["default"]), step=step, key=key, help=help_,
                           format="%.3f", persist_state="session"))


def _platform_options() -> list[str]:
    platforms = [p for p in ui.cached(cascades.follow_platforms)]
    # The sidebar's platform filter picks which follower graphs come first.
    return sorted(platforms, key=lambda p: (p not in f.platforms, p))


def lab_view() -> None:
    from analysis import simulate

    st.markdown(
        "**What if we seeded it this way?** Pick a network, a model of how people adopt, and two to four seeding "
        "strategies; each is run many times with the same random numbers, so the differences come from the "
        "seeds, not from luck.")
    c = st.columns(3)
    source_kind = c[0].radio("Network", ["data", "generated"], key="lab_source", bind="query-params",
                             persist_state="session", format_func={
                                 "data": "The data's follower graph", "generated": "A generated network"}.get)
    if source_kind == "data":
        platforms = _platform_options()
        if not platforms:
            st.info("The data has no follows; choose a generated network.")
            return
        platform = c[1].selectbox("Platform", platforms, key="lab_platform", bind="query-params",
                                  persist_state="session",
                                  help="Information flows from the followed account to its followers.")
        generator = None
    else:
        platform = None
        generator = c[1].selectbox("Generator", list(graphs.GENERATORS), key="lab_generator", bind="query-params",
                                   persist_state="session", format_func=lambda g: graphs.GENERATORS[g]["label"])
    model = c[2].selectbox("Model", list(simulate.MODELS), key="lab_model", bind="query-params",
                           persist_state="session", format_func=lambda m: simulate.MODELS[m]["label"])
    spec = simulate.MODELS[model]
    st.caption(spec["descr"] + ("" if generator is None else " · " + graphs.GENERATORS[generator]["descr"]))

    options = [k for k, v in cascades.LAB_STRATEGIES.items() if source_kind == "data" or not v.get("customers")]
    default = ["random", "degree", "value"] if source_kind == "data" else ["random", "degree", "betweenness"]
    # A shared link carries the last run's settings (?lab_run=...): put them in the form and run them
    # again (same seed, same settings: the same results).
    from_link = _lab_settings_from_url(source_kind, generator, model, options)
    with st.form("cascade_lab", border=True):
        gen_params = {}
        if generator is not None:
            st.markdown("**Network**")
            cols = st.columns(len(graphs.GENERATORS[generator]["params"]))
            for col, (name, p) in zip(cols, graphs.GENERATORS[generator]["params"].items()):
                with col:
                    gen_params[name] = _slider(p, p["descr"], f"lab_gen_{generator}_{name}")
        st.markdown(f"**{spec['label']}**")
        model_params = {}
        cols = st.columns(min(3, len(spec["params"])))
        for i, (name, p) in enumerate(spec["params"].items()):
            with cols[i % len(cols)]:
                model_params[name] = _slider(p, p["descr"], f"lab_{model}_{name}")
        st.markdown("**Seeding and runs**")
        strategies = st.multiselect(
            "Seeding strategies to compare (up to 4)", options, default=[d for d in default if d in options],
            max_selections=4, key=f"lab_strategies_{source_kind}", persist_state="session",
            format_func=lambda k: cascades.LAB_STRATEGIES[k]["label"],
            help=" · ".join(f"{v['label']}: {v['descr']}" for k, v in cascades.LAB_STRATEGIES.items()
                            if k in options) + (" Customer strategies keep to the sidebar's segments and "
                                                "regions." if source_kind == "data" else ""))
        cols = st.columns(4)
        k = int(cols[0].number_input("Seeds per strategy (k)", 1, 1000, 10, key="lab_k", persist_state="session"))
        runs = int(cols[1].slider("Monte Carlo runs", 10, 1000, 100, step=10, key="lab_runs",
                                  persist_state="session"))
        seed = int(cols[2].number_input("Random seed", 0, 2**31 - 1, 42, key="lab_seed", persist_state="session",
                                        help="Same seed, same settings: the same results."))
        threshold = float(cols[3].slider("Global cascade: reach above", 0.05, 0.95, 0.5, step=0.05,
                                         key="lab_global", persist_state="session", format="%.2f",
                                         help="A run counts as a global cascade when it reaches more than "
                                              "this share of the network."))
        submitted = st.form_submit_button("Run simulation", type="primary", icon=":material/play_arrow:")

    if submitted or from_link:
        if not strategies:
            st.warning("Choose at least one seeding strategy.")
        else:
            st.query_params[LAB_URL_KEY] = json.dumps(
                {"gen": gen_params, "model": model_params, "strategies": list(strategies), "k": k, "runs": runs,
                 "seed": seed, "global": threshold}, separators=(",", ":"), default=float)
            st.session_state["_lab_run_applied"] = st.query_params[LAB_URL_KEY]
            source = ("data", platform) if platform is not None else \
                ("generated", generator, tuple(sorted(gen_params.items())), seed)
            _run_lab(simulate, source, model, model_params, strategies, k, runs, seed, threshold)
    _show_lab_result()


LAB_URL_KEY = "lab_run"


def _lab_settings_from_url(source_kind: str, generator: str | None, model: str, options: list[str]) -> bool:
    """Put a shared link's lab settings into the form's widgets (before they are drawn); True when the
    link's run is new to this session and should run now. Bad settings are named and ignored."""
    from analysis import simulate

    raw = st.query_params.get(LAB_URL_KEY)
    if not raw or st.session_state.get("_lab_run_applied") == raw:
        return False
    st.session_state["_lab_run_applied"] = raw
    try:
        run = json.loads(raw)
        values = {"lab_k": int(run["k"]), "lab_runs": int(run["runs"]), "lab_seed": int(run["seed"]),
                  "lab_global": float(run["global"])}
        if not (1 <= values["lab_k"] <= 1000 and 10 <= values["lab_runs"] <= 1000 and values["lab_runs"] % 10 == 0
                and 0 <= values["lab_seed"] < 2**31 and 0.05 <= values["lab_global"] <= 0.95):
            raise ValueError("seeds, runs, random seed or global threshold out of range")
        strategies = [str(x) for x in run["strategies"]]
        if not strategies or len(strategies) > 4 or any(x not in options for x in strategies):
            raise ValueError(f"strategies {strategies} are not among {options}")
        values[f"lab_strategies_{source_kind}"] = strategies
        for name, spec in simulate.MODELS[model]["params"].items():
            if name in run.get("model", {}):
                values[f"lab_{model}_{name}"] = _checked(spec, run["model"][name], name)
        if generator is not None:
            for name, spec in graphs.GENERATORS[generator]["params"].items():
                if name in run.get("gen", {}):
                    values[f"lab_gen_{generator}_{name}"] = _checked(spec, run["gen"][name], name)
    except (ValueError, TypeError, KeyError) as exc:
        st.warning(f"The simulation settings in this link could not be used ({_md(exc)}); set them below.")
        return False
    st.session_state.update(values)
    return True


def _checked(spec: dict, value, name: str):
    kind = spec.get("type")
    if kind == "bool":
        return bool(value)
    if kind == "choice":
        if value not in spec["options"]:
            raise ValueError(f"{name} must be one of {spec['options']}")
        return value
    lo, hi = spec["range"]
    v = int(value) if kind == "int" else float(value)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}")
    return v


def _run_lab(simulate, source, model, model_params, strategies, k, runs, seed, threshold) -> None:
    started = time.perf_counter()
    with st.status("Running the simulation…", expanded=True) as status:
        bar = st.progress(0.0, text="Preparing the network")
        if source[0] == "data":
            status.write(f"Loading the follower graph of {_md(source[1])} (kept in memory afterwards)…")
        g = _graph_for(source)
        status.write(f"Network: {g.n:,} nodes, {g.n_arcs:,} {'follows' if source[0] == 'data' else 'arcs'}.")
        summaries, notes = [], []
        version = ui.data_version()
        for i, key in enumerate(strategies):
            meta = cascades.LAB_STRATEGIES[key]
            label = meta["label"]
            bar.progress(i / len(strategies), text=f"{label}: choosing seeds")
            seeding_started = time.perf_counter()
            with ui.connection() as conn:
                picked = cascades.lab_seeds(
                    conn, g, key, k, runs, seed, platform=source[1] if source[0] == "data" else None, f=f,
                    betweenness=lambda: _betweenness(source, version, seed), say=lambda text: status.write(_md(text)))
            if picked.note:
                notes.append(picked.note)
            if picked.seeds is None:
                continue
            seeds = picked.seeds
            n_seeds = seeds.shape[-1]
            seeding_s = time.perf_counter() - seeding_started

            def progress(stage, done, total, i=i, label=label):
                bar.progress(min(1.0, (i + done / max(total, 1)) / len(strategies)),
                             text=f"{label}: {done:,} of {total:,} runs")

            res = simulate.simulate(g, model, seeds, runs=runs, rng=np.random.default_rng(seed), progress=progress,
                                    **model_params)
            summaries.append({**cascades.run_summary(label, res, n_seeds, threshold), "seeding_s": seeding_s})
        bar.progress(1.0, text="Done")
        # Everything the user waited for: the network, the seeds (betweenness too) and the runs.
        waited = time.perf_counter() - started
        status.update(label=f"Simulation finished: {len(summaries)} strategies × {runs:,} runs in {waited:.2f} s",
                      state="complete", expanded=False)
    if source[0] == "data":
        where = f"follower graph of {source[1]} ({g.n:,} accounts, {g.n_arcs:,} follows)"
    else:
        params = ", ".join(f"{k}={v}" for k, v in source[2])
        where = f"{graphs.GENERATORS[source[1]]['label']} ({params}; {g.n:,} nodes)"
    mparams = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in model_params.items())
    setup = (f"{simulate.MODELS[model]['label']} ({mparams}) on the {where} · k={k} seeds · {runs:,} runs · "
             f"random seed {seed}")
    short = (f"{simulate.MODELS[model]['label']} · "
             + (f"{source[1]} follower graph" if source[0] == "data" else graphs.GENERATORS[source[1]]["label"])
             + f" · k={k} · {runs:,} runs · seed {seed}")
    st.session_state[RESULT_KEY] = {"summaries": summaries, "setup": setup, "short": short, "notes": notes,
                                    "waited_s": waited,
                                    "threshold": threshold, "filters": f.caption(),
                                    "customers": any(cascades.LAB_STRATEGIES[s].get("customers") for s in strategies)}


def _show_lab_result() -> None:
    result = st.session_state.get(RESULT_KEY)
    if not result:
        st.info("Set the network, the model and the strategies, then press **Run simulation**.")
        return
    for note in result["notes"]:
        st.warning(note)
    summaries = result["summaries"]
    if not summaries:
        return
    cap_ = result["setup"]
    st.subheader("Results")
    if result["customers"]:
        scope = (f"Customer strategies keep to the sidebar's segments and regions ({_md(result['filters'])}); "
                 "nothing else in the simulation depends on the filters.")
    else:
        scope = "The sidebar's filters do not apply to simulations."
    seeding = sum(s.get("seeding_s", 0.0) for s in summaries)
    runs_s = sum(s["elapsed_s"] for s in summaries)
    waited = result.get("waited_s", seeding + runs_s)
    st.caption(f"{_md(cap_)}. {scope} Took {waited:.2f} s in all: {runs_s:.2f} s of runs, {seeding:.2f} s choosing "
               f"seeds (betweenness included), the rest loading the network. The link of this page reruns these "
               "settings.")
    table = cascades.lab_table(summaries)
    ui.text_table(table, key="lab_table", column_config={
        "Mean reach": st.column_config.NumberColumn(format="percent"),
        "Nodes reached": st.column_config.NumberColumn(format="%.1f"),
        "95% CI low": st.column_config.NumberColumn(format="percent"),
        "95% CI high": st.column_config.NumberColumn(format="percent"),
        "P(global cascade)": st.column_config.NumberColumn(
            format="percent", help=f"Share of runs that reached more than {result['threshold']:.0%} of the network"),
        "P 95% CI low": st.column_config.NumberColumn(format="percent"),
        "P 95% CI high": st.column_config.NumberColumn(format="percent"),
        "Seconds": st.column_config.NumberColumn(format="%.2f", help="Choosing the seeds and running the runs"),
        "Of which seeding": st.column_config.NumberColumn(format="%.2f"),
    })
    left, right = st.columns(2)
    with left:
        ui.chart(figures.simulation_reach(summaries, result["short"], result["threshold"]), key="lab_reach")
    with right:
        ui.chart(figures.simulation_distribution(summaries, result["short"], result["threshold"]),
                 key="lab_distribution")
    ui.chart(figures.simulation_curves(summaries, result["short"]), key="lab_curves")


{"observed": observed_view, "influence": influence_view, "lab": lab_view}[view]()

ui.page_end()
