"""Coverage-guided fuzzing of ``load_model`` with atheris (run by hand, not by pytest).

Every input is turned into a model file and loaded; the only exception allowed out is
learnet's own ``InvalidModelFileError``. Anything else (an ``IndexError`` from a layer,
a ``NotImplementedError`` from zipfile, a crash, running out of memory) is a finding:
libFuzzer stops and writes the input to ``crash-*``/``oom-*`` in the current folder.

The first byte of an input chooses what the rest of it becomes:

* 0: the whole file, as raw bytes;
* 1 / 2: the ``config.json`` / ``metadata.json`` of a valid file (so the zip and its
  checksums stay valid and the fuzzer reaches the config checks and layer building);
* 3 / 4: the ``model.weights.npz`` / ``optimizer.npz`` of a valid file;
* 5: edits of a valid file's configs, read from the bytes: which value to replace or
  delete, and by what (small and absurd integers, names of activations and dtypes,
  module paths, nested lists and dicts). Byte mutations rarely keep JSON valid; these
  reach the layers' constructors and ``build`` with nonsense.

Usage::

    pip install atheris
    python tests/reliability/fuzz_model_file.py -atheris_runs=200000
    python tests/reliability/fuzz_model_file.py -max_total_time=600 -rss_limit_mb=4096 corpus/

Without a corpus folder the valid files of a few small models are the seeds.
"""

import io
import json
import os
import sys
import tempfile
import zipfile

import atheris

with atheris.instrument_imports(include=["learnet", "zipfile"]):
    import numpy as np

    import learnet
    from learnet import Input, layers
    from learnet.models import Model, Sequential, load_model
    from learnet.saving import InvalidModelFileError

MEMBERS = {1: "config.json", 2: "metadata.json", 3: "model.weights.npz", 4: "optimizer.npz"}


def seed_models():
    """Three small trained models: an MLP with Dropout and BatchNormalization, a two-input graph, a convnet."""
    learnet.utils.set_random_seed(0)
    mlp = Sequential(
        [
            Input(shape=(6,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.1),
            layers.BatchNormalization(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    mlp.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    mlp.fit(np.ones((8, 6)), np.zeros(8), verbose=0)
    yield mlp
    left, right = Input(shape=(3,)), Input(shape=(2,))
    merged = layers.Concatenate()([layers.Dense(4)(left), layers.Dense(4)(right)])
    graph = Model([left, right], layers.Dense(1)(merged))
    graph.compile(optimizer="rmsprop", loss="mse")
    graph.fit([np.ones((4, 3)), np.ones((4, 2))], np.ones((4, 1)), verbose=0)
    yield graph
    conv = Sequential(
        [
            Input(shape=(6, 6, 1)),
            layers.Conv2D(2, 3, padding="same"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    conv.compile(optimizer="sgd", loss="mse")
    conv.fit(np.ones((4, 6, 6, 1)), np.zeros((4, 2)), verbose=0)
    yield conv


def read_members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_archive(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


FOLDER = tempfile.mkdtemp(prefix="learnet-fuzz-")
TARGET = os.path.join(FOLDER, "input.learnet")
SEEDS = []


def prepare_seeds():
    """Save the seed models; write them (one input per mode) to a seed corpus folder."""
    corpus = os.path.join(FOLDER, "seeds")
    os.makedirs(corpus)
    for index, model in enumerate(seed_models()):
        path = os.path.join(FOLDER, f"seed{index}.learnet")
        model.save(path)
        with open(path, "rb") as stream:
            SEEDS.append(stream.read())
        entries = read_members(SEEDS[-1])
        inputs = {0: SEEDS[-1], **{mode: entries.get(name, b"") for mode, name in MEMBERS.items()}, 5: bytes(range(64))}
        for mode, data in inputs.items():
            with open(os.path.join(corpus, f"seed{index}-mode{mode}"), "wb") as stream:
                stream.write(bytes([mode, index]) + data)
    return corpus


WORDS = [
    "",
    "relu",
    "softmax",
    "same",
    "valid",
    "channels_first",
    "float16",
    "int32",
    "bool",
    "zeros",
    "glorot_uniform",
    "Dense",
    "InputLayer",
    "Sequential",
    "os.system",
    "builtins.eval",
    "x" * 300,
]
INTEGERS = [0, 1, 2, 3, -1, -2, 1 << 31, 1 << 62, 1 << 63, 1 << 64, -(1 << 63)]


def json_paths(value, path=()):
    """Every place in a JSON document where a value could be replaced or removed."""
    places = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            places += json_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += json_paths(item, path + (index,))
    return places


def fuzzed_value(provider, depth=0):
    kind = provider.ConsumeIntInRange(0, 9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return provider.ConsumeBool()
    if kind == 2:
        return provider.PickValueInList(INTEGERS)
    if kind == 3:
        return provider.ConsumeIntInRange(-3, 64)
    if kind == 4:
        return provider.ConsumeRegularFloat() if provider.ConsumeBool() else provider.ConsumeFloat()
    if kind == 5:
        return provider.PickValueInList(WORDS)
    if kind == 6:
        return provider.ConsumeUnicodeNoSurrogates(12)
    if kind == 7:
        return [fuzzed_value(provider, depth + 1) for _ in range(provider.ConsumeIntInRange(0, 3))]
    return {
        provider.PickValueInList(["class_name", "config", "name", "module", "units", "a"]): fuzzed_value(
            provider, depth + 1
        )
        for _ in range(provider.ConsumeIntInRange(0, 3))
    }


def edited_configs(entries, provider):
    name = "config.json" if provider.ConsumeBool() else "metadata.json"
    config = json.loads(entries[name])
    for _ in range(provider.ConsumeIntInRange(1, 4)):
        places = json_paths(config)
        if not places:
            break
        path = places[provider.ConsumeIntInRange(0, len(places) - 1)]
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        if provider.ConsumeIntInRange(0, 4) == 0:
            del parent[path[-1]]
        else:
            parent[path[-1]] = fuzzed_value(provider)
    entries[name] = json.dumps(config).encode()
    return entries


def build_file(data):
    """The model file an input stands for (see the module docstring)."""
    if len(data) < 2:
        return data
    mode, seed, rest = data[0] % 6, data[1] % len(SEEDS), data[2:]
    if mode == 0:
        return rest
    entries = read_members(SEEDS[seed])
    if mode == 5:
        entries = edited_configs(entries, atheris.FuzzedDataProvider(rest))
    else:
        entries[MEMBERS[mode]] = rest
    return write_archive(entries)


def test_one_input(data):
    with open(TARGET, "wb") as stream:
        stream.write(build_file(data))
    try:
        load_model(TARGET)
    except InvalidModelFileError:
        pass


def main():
    corpus = prepare_seeds()
    arguments = list(sys.argv)
    if not any(os.path.isdir(argument) for argument in arguments[1:]):
        arguments.append(corpus)
    if not any(argument.startswith("-len_control=") for argument in arguments):
        arguments.append("-len_control=0")  # mutate whole files from the start, not short prefixes
    atheris.Setup(arguments, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
