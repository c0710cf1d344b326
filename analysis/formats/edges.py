"""Format ``edges``: who reshared or answered whom (with times), or who follows whom.

Three plain forms are read, told apart by their content:

1. **Propagation trees** in the Twitter15/16 form (Ma et al. 2017), one edge per line::

       ['ROOT', 'ROOT', '0.0']->['972651', '80080680482123777', '0.0']
       ['972651', '80080680482123777', '0.0']->['189397006', '80080680482123777', '1.8']

   Each node is (user id, tweet id, minutes after the source tweet). A node with the source's tweet
   id is that user's retweet of it (post id ``<tweet id>/<user id>``); a node with another tweet id
   is that tweet. Becomes `posts` (platform `twitter`, author = user id, `reshare_of` = the parent
   node's post). The source's time comes from its tweet id (Twitter ids since November 2010 carry
   their creation time, in milliseconds since 2010-11-04 01:42:54.657 UTC, in their upper bits);
   each node's time is that plus its delay. A node listed again (the same user and tweet) keeps its
   first line; a line from a node to itself is skipped; both are counted in the report.
2. **A reshare or reply list with times**: CSV (with a header) or whitespace-separated columns
   `parent child time [author]` (header names tried: parent, source, reshare_of, reply_to,
   in_reply_to / child, target, post_id, id / time, created_at, timestamp / author, user,
   author_handle). Becomes `posts`: the child with its time, linked to the parent by `reshare_of`
   (or by `reply_to` with the option ``link="reply"``). Without an author column each post is
   its own author (nothing is guessed). Parents that are never a child are not written as posts:
   their time is not in the file.
3. **A follower list**: two columns, CSV or whitespace-separated, lines starting with `#` are
   comments (SNAP's form). Header names tried: follower, follower_handle / followee,
   followee_handle, followed; ``source,target`` is read as a flow from the account followed
   (source) to its follower (target). Without a header, the first column follows the second.
   Becomes `follows` (platform `twitter`, or the ``platform`` option).

`python -m analysis simulate --edges FILE` reads the same forms (see ``simulation_frame``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import ingest, mapping
from analysis.formats import Built, Checker, text
from analysis.ingest import ImportProblem

_NODE = r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]"
TREE_LINE = re.compile(rf"^\s*{_NODE}\s*->\s*{_NODE}\s*$")
TWITTER_EPOCH_MS = 1288834974657

PARENT = ("parent", "parent_id", "source", "reshare_of", "reply_to", "in_reply_to", "in_reply_to_status_id")
CHILD = ("child", "child_id", "target", "post_id", "id", "tweet_id")
TIME = ("time", "created_at", "timestamp", "date", "occurred_at")
AUTHOR = ("author", "user", "author_handle", "user_id", "screen_name")
FOLLOWER = ("follower", "follower_handle", "follower_id")
FOLLOWEE = ("followee", "followee_handle", "followed", "following", "friend")


def read_source(source, name: str | None = None) -> tuple[pd.DataFrame, str, int, str]:
    """The file as a frame of text columns; its index is the 0-based line (or row) it came from."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.exists():
            raise ImportProblem(name, f"no such file ({path})")
        data = path.read_bytes()
    else:
        data = source.read() if hasattr(source, "read") else bytes(source)
        name = name or getattr(source, "name", "upload")
    if not data.strip():
        raise ImportProblem(name, "the file is empty")
    raw = ingest.decode_text(data, name)
    lines = raw.splitlines()
    content = [(i, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not content:
        raise ImportProblem(name, "the file has only comments or blank lines")
    if TREE_LINE.match(content[0][1]):
        rows = []
        for i, ln in content:
            m = TREE_LINE.match(ln)
            if not m:
                raise ImportProblem(name, f"not a tree edge ['uid', 'tweet id', 'delay']->[...]: {ln.strip()[:80]!r}",
                                    row=i + 1, row_label="line")
            rows.append((i, *m.groups()))
        frame = pd.DataFrame(rows, columns=["line", "parent_uid", "parent_tid", "parent_delay", "child_uid",
                                            "child_tid", "child_delay"]).set_index("line")
        frame.attrs["form"] = "tree"
        return frame, name, 1, "line"
    first = content[0][1]
    sep = "," if "," in first else None
    tokens = [t.strip().lower() for t in (first.split(",") if sep else first.split())]
    known = set(PARENT + CHILD + TIME + AUTHOR + FOLLOWER + FOLLOWEE)
    has_header = bool(set(tokens) & known)
    body = "\n".join(ln for _, ln in content)
    try:
        frame = pd.read_csv(io.StringIO(body), sep=sep if sep else r"\s+", header=0 if has_header else None,
                            dtype=str, keep_default_na=False, na_values=[""], engine="python")
    except (pd.errors.ParserError, ValueError) as exc:
        raise ImportProblem(name, f"cannot read the columns ({exc})") from None
    line_of = [i for i, _ in content][1 if has_header else 0:]
    frame.index = pd.Index(line_of[:len(frame)])
    if has_header:
        frame.columns = [str(c).strip().lower() for c in frame.columns]
    else:
        frame.columns = [f"column {k + 1}" for k in range(frame.shape[1])]
    frame.attrs["form"] = "table"
    frame.attrs["header"] = has_header
    frame.attrs["sep"] = sep
    return frame, name, 1, "line"


def build(frame: pd.DataFrame, name: str, offset: int, row_label: str, platform: str = "twitter",
          link: str = "reshare", **_options) -> Built:
    check = Checker(name, offset, row_label)
    if frame.attrs.get("form") == "tree":
        return _trees(frame, check)
    cols = list(frame.columns)

    def find(names):
        return next((c for c in names if c in cols), None)

    parent, child, when = find(PARENT), find(CHILD), find(TIME)
    follower, followee = find(FOLLOWER), find(FOLLOWEE)
    if not frame.attrs.get("header"):
        if len(cols) >= 3:
            parent, child, when = cols[0], cols[1], cols[2]
            follower = followee = None
        elif len(cols) == 2:
            follower, followee = cols[0], cols[1]
        else:
            raise ImportProblem(name, "an edge list needs two columns (a follower list) or three (parent, child, time)")
    if when is not None and parent is not None and child is not None:
        return _reshares(frame, check, parent, child, when, find(AUTHOR) if frame.attrs.get("header") else
                         (cols[3] if len(cols) > 3 else None), platform, link)
    if follower is None and followee is None and parent == "source" and child == "target":
        follower, followee = "target", "source"  # a flow from the account followed to its follower
    if follower is None or followee is None:
        raise ImportProblem(name, "cannot tell the columns apart: name them follower,followee (a follower list) or "
                                  f"parent,child,time (a reshare list) (found: {', '.join(map(str, cols))})")
    a, b = text(frame[follower]), text(frame[followee])
    check.flag(a.isna(), follower, lambda v: "a follower is required here")
    check.flag(b.isna(), followee, lambda v: "an account followed is required here")
    check.raise_if_any()
    follows = pd.DataFrame({"platform": platform, "follower_handle": a, "followee_handle": b})
    dup = follows.duplicated(["follower_handle", "followee_handle"])
    follows = follows[~dup]
    notes = [f"{int(dup.sum()):,} repeated edges were kept once."] if dup.any() else []
    return Built([("follows", follows, {"follower_handle": follower, "followee_handle": followee})],
                 {"follows": len(follows), "accounts": int(pd.concat([a, b]).nunique())}, notes)


def _reshares(frame, check: Checker, parent, child, when, author, platform, link) -> Built:
    p, c = text(frame[parent]), text(frame[child])
    t = mapping.parse_dates(frame[when])
    check.flag(c.isna(), child, lambda v: "a post id is required here")
    check.flag(c.notna() & c.duplicated(), child, lambda v: f"post {v!r} appears twice as a child", c)
    raw = frame[when]
    check.flag(raw.isna(), when, lambda v: "a time is required here")
    check.flag(raw.notna() & t.isna(), when, lambda v: f"cannot read {str(v)!r} as a date (ISO 8601, Twitter's "
                                                       "form or Unix epoch seconds/milliseconds)", raw)
    check.raise_if_any()
    who = text(frame[author]) if author else c
    posts = pd.DataFrame({"post_id": c, "platform": platform, "author_handle": who.fillna(c),
                          "created_at": mapping.date_text(t)})
    posts["reply_to" if link == "reply" else "reshare_of"] = p
    roots = int((~p.dropna().isin(set(c))).sum())
    return Built([("posts", posts, {"post_id": child, "created_at": when, "author_handle": author or child})],
                 {"posts": len(posts), "links": int(p.notna().sum())},
                 [f"{roots:,} links point to a parent that is not a child in the file; it is not written as a post "
                  "(its time is unknown)."] if roots else [])


def _trees(frame: pd.DataFrame, check: Checker) -> Built:
    roots = frame[frame["parent_uid"].eq("ROOT")]
    if roots.empty:
        check.add("no ['ROOT', 'ROOT', '0.0']->[...] line: the tree has no source tweet")
    check.raise_if_any()
    # Which tree each line belongs to: the last ROOT line above it.
    tree_root = pd.Series(np.where(frame["parent_uid"].eq("ROOT"), frame["child_tid"], None), index=frame.index
                          ).ffill()
    check.flag(tree_root.isna(), "tree", lambda v: "an edge before the tree's ROOT line")
    for col in ("child_delay", "parent_delay"):
        num = pd.to_numeric(frame[col], errors="coerce")
        check.flag(num.isna() & ~frame["parent_uid"].eq("ROOT"), "delay",
                   lambda v: f"{v!r} is not a delay in minutes", frame[col])
    root_ids = pd.to_numeric(roots["child_tid"], errors="coerce")
    bad_root = root_ids.isna() | (root_ids < 2**22 * 1000)
    check.flag(pd.Series(bad_root.to_numpy(), index=roots.index).reindex(frame.index, fill_value=False), "tweet id",
               lambda v: "the source's tweet id carries no time (not a Twitter id from after November 2010)")
    check.raise_if_any()

    start = {tid: pd.Timestamp(TWITTER_EPOCH_MS + (int(tid) >> 22), unit="ms") for tid in roots["child_tid"]}

    def post_id(uid: pd.Series, tid: pd.Series, root: pd.Series) -> pd.Series:
        own = tid.ne(root)
        return tid.where(own, tid + "/" + uid)

    child_post = post_id(frame["child_uid"], frame["child_tid"], tree_root)
    # The source itself keeps its own tweet id.
    is_root = frame["parent_uid"].eq("ROOT")
    child_post = child_post.where(~is_root, frame["child_tid"])
    parent_post = post_id(frame["parent_uid"], frame["parent_tid"], tree_root).where(~is_root, None)
    src_uid = dict(zip(roots["child_tid"], roots["child_uid"], strict=False))
    is_source = frame["parent_tid"].eq(tree_root) & frame["parent_uid"].eq(tree_root.map(src_uid))
    parent_post = parent_post.where(~is_source, tree_root)
    self_loop = parent_post.notna() & parent_post.eq(child_post)
    repeated = child_post.duplicated() & ~self_loop
    keep = ~self_loop & ~repeated
    delay = pd.to_numeric(frame["child_delay"], errors="coerce").fillna(0.0)
    at = tree_root.map(start) + pd.to_timedelta(delay * 60, unit="s")
    posts = pd.DataFrame({"post_id": child_post, "platform": "twitter", "author_handle": frame["child_uid"],
                          "created_at": mapping.date_text(at), "reshare_of": parent_post})[keep]
    notes = []
    if self_loop.any() or repeated.any():
        notes.append(f"{int(repeated.sum()):,} repeated nodes kept their first line; {int(self_loop.sum()):,} "
                     "lines from a node to itself were skipped.")
    return Built([("posts", posts, {"post_id": "tweet id", "author_handle": "uid", "created_at": "delay"})],
                 {"trees": len(roots), "posts": len(posts), "reshares": int(posts["reshare_of"].notna().sum())}, notes)


def simulation_frame(path: str | Path, source: str = "source", target: str = "target") -> pd.DataFrame | Path:
    """What ``simulate --edges`` should load: the path itself for a CSV (which names its columns); for
    a whitespace-separated list (# comments allowed) or Twitter15/16 trees a frame with ``source`` and
    ``target`` columns (file order: the first column is the source, the second the target; in a
    tree, parent -> child, nodes named ``user/tweet``)."""
    frame, name, _offset, _label = read_source(path)
    if frame.attrs.get("form") == "tree":
        body = frame[~frame["parent_uid"].eq("ROOT")]
        return pd.DataFrame({source: body["parent_uid"] + "/" + body["parent_tid"],
                             target: body["child_uid"] + "/" + body["child_tid"]})
    if frame.attrs.get("sep") == ",":
        return Path(path)  # a CSV names its columns (source,target or --source/--target), as before
    if frame.shape[1] < 2:
        raise ImportProblem(name, "an edge list needs at least two columns")
    first, second = frame.columns[0], frame.columns[1]
    return pd.DataFrame({source: frame[first], target: frame[second]})
