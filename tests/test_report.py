"""The headless report: hand-worked figures on a tiny database, the command line, and real customer-service
tweets (the Customer Support on Twitter sample) with every figure recomputed here with pandas and networkx."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis import report, store
from analysis.__main__ import main
from analysis.filters import Filters
from tests.test_service import TOUCHES
from tests.test_service import seed as seed_service


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

TWCS = Path(__file__).parent / "data" / "twcs" / "sample.csv"


def seed_posts(db, reshare: bool):
    """ann is customer C1's account, acme the brand's, zed another public voice.
    p1 (ann, -0.5) is answered by p2 (ann, +0.6) and p4 (acme, +0.8); p3 (zed, 0.0) stands alone;
    with ``reshare``, p5 (zed) reshares p1 and carries a score that must not count."""
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"}])
    store.upsert_rows(db, "brand_accounts", [{"platform": "x", "handle": "acme"}])
    rows = [("p1", "ann", "-0.5", None, None), ("p2", "ann", "0.6", "p1", None), ("p3", "zed", "0.0", None, None),
            ("p4", "acme", "0.8", "p1", None)]
    if reshare:
        rows.append(("p5", "zed", "-0.9", None, "p1"))
    store.upsert_rows(db, "posts", [
        {"post_id": p, "platform": "x", "author_handle": a, "created_at": f"2026-03-01 0{i}:00:00", "text": "t",
         "sentiment": float(s), "reply_to": r, "reshare_of": rs} for i, (p, a, s, r, rs) in enumerate(rows)])


def test_every_required_figure_by_hand(db):
    seed_service(db)
    seed_posts(db, reshare=False)
    r = report.report(db, Filters())
    # Service: see tests/test_service.py for the hand computation.
    assert (r["conversations"], r["unanswered_conversations"], r["unanswered_share"]) == (5, 1, 0.2)
    assert r["service.first_response_minutes.median"] == 25.0
    assert r["service.first_response_minutes.p90"] == pytest.approx(429.0)
    assert r["service.resolution_minutes.median"] == 90.0
    assert r["service.handoff_to_private_share"] == pytest.approx(2 / 7)
    assert r["service.started_public.first_response_minutes.median"] == 12.5
    assert r["service.started_private.first_response_minutes.median"] == 315.0
    assert r["service.public_vs_private_first_response_p"] == pytest.approx(1 / 3)  # see test_service
    # Sentiment per role: customers p1, p2; the brand p4; other public voices p3.
    assert r["sentiment.customers.mean"] == pytest.approx(0.05)
    assert r["sentiment.customers.negative_share"] == 0.5
    assert r["sentiment.brand.mean"] == pytest.approx(0.8)
    assert (r["sentiment.public.mean"], r["sentiment.public.negative_share"]) == (0.0, 0.0)
    # Talk share: 8 outbound of the 15 touches (T6's marketing send included).
    outbound = sum(t[3] == "outbound" for t in TOUCHES)
    assert r["talk_share"] == pytest.approx(outbound / len(TOUCHES)) and outbound == 8
    # The brand's public voice: three outbound touches on public channels (T3's hand-off, T5's reply and
    # hand-off), each after the customer spoke, and acme's reply p4 to ann: four answers, no broadcast.
    assert (r["perception.brand_public_messages"], r["perception.broadcast_share"]) == (4, 0.0)
    # No reshares: reply trees. p1 with its two replies is a star of 3: depth 1, structural virality
    # (1 + 1 + 2) / 3 pairs = 4/3.
    assert r["cascades.kind"] == "reply"
    assert (r["cascades.count"], r["cascades.max_size"], r["cascades.max_depth"]) == (1, 3, 1)
    assert r["cascades.median_structural_virality"] == pytest.approx(4 / 3)


def test_reshares_make_reshare_cascades_and_do_not_count_as_voices(db):
    seed_posts(db, reshare=True)
    r = report.report(db, Filters())
    assert r["cascades.kind"] == "reshare"
    assert (r["cascades.count"], r["cascades.max_size"], r["cascades.max_depth"]) == (1, 2, 1)
    assert r["sentiment.public.mean"] == 0.0  # p5, the reshare, is not zed's own words


def test_missing_figures_are_null_never_nan(db, tmp_path):
    seed_service(db, [t for t in TOUCHES if t[0] in ("T4", "T5")])  # public only, nothing resolves
    r = report.report(db, Filters())
    assert r["service.resolution_known"] is False
    assert r["service.resolution_minutes.median"] is None and r["service.resolution_minutes.p90"] is None
    assert r["sentiment.brand.mean"] is None and r["cascades.max_size"] is None
    assert r["cascades.count"] == 0 and r["cascades.median_structural_virality"] is None
    path = tmp_path / "r.json"
    report.write_json(r, path)
    text = path.read_text()
    assert "NaN" not in text and json.loads(text) == r


def test_the_command_line_writes_the_figures_under_its_filters(tmp_path, capsys):
    path = tmp_path / "db.sqlite"
    db = store.connect(path)
    seed_service(db)
    seed_posts(db, reshare=False)
    db.close()
    out = tmp_path / "report.json"
    assert main(["report", "--db", str(path), "--segment", "Premium", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert (r["conversations"], r["unanswered_conversations"]) == (2, 1)  # T1 and T4
    assert r["service.first_response_minutes.median"] == 30.0
    assert r["filters.segments"] == ["Premium"]
    assert main(["report", "--db", str(path), "--from", "2026-03-02", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["conversations"] == 0
    # Clear refusals, no traceback.
    assert main(["report", "--db", str(tmp_path / "none.sqlite"), "--json", str(out)]) == 2
    assert "No database at" in capsys.readouterr().err
    assert main(["report", "--db", str(path), "--from", "2026-04-01", "--to", "2026-03-01", "--json",
                 str(out)]) == 2
    assert "date range is empty" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--db", str(path), "--from", "March", "--json", str(out)])
    assert "not a day: 'March'" in capsys.readouterr().err
    assert main(["report", "--db", str(path), "--segment", "Gold", "--json", str(out)]) == 0
    assert "no customers row has segment 'Gold'" in capsys.readouterr().err


# -- real data: the Customer Support on Twitter sample --------------------------------------------------------------

HANDOFF = re.compile(r"\bDMs?\b|direct message|private message|e-?mail us|call us", re.IGNORECASE)


def twcs_tables() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The sample loaded as contracts.md says: an interaction per tweet, thread = root tweet id (following
    replies up while the parent is in the file), account = the brand handle, public channels."""
    t = pd.read_csv(TWCS, dtype=str)
    t["inbound"] = t["inbound"].str.lower() == "true"
    t["ts"] = pd.to_datetime(t["created_at"], format="%a %b %d %H:%M:%S %z %Y").dt.tz_convert(None)
    parent = t.set_index("tweet_id")["in_response_to_tweet_id"]
    parent = parent.where(parent.isin(t["tweet_id"]))  # a parent outside the sample cuts the chain
    root = pd.Series(t["tweet_id"].to_numpy(), index=t["tweet_id"])
    for _ in range(len(t)):  # climb one level at a time until every tweet points to its root
        up = parent.reindex(root.to_numpy()).to_numpy()
        moved = pd.notna(up)
        if not moved.any():
            break
        root = root.where(~moved, up)
    t["thread"] = root.reindex(t["tweet_id"]).to_numpy()
    t = t.sort_values(["thread", "ts", "tweet_id"]).reset_index(drop=True)
    first_in_thread = ~t["thread"].duplicated()
    is_handoff = ~t["inbound"] & t["text"].str.contains(HANDOFF)
    kind = np.where(t["inbound"], np.where(first_in_thread, "inquiry", "message"),
                    np.where(is_handoff, "handoff_private", "reply"))
    customer = t["author_id"].where(t["inbound"], None)
    # A brand tweet belongs to the customer of its thread (the thread's first inbound author).
    thread_customer = t[t["inbound"]].groupby("thread")["author_id"].first()
    customer = customer.fillna(t["thread"].map(thread_customer)).fillna("unknown")
    interactions = pd.DataFrame({
        "interaction_id": t["tweet_id"], "customer_id": customer, "thread_id": t["thread"],
        "occurred_at": t["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "channel": np.where(t["in_response_to_tweet_id"].isna(), "post", "public_reply"),
        "direction": np.where(t["inbound"], "inbound", "outbound"), "kind": kind, "text": t["text"],
        "account": t["author_id"].where(~t["inbound"], None)})
    customers = pd.DataFrame({"customer_id": sorted(set(customer))})
    posts = pd.DataFrame({
        "post_id": t["tweet_id"], "platform": "twitter", "author_handle": t["author_id"],
        "created_at": interactions["occurred_at"], "text": t["text"], "reply_to": t["in_response_to_tweet_id"]})
    identities = pd.DataFrame({"customer_id": t.loc[t["inbound"], "author_id"].unique(), "platform": "twitter"})
    identities["handle"] = identities["customer_id"]
    brands = pd.DataFrame({"platform": "twitter", "handle": t.loc[~t["inbound"], "author_id"].unique()})
    return t, {"customers": customers, "identities": identities, "brand_accounts": brands,
               "interactions": interactions, "posts": posts}


@pytest.fixture(scope="module")
def twcs(tmp_path_factory):
    t, tables = twcs_tables()
    path = tmp_path_factory.mktemp("twcs") / "twcs.sqlite"
    db = store.connect(path)
    for name in ("customers", "identities", "brand_accounts", "interactions", "posts"):
        store.upsert_rows(db, name, tables[name])
    db.close()
    out = path.with_suffix(".json")
    assert main(["report", "--db", str(path), "--json", str(out)]) == 0
    return t, json.loads(out.read_text())


def test_real_tweets_conversations_and_unanswered(twcs):
    t, r = twcs
    first = t.groupby("thread").head(1)
    conv = set(first.loc[first["inbound"], "thread"])  # the customer tweeted first
    answered = set(t.loc[~t["inbound"] & t["thread"].isin(conv), "thread"])
    assert r["conversations"] == len(conv) and len(conv) > 10
    assert r["unanswered_conversations"] == len(conv - answered)
    assert r["service.resolution_known"] is False and r["service.resolution_minutes.median"] is None


def test_real_tweets_first_response_median_and_p90(twcs):
    t, r = twcs
    first_in = t[t["inbound"]].groupby("thread")["ts"].min()
    out = t[~t["inbound"]].merge(first_in.rename("first_in"), left_on="thread", right_index=True)
    first_out = out[out["ts"] >= out["first_in"]].groupby("thread")["ts"].min()
    first = t.groupby("thread").head(1).set_index("thread")["inbound"]
    conv = first[first].index
    minutes = ((first_out - first_in).dropna() / pd.Timedelta(minutes=1)).reindex(conv).dropna()
    assert r["service.first_response_minutes.n"] == len(minutes)
    assert r["service.first_response_minutes.median"] == pytest.approx(float(np.percentile(minutes, 50)))
    assert r["service.first_response_minutes.p90"] == pytest.approx(float(np.percentile(minutes, 90)))


def test_real_tweets_handoff_share(twcs):
    t, r = twcs
    first = t.groupby("thread").head(1).set_index("thread")["inbound"]
    brand = t[~t["inbound"] & t["thread"].isin(first[first].index)]
    handoffs = brand["text"].str.contains(HANDOFF)
    assert r["service.handoffs_to_private"] == int(handoffs.sum()) and handoffs.sum() >= 10
    assert r["service.handoff_to_private_share"] == pytest.approx(handoffs.mean())


def test_real_tweets_reply_trees(twcs):
    t, r = twcs
    g = nx.DiGraph()
    g.add_nodes_from(t["tweet_id"])
    g.add_edges_from((p, c) for c, p in zip(t["tweet_id"], t["in_response_to_tweet_id"]) if pd.notna(p))
    roots = [n for n in t.loc[t["in_response_to_tweet_id"].isna(), "tweet_id"] if g.out_degree(n) > 0]
    sizes = [1 + len(nx.descendants(g, n)) for n in roots]
    depths = [max(nx.single_source_shortest_path_length(g, n).values()) for n in roots]
    virality = [nx.average_shortest_path_length(g.subgraph(nx.descendants(g, n) | {n}).to_undirected())
                for n in roots]
    assert r["cascades.kind"] == "reply"  # tweets carry no reshares here
    assert r["cascades.count"] == len(roots)
    assert (r["cascades.max_size"], r["cascades.max_depth"]) == (max(sizes), max(depths))
    assert r["cascades.median_structural_virality"] == pytest.approx(float(np.median(virality)))
    assert not any(isinstance(v, float) and math.isnan(v) for v in r.values())
