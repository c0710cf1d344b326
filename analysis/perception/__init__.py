"""The perception gap (moved into a package; split by topic in the next commit)."""

from analysis.perception.gaps import *  # noqa: F403
from analysis.perception.gaps import _motive_regex, alignment_whatif, once_each  # noqa: F401 (not in __all__)
