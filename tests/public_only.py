"""A hand-made public-only dataset, shaped as a customer-service tweet dump gives it: every customer
tweet and brand reply is a post and, inside a conversation, an interaction on a public channel.

Brand account @AcmeHelp; customers C1 (@u1), C2 (@u2), C3 (@u3); @bystander is linked to no one.
Conversations (thread = the root tweet):
- T1 (C1): u1 tweets at 10:00, the brand replies at 10:30 asking for a DM, u1 replies publicly at
  11:00: the customer posted again in public after the brand's reply (escalated).
- T4 (C1): u1 tweets twice (12:00, 12:05) before the brand's only reply at 13:00: not escalated (the
  second tweet came before any reply).
- T6 (C2): u2 tweets, the brand replies two hours later, nothing more: not escalated.
- T9 (C3): u3 tweets and nobody answers: unanswered, so not a case of escalation either way.
@bystander's tweet is a post and nothing else.
"""

from __future__ import annotations

import pandas as pd

from analysis import store

BRAND = "AcmeHelp"

# post_id, author, created_at, text, reply_to, sentiment
POSTS = [
    ("1", "u1", "2026-01-05 10:00:00", "@AcmeHelp my order arrived broken, awful", None, -0.7),
    ("2", BRAND, "2026-01-05 10:30:00", "@u1 So sorry! Please DM us your order number ^AB", "1", 0.1),
    ("3", "u1", "2026-01-05 11:00:00", "@AcmeHelp still broken and nobody helps", "2", -0.5),
    ("7", "u1", "2026-01-06 12:00:00", "@AcmeHelp where is my refund", None, 0.0),
    ("8", "u1", "2026-01-06 12:05:00", "@AcmeHelp hello??", "7", 0.0),
    ("9", BRAND, "2026-01-06 13:00:00", "@u1 It went out today, thanks for waiting ^CD", "8", 0.4),
    ("4", "u2", "2026-01-07 09:00:00", "@AcmeHelp love the new app", None, 0.6),
    ("5", BRAND, "2026-01-07 11:00:00", "@u2 Thank you, glad you like it ^AB", "4", 0.7),
    ("6", "u3", "2026-01-08 08:00:00", "@AcmeHelp terrible delay again", None, -0.6),
    ("10", "bystander", "2026-01-08 09:00:00", "Acme is trending today", None, 0.0),
]
# interaction_id, thread, customer, channel, direction, kind (the tweets format's conventions)
INTERACTIONS = [
    ("1", "1", "C1", "post", "inbound", "inquiry"),
    ("2", "1", "C1", "public_reply", "outbound", "handoff_private"),
    ("3", "1", "C1", "public_reply", "inbound", "message"),
    ("7", "7", "C1", "post", "inbound", "inquiry"),
    ("8", "7", "C1", "public_reply", "inbound", "message"),
    ("9", "7", "C1", "public_reply", "outbound", "reply"),
    ("4", "4", "C2", "post", "inbound", "inquiry"),
    ("5", "4", "C2", "public_reply", "outbound", "reply"),
    ("6", "6", "C3", "post", "inbound", "inquiry"),
]
HANDLES = {"C1": "u1", "C2": "u2", "C3": "u3"}


def posts_frame() -> pd.DataFrame:
    return pd.DataFrame(POSTS, columns=["post_id", "author_handle", "created_at", "text", "reply_to", "sentiment"]
                        ).assign(platform="twitter")


def load(db) -> None:
    """Fill ``db`` (a fresh store) with the dataset."""
    store.upsert_rows(db, "customers", [{"customer_id": c, "name": c} for c in HANDLES])
    store.upsert_rows(db, "identities", [{"customer_id": c, "platform": "twitter", "handle": h}
                                         for c, h in HANDLES.items()])
    store.upsert_rows(db, "brand_accounts", [{"platform": "twitter", "handle": BRAND}])
    store.upsert_rows(db, "posts", posts_frame())
    by_id = {p[0]: p for p in POSTS}
    store.upsert_rows(db, "interactions", [
        {"interaction_id": i, "thread_id": th, "customer_id": c, "channel": ch, "direction": d, "kind": k,
         "occurred_at": by_id[i][2], "text": by_id[i][3]}
        for i, th, c, ch, d, k in INTERACTIONS])
