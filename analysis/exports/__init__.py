"""Exports (moved into a package; split by topic in the next commit)."""

from analysis.exports.html_files import *  # noqa: F403
from analysis.exports.html_files import column_label, readable, report_title  # noqa: F401
