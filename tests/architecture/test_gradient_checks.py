"""Every ``primitive`` has a numerical gradient check in a test file (and this test fails otherwise)."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import learnet

TESTS = Path(__file__).resolve().parents[1]


def primitives():
    """``{name: module}`` of every op made by ``primitive`` in learnet's floors 2 to 4."""
    found = {}
    for info in pkgutil.walk_packages(learnet.__path__, "learnet."):
        if info.name.startswith(("learnet.game", "learnet.cli", "learnet.__main__", "learnet.datasets")):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if callable(value) and getattr(value, "is_primitive", False):
                found.setdefault(value.__name__, value.__module__)
    return found


def gradient_check_sources(folder=TESTS):
    """The text of every test file that runs ``check_gradients``."""
    texts = []
    for path in folder.rglob("*.py"):
        text = path.read_text()
        if "check_gradients(" in text and path.name != Path(__file__).name:
            texts.append(text)
    return "\n".join(texts)


def unchecked(names, sources):
    """The primitives no gradient-check file mentions by name.

    A private primitive ``_name`` counts as checked through its public wrapper ``name``,
    and a private variant ``_name_variant`` (``_gelu_exact``) through ``name`` (``gelu``).
    """
    missing = []
    for name in names:
        words = name.lstrip("_").split("_")
        candidates = [name] if not name.startswith("_") else ["_".join(words[:end]) for end in range(len(words), 0, -1)]
        if not any(re.search(rf"\b_?{re.escape(candidate)}\b", sources) for candidate in candidates):
            missing.append(name)
    return sorted(missing)


def test_every_primitive_has_a_numerical_gradient_check():
    ops = primitives()
    assert len(ops) > 50  # the walk finds the ops (62 when this was written)
    missing = unchecked(ops, gradient_check_sources())
    assert not missing, (
        f"primitives without a numerical gradient check: {missing} "
        f"(defined in {sorted({ops[name] for name in missing})}); add a check_gradients test"
    )


# --- the test of the test ---------------------------------------------------------------------------
def test_a_planted_primitive_without_a_check_is_found(tmp_path):
    (tmp_path / "test_some_ops.py").write_text(
        "from learnet.testing import check_gradients\n"
        "def test_tanh():\n    check_gradients(lambda x: tanh(x), [[0.5]])\n"
    )
    sources = gradient_check_sources(tmp_path)
    assert unchecked(["tanh", "_matmul", "cube"], sources) == ["_matmul", "cube"]
    assert unchecked(["tanh"], sources) == []


@pytest.mark.parametrize("name", ["_sigmoid", "_where", "_gelu_exact"])
def test_a_private_primitive_counts_as_checked_through_its_public_name(name):
    assert unchecked([name], "check_gradients(lambda x: sigmoid(x) + gelu(where(x > 0, x, 0)), ...)") == []
    assert unchecked([name], "check_gradients(lambda x: tanh(x), ...)") == [name]
