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

from rewrite_imports import rewrite_line, rewrite_source

THEMES = Path(__file__).resolve().parent / "themes"
ALL_THEMES = sorted(path.name for path in THEMES.glob("*.py"))


# --- the import rewriter -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, expected",
    [
        ("import tensorflow as tf", "import learnet as tf"),
        ("from tensorflow import keras", "import learnet as keras"),
        ("import keras", "import learnet as keras"),
        ("from tensorflow.keras import layers, models", "from learnet import layers, models"),
        ("from tensorflow.keras.layers import Dense, Flatten", "from learnet.layers import Dense, Flatten"),
        ("from keras.models import Sequential", "from learnet.models import Sequential"),
        ("from keras import backend as K", "from learnet import backend as K"),
        ("import tensorflow.keras.backend as K", "import learnet.backend as K"),
        ("import keras.layers", "import learnet.layers, learnet as keras"),
        ("import tensorflow.keras.backend", "import learnet.backend, learnet as tensorflow"),
        ("from tensorflow.keras.datasets import mnist", "from learnet.datasets import mnist"),
        ("    import tensorflow as tf  # inside a function", "    import learnet as tf"),
        ("import numpy as np", "import numpy as np"),
        ("from kerastuner import HyperModel", "from kerastuner import HyperModel"),
        ("x = keras.layers.Dense(3)", "x = keras.layers.Dense(3)"),
    ],
)
def test_rewrite_line_changes_only_tensorflow_and_keras_imports(line, expected):
    assert rewrite_line(line) == expected


def test_rewrite_source_keeps_every_other_line():
    source = 'import tensorflow as tf\n"""import keras"""\nprint("from keras import x")\n'
    assert rewrite_source(source) == 'import learnet as tf\n"""import keras"""\nprint("from keras import x")\n'


def test_there_are_at_least_thirty_themes():
    assert len(ALL_THEMES) >= 30


@pytest.mark.parametrize("name", ALL_THEMES)
def test_theme_script_runs_after_rewriting_its_imports(name, tmp_path):
    source = rewrite_source((THEMES / name).read_text())
    ast.parse(source)
    assert "tensorflow" not in source.split('"""', 2)[-1].replace("tensorflow.keras", "")
    (tmp_path / name).write_text(source)
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        LEARNET_HOME=str(tmp_path / "learnet-home"),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    result = subprocess.run([sys.executable, name], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "THEME OK" in result.stdout, f"{name} failed:\n{output[-3000:]}"
