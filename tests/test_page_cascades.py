"""The Cascades page under AppTest on the small demo database: observed cascades, influence, the simulation lab."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
VIEWS = {"observed": "Observed cascades", "influence": "Influence in context", "lab": "Simulation lab"}


def open_page(view: str = "observed", **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/cascades.py").run()
    for k, v in query.items():
        at.query_params[k] = v
    if view != "observed":
        at.segmented_control(key="cascade_view").set_value(view).run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_observed_cascades_show_the_table_and_an_offline_tree(app_db):
    at = open_page()
    assert at.title[0].value == "Cascades"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Largest cascade"].endswith("posts")
    tables = [d.value for d in at.dataframe]
    top = next(t for t in tables if "root_id" in t.columns)
    assert len(top) > 0 and top["size"].is_monotonic_decreasing
    frames = at.get("iframe")
    assert len(frames) == 1
    html = frames[0].proto.srcdoc
    assert "vis.Network" in html and "vis-network" in html.lower()
    assert "cdn.jsdelivr.net" not in html and "cdnjs" not in html
    assert 'src="http' not in html and 'href="http' not in html
    assert "popup.innerHTML" not in html
    assert "Content-Security-Policy" in html


def test_choosing_another_cascade_and_reply_trees(app_db):
    at = open_page()
    first = at.get("iframe")[0].proto.srcdoc
    at.selectbox(key="cascade_root_reshare").select_index(1).run()
    assert_clean(at)
    assert at.get("iframe")[0].proto.srcdoc != first
    at.radio(key="cascade_kind").set_value("reply").run()
    assert_clean(at)
    assert any("root_id" in d.value.columns for d in at.dataframe)
    assert at.selectbox(key="cascade_root_reply").index == 0
    assert len(at.get("iframe")) == 1


def test_a_filter_narrows_the_cascades(app_db):
    all_ = {m.label: m.value for m in open_page().metric}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["segment"] = "Premium"
    at.run()
    at.switch_page("pages/cascades.py").run()
    assert_clean(at)
    premium = {m.label: m.value for m in at.metric}
    assert int(premium["Original posts"].replace(",", "")) < int(all_["Original posts"].replace(",", ""))


def test_influence_in_context(app_db):
    at = open_page("influence")
    assert len(at.get("plotly_chart")) >= 2  # reach against followers, three degrees of influence
    roles = next(d.value for d in at.dataframe if "lifetime_value" in d.value.columns)
    assert len(roles) > 0
    assert roles["customer"].str.startswith("customer_360?customer=").all()


def test_a_small_simulation_runs_from_the_button(app_db):
    at = open_page("lab")
    assert any("Run simulation" in i.value for i in at.info)
    at.slider(key="lab_runs").set_value(20)
    at.multiselect(key="lab_strategies_data").set_value(["random", "degree", "value", "positive"])
    next(b for b in at.button if b.label == "Run simulation").click().run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "Strategy" in d.value.columns)
    assert list(table["Strategy"]) == ["Random accounts", "Top followers", "High-value customers",
                                       "Positive-sentiment customers"]
    assert table["Mean reach"].between(0, 1).all()
    assert len(at.get("plotly_chart")) == 3
    result = at.session_state["cascade_lab_result"]
    assert len(result["summaries"]) == 4
    # The result survives a rerun without pressing the button again.
    at.run()
    assert len(at.get("plotly_chart")) == 3


def test_the_lab_on_a_generated_network_with_the_ovation_model(app_db):
    at = open_page("lab")
    at.radio(key="lab_source").set_value("generated").run()
    at.selectbox(key="lab_generator").set_value("barabasi_albert").run()
    at.selectbox(key="lab_model").set_value("ovation").run()
    assert_clean(at)
    at.slider(key="lab_gen_barabasi_albert_n").set_value(300)
    at.slider(key="lab_runs").set_value(20)
    at.multiselect(key="lab_strategies_generated").set_value(["random", "degree", "betweenness"])
    next(b for b in at.button if b.label == "Run simulation").click().run()
    assert_clean(at)
    summaries = at.session_state["cascade_lab_result"]["summaries"]
    assert [s["label"] for s in summaries] == ["Random accounts", "Top followers", "Top betweenness"]
    assert all(s["n_nodes"] == 300 for s in summaries)


def test_hostile_handles_and_texts_stay_inert_on_the_page(demo_db_copy, monkeypatch):
    from analysis import store

    evil = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '" onmouseover="x',
            "a href=javascript:alert(1)"]
    conn = store.connect(demo_db_copy)
    n = 400  # larger than any demo cascade, so it is the one shown
    store.upsert_rows(conn, "posts", [
        {"post_id": "EVIL0", "platform": "x", "author_handle": evil[0], "created_at": "2026-01-01 00:00:00",
         "text": evil[1] + " <a href='javascript:alert(2)'>x</a>", "sentiment": 0.1}] + [
        {"post_id": f"EVIL{i}", "platform": "x", "author_handle": evil[i % 4] + str(i),
         "created_at": "2026-01-01 01:00:00", "text": evil[i % 4], "reshare_of": "EVIL0" if i < 50 else "EVIL1",
         "sentiment": 0.0} for i in range(1, n)])
    conn.close()
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page()
    html = at.get("iframe")[0].proto.srcdoc
    assert "\\u2039script\\u203aalert(1)" in html  # the root's handle, as inert text in the JSON
    for s in evil + ["<a href='javascript:alert(2)'>"]:
        assert s not in html
    assert "popup.innerHTML" not in html and "cdn.jsdelivr.net" not in html
    top = next(d.value for d in at.dataframe if "root_id" in d.value.columns)
    assert top.iloc[0]["author_handle"] == evil[0]  # shown as text in the table, unchanged


def test_a_shared_link_restores_the_lab_settings_and_its_results(app_db):
    at = open_page("lab")
    at.radio(key="lab_source").set_value("generated").run()
    at.selectbox(key="lab_generator").set_value("barabasi_albert").run()
    at.slider(key="lab_gen_barabasi_albert_n").set_value(200)
    at.slider(key="lab_runs").set_value(30)
    at.number_input(key="lab_seed").set_value(7)
    at.multiselect(key="lab_strategies_generated").set_value(["random", "betweenness"])
    next(b for b in at.button if b.label == "Run simulation").click().run()
    assert_clean(at)
    first = at.session_state["cascade_lab_result"]
    link = dict(at.query_params)
    assert "lab_run" in link
    # AppTest does not copy bound widgets into its query parameters; in the browser they are in the URL,
    # as the labels the widgets show.
    from analysis import graphs
    link.update(cascade_view="Simulation lab", lab_source="A generated network",
                lab_generator=graphs.GENERATORS["barabasi_albert"]["label"])
    # Everything waited for is reported: seeding (betweenness) is counted beside the runs.
    table = next(d.value for d in at.dataframe if "Strategy" in d.value.columns)
    assert (table["Seconds"] >= table["Of which seeding"]).all() and table["Of which seeding"].iloc[1] > 0
    assert first["waited_s"] >= sum(s["elapsed_s"] + s["seeding_s"] for s in first["summaries"])

    # A new visitor opens the link: the form shows the settings and the same results appear unasked.
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in link.items():
        again.query_params[k] = v
    again.switch_page("pages/cascades.py").run()
    assert_clean(again)
    assert again.slider(key="lab_runs").value == 30 and again.number_input(key="lab_seed").value == 7
    assert again.slider(key="lab_gen_barabasi_albert_n").value == 200
    second = again.session_state["cascade_lab_result"]
    assert [s["label"] for s in second["summaries"]] == ["Random accounts", "Top betweenness"]
    for a, b in zip(first["summaries"], second["summaries"]):
        assert (a["runs"] == b["runs"]).all() and a["mean"] == b["mean"]  # same seed, same results


def test_a_tampered_lab_link_is_named_and_ignored(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(cascade_view="Simulation lab", lab_source="A generated network",
                           lab_run='{"k": 5, "runs": 7, "seed": 1, "global": 0.5, "strategies": ["random"]}')
    at.switch_page("pages/cascades.py").run()
    assert_clean(at)
    assert any("could not be used" in w.value and "out of range" in w.value for w in at.warning)
    assert "cascade_lab_result" not in at.session_state
