"""The public-versus-private continuum: channels on the axis, journeys between them, going public, talk/listen, what if.

Two kinds of input. Channel-level figures (volumes, customers, sentiment, mix) are aggregated in SQL
under the filters, or from the coded activity kept in memory. Conversation-level figures (journeys,
going public, the models) start from every touch of every conversation, fetched once per rows version
(``service_base``) and then filtered and aggregated in vectorised pandas, so a filter change costs
milliseconds, not a scan.

One topic per module; this package names what it offers (``from analysis import continuum;
continuum.channel_view(...)``):

- ``vocabulary``: the channels with publicness and side
- ``selection``: chart clicks (focus channels, a path) and paths as keys and labels
- ``activity``: every interaction as small integers, filtered in memory
- ``channels``: the channel view (volumes, customers, sentiment, monthly mix)
- ``talk_listen``: outbound against inbound
- ``conversations``: the conversations' touches, moves and facts, and the threads in view
- ``journeys``: moves, paths, conversations taken private or gone public
- ``rates``: outcome rates with Wilson intervals by time bins
- ``going_public``: public posts matched to open conversations
- ``escalation``: public-only data, where escalation replaces going public
- ``what_if``: the logistic models and what-ifs
- ``prefetch``: the background warm-up

Several modules share their name with their main function (``journeys``, ``escalation``, ``going_public``,
``talk_listen``, ``vocabulary``, ``prefetch``): the package's attribute is the function. To reach a
module itself (to patch it in a test, say) import it by its full name, ``from analysis.continuum.journeys
import ...`` or ``importlib.import_module("analysis.continuum.journeys")``.
"""

from analysis.continuum.activity import (
    ACTIVITY_MEMO_KEY,
    Activity,
    activity_base,
    activity_counts,
    activity_frames,
    activity_from_frames,
    activity_texts,
    build_activity,
    day_key,
    post_sentiment,
)
from analysis.continuum.channels import (
    MAX_SCORED_TEXTS,
    SCORED_TEXTS_KEPT,
    ChannelView,
    channel_inputs,
    channel_view,
    focus_channels,
    monthly_mix,
    summarise_channels,
    text_sentiment,
    view_from_inputs,
)
from analysis.continuum.conversations import (
    MANY_THREADS,
    MAX_PATH_STEPS,
    SERVICE_MEMO_KEY,
    ServiceBase,
    build_service_base,
    epoch_seconds,
    service_base,
    thread_mask,
)
from analysis.continuum.escalation import (
    ESCALATION_RULE,
    FIRST_REPLY_KINDS,
    HANDOFF_MEANING,
    PUBLIC_ONLY_NOTE,
    WHATIF_PUBLIC_ONLY,
    Escalation,
    escalation,
    escalation_frame,
    escalation_view,
    public_only,
)
from analysis.continuum.going_public import (
    OUTCOMES,
    GoingPublic,
    bases,
    brand_accounts_known,
    going_public,
    going_public_view,
    label_outcomes,
    match_public_moments,
    outcome_frame,
    posts_base,
)
from analysis.continuum.journeys import (
    MAX_DRAWN_MOVES,
    MAX_DRAWN_PATHS,
    Journeys,
    conversation_counts,
    conversation_monthly,
    journeys,
    journeys_view,
    path_options,
)
from analysis.continuum.prefetch import prefetch
from analysis.continuum.rates import FIRST_RESPONSE_BINS, NO_RESPONSE, NOT_RESOLVED, RESOLUTION_BINS, add_bins, rates
from analysis.continuum.selection import (
    PATH_SEP,
    TRUNCATED,
    focus_from_selection,
    path_channels,
    path_from_label,
    path_from_selection,
    path_label,
    selected_values,
)
from analysis.continuum.talk_listen import TALK_RULE, TalkListen, talk_listen
from analysis.continuum.vocabulary import complete_vocab, labels_of, public_set, vocabulary, with_sides
from analysis.continuum.what_if import (
    CATEGORICAL,
    EXTRAPOLATION_SHARE,
    MIN_EVENTS,
    MIN_RESOLUTION_H,
    MIN_RESPONSE_H,
    NUMERIC,
    TERM_WORDS,
    Model,
    WhatIf,
    extrapolation,
    fit_models,
    model_covariates,
    whatif_effects,
    whatif_models,
    whatif_view,
    whatif_words,
)

__all__ = [
    "vocabulary",
    "with_sides",
    "complete_vocab",
    "labels_of",
    "public_set",
    "PATH_SEP",
    "TRUNCATED",
    "selected_values",
    "focus_from_selection",
    "path_from_selection",
    "path_channels",
    "path_label",
    "path_from_label",
    "day_key",
    "Activity",
    "ACTIVITY_MEMO_KEY",
    "build_activity",
    "activity_frames",
    "activity_from_frames",
    "activity_base",
    "activity_counts",
    "activity_texts",
    "post_sentiment",
    "MAX_SCORED_TEXTS",
    "SCORED_TEXTS_KEPT",
    "text_sentiment",
    "ChannelView",
    "summarise_channels",
    "channel_view",
    "channel_inputs",
    "view_from_inputs",
    "monthly_mix",
    "focus_channels",
    "TALK_RULE",
    "TalkListen",
    "talk_listen",
    "MAX_PATH_STEPS",
    "MANY_THREADS",
    "ServiceBase",
    "epoch_seconds",
    "build_service_base",
    "service_base",
    "SERVICE_MEMO_KEY",
    "thread_mask",
    "MAX_DRAWN_MOVES",
    "MAX_DRAWN_PATHS",
    "Journeys",
    "journeys",
    "journeys_view",
    "path_options",
    "conversation_monthly",
    "conversation_counts",
    "FIRST_RESPONSE_BINS",
    "RESOLUTION_BINS",
    "NO_RESPONSE",
    "NOT_RESOLVED",
    "rates",
    "add_bins",
    "OUTCOMES",
    "GoingPublic",
    "brand_accounts_known",
    "posts_base",
    "bases",
    "match_public_moments",
    "label_outcomes",
    "outcome_frame",
    "going_public",
    "going_public_view",
    "PUBLIC_ONLY_NOTE",
    "ESCALATION_RULE",
    "WHATIF_PUBLIC_ONLY",
    "HANDOFF_MEANING",
    "public_only",
    "Escalation",
    "FIRST_REPLY_KINDS",
    "escalation_frame",
    "escalation_view",
    "escalation",
    "NUMERIC",
    "CATEGORICAL",
    "TERM_WORDS",
    "MIN_RESPONSE_H",
    "MIN_RESOLUTION_H",
    "model_covariates",
    "Model",
    "WhatIf",
    "MIN_EVENTS",
    "EXTRAPOLATION_SHARE",
    "whatif_words",
    "extrapolation",
    "fit_models",
    "whatif_effects",
    "whatif_models",
    "whatif_view",
    "prefetch",
]
