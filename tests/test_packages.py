"""The feature packages split by topic (continuum, perception, exports) name everything their modules offer."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

PACKAGES = ["analysis.continuum", "analysis.perception", "analysis.exports"]


def defined_public_names(module_file: Path) -> set[str]:
    """Functions, classes and constants a module defines at its top level, without a leading underscore."""
    names = set()
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("name", PACKAGES)
def test_the_package_offers_every_public_name_of_its_modules(name):
    pkg = importlib.import_module(name)
    modules = [m.name for m in pkgutil.iter_modules(pkg.__path__)]
    assert len(modules) >= 5  # one topic per module
    for mod in modules:
        module = importlib.import_module(f"{name}.{mod}")
        for public in defined_public_names(Path(module.__file__)):
            assert public in pkg.__all__, f"{name}.{mod}.{public} is not offered by {name}"
            # The package's attribute is the module's object itself, even where a module shares its name.
            assert getattr(pkg, public) is getattr(module, public), f"{name}.{public}"
    assert len(pkg.__all__) == len(set(pkg.__all__))
    for public in pkg.__all__:
        assert not isinstance(getattr(pkg, public), types.ModuleType), f"{name}.{public} is a module"


def test_the_old_import_paths_still_work():
    from analysis import continuum, exports
    from analysis import perception as P
    from analysis.continuum import channel_view, service_base, whatif_view
    from analysis.exports import html_report, neutralise_cell, pptx_deck
    from analysis.perception import alignment_score, gap_table, load_reference

    assert continuum.channel_view is channel_view and continuum.service_base is service_base
    assert continuum.whatif_view is whatif_view and callable(continuum.journeys)
    assert exports.html_report is html_report and exports.neutralise_cell is neutralise_cell and callable(pptx_deck)
    assert neutralise_cell("=1") == "'=1"
    assert P.gap_table is gap_table and P.alignment_score is alignment_score
    assert len(load_reference()) == 12  # the IBM preset's twelve motives
