"""The public-versus-private continuum (moved into a package; split by topic in the next commit)."""

from analysis.continuum.what_if import *  # noqa: F403
