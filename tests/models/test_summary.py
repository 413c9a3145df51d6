"""model.summary(): Keras' table, and parameter counts equal to what Keras prints."""

import pytest

import learnet
from learnet import Input, layers
from learnet.models import Model, Sequential


@pytest.fixture(autouse=True)
def _fresh_names():
    learnet.utils.clear_session()


def summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def book_mlp():
    return Sequential(
        [
            layers.Flatten(input_shape=(28, 28)),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def keras_io_convnet():
    return Sequential(
        [
            Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def test_book_mlp_summary_is_the_keras_table():
    lines = summary_lines(book_mlp())
    assert lines[:4] == [
        'Model: "sequential"',
        "_" * 65,
        " Layer (type)                Output Shape              Param #",
        "=" * 65,
    ]
    assert " flatten (Flatten)           (None, 784)               0" in lines
    assert " dense (Dense)               (None, 512)               401920" in lines
    assert " dense_1 (Dense)             (None, 10)                5130" in lines
    assert lines[-4:] == [
        "Total params: 407,050 (1.55 MB)",
        "Trainable params: 407,050 (1.55 MB)",
        "Non-trainable params: 0 (0.00 B)",
        "_" * 65,
    ]


def test_keras_io_convnet_has_34826_parameters():
    model = keras_io_convnet()
    lines = summary_lines(model)
    assert "Total params: 34,826 (136.04 KB)" in lines
    assert " conv2d (Conv2D)             (None, 26, 26, 32)        320" in lines
    assert " dense (Dense)               (None, 10)                16010" in lines
    # A name too long for its column goes on, as Keras wraps it.
    wrapped = lines.index(" max_pooling2d (MaxPooling2  (None, 13, 13, 32)        0")
    assert lines[wrapped + 1] == " D)"
    assert model.count_params() == 34826


def test_non_trainable_weights_are_counted_apart():
    model = Sequential([Input(shape=(4,)), layers.Dense(3), layers.BatchNormalization()])
    model.layers[0].trainable = False
    lines = summary_lines(model)
    assert "Total params: 27 (108.00 B)" in lines
    assert "Trainable params: 6 (24.00 B)" in lines  # BatchNormalization's gamma and beta
    assert "Non-trainable params: 21 (84.00 B)" in lines  # the frozen Dense and the moving statistics


def test_functional_summary_has_connections_when_it_branches():
    left, right = Input(shape=(3,), name="left"), Input(shape=(2,), name="right")
    merged = layers.Concatenate(name="merge")([layers.Dense(4, name="a")(left), layers.Dense(4, name="b")(right)])
    model = Model([left, right], layers.Dense(1, name="out")(merged), name="two_inputs")
    lines = summary_lines(model)
    assert lines[0] == 'Model: "two_inputs"' and len(lines[1]) == 98
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Connected", "to"]
    merge_row = next(i for i, line in enumerate(lines) if line.startswith(" merge (Concatenate)"))
    assert lines[merge_row].endswith("a[0][0]") and lines[merge_row + 1].strip() == "b[0][0]"
    assert any(line.startswith(" left (InputLayer)") for line in lines)
    assert "Total params: 37 (148.00 B)" in lines


def test_optimizer_parameters_appear_after_training():
    model = book_mlp()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(learnet.zeros((2, 28, 28)).numpy(), [0, 1], verbose=0)
    assert "Optimizer params: 407,052 (1.55 MB)" in summary_lines(model)


def test_unbuilt_model_lists_its_layers_as_keras_3_does():
    # (the TensorFlow text tutorial calls summary() before the model has seen data)
    model = Sequential([layers.Dense(3)])
    lines = summary_lines(model)
    assert any("dense (Dense)" in line and "? (unbuilt)" in line for line in lines)
    assert "Total params: 0 (0.00 B)" in lines
    model.build((None, 4))
    assert "Total params: 15 (60.00 B)" in summary_lines(model)


def test_summary_prints_with_print_by_default(capsys):
    book_mlp().summary(line_length=80, show_trainable=True)
    out = capsys.readouterr().out.splitlines()
    assert len(out[1]) == 91 and out[2].split()[-1] == "Trainable"
    assert out[4].rstrip().endswith("Y")


def test_functional_chain_lists_its_input_and_is_named_functional():
    # As Keras 3 (and Keras 2) print it: a functional model's InputLayer is a row of its table,
    # and a functional model with no name is "functional", then "functional_1".
    inputs = Input(shape=(8,), name="x")
    outputs = layers.Dense(4, name="d")(inputs)
    first, second = Model(inputs, outputs), Model(inputs, outputs)
    assert (first.name, second.name) == ("functional", "functional_1")
    lines = summary_lines(first)
    assert lines[0] == 'Model: "functional"'
    assert lines[4] == " x (InputLayer)              (None, 8)                 0"
    assert " d (Dense)                   (None, 4)                 36" in lines[5:]


def test_operations_on_symbolic_tensors_show_keras_type_names(keras):
    import re

    def type_names(library):
        inputs = library.Input((4,))
        a, b = library.layers.Dense(3)(inputs), library.layers.Dense(3)(inputs)
        relu = library.ops.relu(a + b)
        mean = library.ops.mean(relu, axis=1, keepdims=True)
        joined = library.ops.concatenate([mean, relu[:, :2]], axis=1)
        model = library.Model(inputs, library.ops.exp(joined) * 2.0)
        lines = []
        model.summary(print_fn=lambda line, **kwargs: lines.append(line))
        return sorted(set(re.findall(r"\(([A-Z][A-Za-z]+)\)", "\n".join(lines))))

    ours = type_names(learnet.keras)
    assert ours == type_names(keras)
    assert {"Add", "Relu", "Mean", "GetItem", "Concatenate", "Exp", "Multiply"} <= set(ours)
