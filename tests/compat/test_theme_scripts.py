"""Scripts written here, one per theme the public tutorials teach, in TensorFlow/Keras spelling.

Each file in ``themes/`` is our own code (own models, data and names) exercising what
the TensorFlow guides, the Keras 3 guides and the two textbooks use, theme by theme. It
is written with real TensorFlow/Keras imports and asserts what TensorFlow documents; the
test rewrites only its imports (``rewrite_imports``), runs it in a fresh Python process
and requires it to finish with ``THEME OK``. Each script also runs unchanged under real
TensorFlow 2.21 / Keras 3 (checked when they were written), so the assertions are TF's
behaviour, not learnet's.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewrite_imports import rewrite_source

THEMES = Path(__file__).resolve().parent / "themes"
ALL_THEMES = sorted(path.name for path in THEMES.glob("*.py"))


def test_there_are_at_least_thirty_themes():
    assert len(ALL_THEMES) >= 30


@pytest.mark.parametrize("name", ALL_THEMES)
def test_theme_script_runs_after_rewriting_its_imports(name, tmp_path):
    source = rewrite_source((THEMES / name).read_text())
    ast.parse(source)
    assert "tensorflow" not in source.split('"""', 2)[-1].replace("tensorflow.keras", "")
    (tmp_path / name).write_text(source)
    env = dict(os.environ, MPLBACKEND="Agg", LEARNET_HOME=str(tmp_path / "learnet-home"),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run([sys.executable, name], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "THEME OK" in result.stdout, f"{name} failed:\n{output[-3000:]}"
