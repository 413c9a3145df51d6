"""Rewrite only the import lines of a TensorFlow/Keras script so that it runs on learnet.

This is the whole of what the compatibility contract allows a user to change:

- ``import tensorflow as tf``                 -> ``import learnet as tf``
- ``from tensorflow import keras``            -> ``import learnet as keras``
- ``import keras``                            -> ``import learnet as keras``
- ``from tensorflow.keras import layers``     -> ``from learnet import layers``
- ``from tensorflow.keras.layers import Dense`` -> ``from learnet.layers import Dense``
- ``from keras.models import Sequential``     -> ``from learnet.models import Sequential``
- ``import tensorflow.keras.backend as K``    -> ``import learnet.backend as K``
- ``import keras.layers``                     -> ``import learnet.layers, learnet as keras``

Every other line is left exactly as it is.
"""

import re

# Module paths, longest first: `tensorflow.keras` and `tensorflow` and `keras` all become `learnet`.
_PREFIXES = ("tensorflow.keras", "tensorflow", "keras")


def _module(path):
    for prefix in _PREFIXES:
        if path == prefix or path.startswith(prefix + "."):
            return "learnet" + path[len(prefix) :]
    return None


_FROM_KERAS = re.compile(r"^(\s*)from\s+tensorflow\s+import\s+keras(\s+as\s+(\w+))?\s*(#.*)?$")
_FROM = re.compile(r"^(\s*)from\s+([\w.]+)\s+import\s+(.*)$")
_IMPORT = re.compile(r"^(\s*)import\s+([\w.]+)(\s+as\s+(\w+))?\s*(#.*)?$")


def rewrite_line(line):
    """The learnet version of one source line (unchanged unless it imports TensorFlow or Keras)."""
    match = _FROM_KERAS.match(line)
    if match:
        indent, _, alias, _ = match.groups()
        return f"{indent}import learnet as {alias or 'keras'}"
    match = _FROM.match(line)
    if match:
        indent, path, names = match.groups()
        new = _module(path)
        return line if new is None else f"{indent}from {new} import {names}"
    match = _IMPORT.match(line)
    if match:
        indent, path, _, alias, _ = match.groups()
        new = _module(path)
        if new is None:
            return line
        # `import tensorflow.keras.backend as K` binds K; `import keras` binds `keras`; and
        # `import keras.layers` binds `keras` too (the package, its submodule imported).
        if alias or new == "learnet":
            return f"{indent}import {new} as {alias or path.split('.')[0]}"
        return f"{indent}import {new}, learnet as {path.split('.')[0]}"
    return line


def rewrite_source(source):
    """Rewrite the import lines of a whole script."""
    return "\n".join(rewrite_line(line) for line in source.splitlines()) + "\n"


if __name__ == "__main__":  # pragma: no cover - a convenience for trying a script by hand
    import sys

    sys.stdout.write(rewrite_source(open(sys.argv[1]).read()))
