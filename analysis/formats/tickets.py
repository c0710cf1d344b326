"""Format ``tickets``: a help-desk ticket export (Zendesk, Freshdesk and similar), one row or JSON record per ticket.

Columns are found by name, ignoring case, spaces, dots and underscores (``Created at``, ``created_at``
and ``CreatedAt`` are one name); the first name found in each list is used:

- ticket id (required): Ticket ID, Id, Ticket number
- requester (required): Requester id, Requester, Requester email, Customer id, Customer email,
  Contact id, Email
- created (required): Created at, Created, Created time, Created date, Creation date, Opened at
- channel: Via, Via channel (Zendesk API `via.channel`), Channel, Source, Ticket channel
- status: Status, Ticket status
- first reply, as a time: First reply at, First responded at, First response at; or as a
  duration: First reply time in minutes, Reply time in minutes (`reply_time_in_minutes.calendar`),
  First response time (in hrs)
- solved, as a time: Solved at, Resolved at, Resolved time, Closed at, Closed time; or as a
  duration: Full resolution time in minutes, Resolution time (in hrs)
- satisfaction: Satisfaction score, Satisfaction rating (`satisfaction_rating.score`), Customer
  satisfaction rating, CSAT, Survey results
- account: Assignee, Agent, Group, Team (and their ids): the agent or team that handled it
- text: Subject, Description; requester name: Requester name, Customer name, Full name;
  requester email: Requester email, Customer email

What it writes, in one transaction:
- `customers`: one per requester (customer id = the requester's id or email as written; name and
  email when the export has them);
- `interactions`, all in one thread per ticket (thread id = the ticket id):
  - `inquiry` (inbound, at `created`, on the ticket's channel; text = subject): opens the conversation;
  - `reply` (outbound, at the first reply), when the export gives one;
  - `resolution` (outbound, at `solved`), when the ticket is solved or closed and the time is known;
  - `satisfaction` (inbound, at `solved`, else `created`), when the ticket has a rating: `amount`
    holds the score on the export's own scale (typically 1-5); Zendesk's words count as good = 1,
    bad = 0; "offered"/"unoffered" mean no rating.
- `account` on outbound touches: the assignee, else the group, when the export names one.
Channel names: `via`/`source` values are lower-cased with spaces as `_`, and common aliases are
folded (`e-mail`/`mail` -> email, `voice`/`call` -> phone, `live_chat`/`messaging` -> chat,
`web_form`/`portal` -> web, `text` -> sms). Any other channel (`social_media`, `twitter`, ...) is
added to the vocabulary at publicness 0.5 and listed for the user to place.
Durations are counted from `created`. A ticket whose reply or solve time comes before its creation
is refused (the row and column are named). Comments, when an export has them, are not read.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import mapping
from analysis.formats import Built, Checker, text

ID = ("Ticket ID", "Id", "Ticket number")
REQUESTER = ("Requester id", "Requester", "Requester email", "Customer id", "Customer email", "Contact id", "Email")
CREATED = ("Created at", "Created", "Created time", "Created date", "Creation date", "Opened at")
CHANNEL = ("Via", "Via channel", "Channel", "Source", "Ticket channel")
STATUS = ("Status", "Ticket status")
REPLY_AT = ("First reply at", "First responded at", "First response at")
REPLY_MIN = ("First reply time in minutes", "Reply time in minutes", "reply_time_in_minutes.calendar")
REPLY_HRS = ("First response time (in hrs)", "First response time hours")
SOLVED_AT = ("Solved at", "Resolved at", "Resolved time", "Closed at", "Closed time")
SOLVED_MIN = ("Full resolution time in minutes", "full_resolution_time_in_minutes.calendar")
SOLVED_HRS = ("Resolution time (in hrs)", "Resolution time hours")
SATISFACTION = ("Satisfaction score", "Satisfaction rating", "satisfaction_rating.score",
                "Customer satisfaction rating", "CSAT", "CSAT score", "Survey results")
ACCOUNT = ("Assignee", "Assignee name", "Agent", "Group", "Group name", "Team", "Assignee id", "Group id")
TEXT = ("Subject", "Description")
NAME = ("Requester name", "Customer name", "Full name")
EMAIL = ("Requester email", "Customer email", "Email")

SOLVED_STATUSES = {"solved", "closed", "resolved"}
CHANNEL_ALIASES = {"e-mail": "email", "mail": "email", "voice": "phone", "call": "phone", "phone_call": "phone",
                   "live_chat": "chat", "messaging": "chat", "web_form": "web", "portal": "web", "text": "sms"}
SCORE_WORDS = {"good": 1.0, "bad": 0.0}
NO_SCORE = {"offered", "unoffered", "not_offered", "none", ""}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def build(frame: pd.DataFrame, name: str, offset: int, row_label: str, **_options) -> Built:
    check = Checker(name, offset, row_label)
    frame = frame.reset_index(drop=True)
    by_squash: dict[str, str] = {}
    for col in frame.columns:
        by_squash.setdefault(_squash(col), col)

    def find(names):
        return next((by_squash[_squash(n)] for n in names if _squash(n) in by_squash), None)

    col_id, col_req, col_created = find(ID), find(REQUESTER), find(CREATED)
    for col, what, names in ((col_id, "ticket id", ID), (col_req, "requester", REQUESTER),
                             (col_created, "created time", CREATED)):
        if col is None:
            check.add(f"no {what} column (looked for {', '.join(names)}; found: {', '.join(map(str, frame.columns))})")
    check.raise_if_any()

    ids, requester = text(frame[col_id]), text(frame[col_req])
    check.flag(ids.isna(), col_id, lambda v: "a ticket id is required here")
    check.flag(ids.notna() & ids.duplicated(), col_id, lambda v: f"ticket id {v!r} appears twice", ids)
    check.flag(requester.isna(), col_req, lambda v: "a requester is required here")
    created = _dates(frame, col_created, check, required=True)

    col_status = find(STATUS)
    status = text(frame[col_status]).str.lower() if col_status else pd.Series(None, index=frame.index, dtype=object)
    reply = _moment(frame, find(REPLY_AT), find(REPLY_MIN), find(REPLY_HRS), created, check)
    solved = _moment(frame, find(SOLVED_AT), find(SOLVED_MIN), find(SOLVED_HRS), created, check)
    col_channel = find(CHANNEL)
    channel = (text(frame[col_channel]).str.lower().str.strip().str.replace(r"[\s-]+", "_", regex=True)
               .replace(CHANNEL_ALIASES) if col_channel else pd.Series(None, index=frame.index, dtype=object))
    check.flag(channel.isna(), col_channel or "channel", lambda v: "a channel is required here")
    col_sat = find(SATISFACTION)
    score = _scores(frame[col_sat], col_sat, check) if col_sat else pd.Series(np.nan, index=frame.index)
    check.raise_if_any()

    col_account = find(ACCOUNT)
    account = text(frame[col_account]) if col_account else pd.Series(None, index=frame.index, dtype=object)
    col_text = find(TEXT)
    subject = text(frame[col_text]) if col_text else pd.Series(None, index=frame.index, dtype=object)

    first = ~requester.duplicated()
    customers = pd.DataFrame({"customer_id": requester[first]}, index=frame.index[first])
    for cols, target in ((NAME, "name"), (EMAIL, "email")):
        col = find(cols)
        if col is not None and col != col_req:
            customers[target] = text(frame[col])[first]
        elif target == "email" and col == col_req:
            customers["email"] = requester[first].where(requester[first].str.contains("@", na=False), None)

    fmt = mapping.date_text
    solved_known = solved.notna() & (status.isin(SOLVED_STATUSES) | status.isna())
    touches = [
        pd.DataFrame({"interaction_id": ids + ":opened", "occurred_at": fmt(created), "direction": "inbound",
                      "kind": "inquiry", "text": subject, "account": None}),
        pd.DataFrame({"interaction_id": ids + ":reply", "occurred_at": fmt(reply), "direction": "outbound",
                      "kind": "reply", "text": None, "account": account})[reply.notna()],
        pd.DataFrame({"interaction_id": ids + ":solved", "occurred_at": fmt(solved), "direction": "outbound",
                      "kind": "resolution", "text": None, "account": account})[solved_known],
        pd.DataFrame({"interaction_id": ids + ":satisfaction",
                      "occurred_at": fmt(solved.where(solved.notna(), created)),
                      "direction": "inbound", "kind": "satisfaction", "text": None, "account": None,
                      "amount": score})[score.notna()],
    ]
    base = pd.DataFrame({"customer_id": requester, "thread_id": ids, "channel": channel})
    interactions = pd.concat([t.join(base) for t in touches]).sort_index(kind="stable")
    interactions["account"] = interactions["account"].where(interactions["direction"] == "outbound", None)

    cols = {"customer_id": col_req, "name": find(NAME) or "name", "email": find(EMAIL) or "email"}
    parts = [("customers", customers, cols),
             ("interactions", interactions, {"interaction_id": col_id, "customer_id": col_req,
                                             "thread_id": col_id, "channel": col_channel or "channel"})]
    figures = {"tickets": len(frame), "customers": len(customers), "first_replies": int(reply.notna().sum()),
               "resolutions": int(solved_known.sum()), "satisfaction_scores": int(score.notna().sum())}
    notes = []
    if reply.notna().sum() == 0:
        notes.append("The export gives no first-reply time: first response cannot be measured from it.")
    return Built(parts, figures, notes)


def _dates(frame: pd.DataFrame, col: str, check: Checker, required: bool = False) -> pd.Series:
    raw = frame[col]
    filled = raw.notna() & raw.astype("str").str.strip().ne("")
    parsed = mapping.parse_dates(raw)
    if required:
        check.flag(~filled, col, lambda v: "a time is required here")
    check.flag(filled & parsed.isna(), col, lambda v: f"cannot read {str(v)!r} as a date", raw)
    return parsed


def _moment(frame, col_at, col_min, col_hrs, created, check: Checker) -> pd.Series:
    """A time given as a timestamp column, or as minutes or hours after ``created``; NaT if none."""
    if col_at is not None:
        when, col = _dates(frame, col_at, check), col_at
    elif col_min is not None or col_hrs is not None:
        col = col_min or col_hrs
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce")
        filled = raw.notna() & raw.astype("str").str.strip().ne("")
        check.flag(filled & num.isna(), col, lambda v: f"{str(v)!r} is not a number of "
                                                       f"{'minutes' if col_min else 'hours'}", raw)
        when = created + pd.to_timedelta(num * (60 if col_min else 3600), unit="s")
    else:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    check.flag(when.notna() & created.notna() & (when < created), col,
               lambda v: "this comes before the ticket was created", frame[col])
    return when


def _scores(raw: pd.Series, col: str, check: Checker) -> pd.Series:
    words = raw.astype("str").str.strip().str.lower().where(raw.notna(), "")
    num = pd.to_numeric(words.where(~words.isin(SCORE_WORDS)), errors="coerce")
    num = num.where(~words.isin(SCORE_WORDS), words.map(SCORE_WORDS))
    bad = num.isna() & ~words.isin(NO_SCORE) & words.ne("nan")
    check.flag(bad, col, lambda v: f"{str(v)!r} is not a satisfaction score (a number, good or bad)", raw)
    return num.astype(float)
