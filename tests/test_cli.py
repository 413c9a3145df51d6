"""The ``learnet`` command: arguments, errors, and real quick runs of every subcommand."""

import contextlib
import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from learnet.cli import main, prepare_image

PIL = pytest.importorskip("PIL", reason="learnet predict needs Pillow (the 'image' extra)")
from PIL import Image  # noqa: E402

COMMANDS = ["train", "evaluate", "predict", "summary", "datasets"]


def run(capsys, *argv):
    """``main(argv)`` in this process: returns ``(status, stdout, stderr)``.

    argparse ends with ``SystemExit`` on ``--help`` and usage errors; its code is returned.
    """
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def shared_datasets():
    """The folder of real datasets: $LEARNET_DATASETS, else shared/datasets beside the repository."""
    configured = os.environ.get("LEARNET_DATASETS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared" / "datasets"


def dataset_folder(folder, title):
    """The shared ``folder`` holding its four original files, else skip saying so in plain words."""
    path = shared_datasets() / folder
    if not all((path / name).is_file() for name in IDX_FILES):
        pytest.skip(f"the {title} files were not found; set LEARNET_DATASETS to a folder holding {folder}/")
    return path


def accuracy_in(text):
    return float(re.search(r"^Test accuracy: (\d\.\d{4})$", text, flags=re.MULTILINE).group(1))


# --- help and usage --------------------------------------------------------------------


def test_python_dash_m_learnet_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "learnet", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: learnet")
    for command in COMMANDS + ["game"]:
        assert re.search(rf"^\s+{command}\s", result.stdout, flags=re.MULTILINE), command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: learnet {command}")


def test_train_help_names_the_options_of_the_issue(capsys):
    _, out, _ = run(capsys, "train", "--help")
    for option in (
        "--dataset",
        "--model",
        "--epochs",
        "--batch-size",
        "--optimizer",
        "--learning-rate",
        "--seed",
        "--output",
        "--plot",
        "--show-predictions",
        "--data-dir",
        "--verbose",
    ):
        assert option in out
    assert "--limit" not in out  # a hidden option, for tests and quick runs


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["train", "--epochs", "many"],
        ["train", "--epochs", "0"],
        ["train", "--batch-size", "-5"],
        ["train", "--learning-rate", "-0.1"],
        ["train", "--learning-rate", "nan"],
        ["train", "--dataset", "cifar10"],
        ["train", "--model", "rnn"],
        ["train", "--optimizer", "newton"],
        ["train", "--verbose", "3"],
        ["train", "--seed", "x"],
        ["train", "--validation-split", "1.5"],
        ["train", "--no-such-option"],
        ["train", "--output", "model.h5"],
        ["train", "--output", "model.pt"],
        ["train", "--output", "weights.weights.npz"],
        ["evaluate"],
        ["predict", "model.learnet"],
        ["summary", "a.learnet", "b.learnet"],
    ],
)
def test_wrong_arguments_give_a_one_line_error_and_status_2(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("learnet") and "error:" in lines[0]
    assert "--help" in lines[0]


def test_the_error_names_what_was_wrong(capsys):
    _, _, err = run(capsys, "train", "--epochs", "0")
    assert "argument --epochs: expected a number of at least 1, got 0" in err
    _, _, err = run(capsys, "train", "--dataset", "cifar10")
    assert "'cifar10'" in err and "mnist, fashion_mnist" in err


def test_no_command_says_what_to_do_with_status_2(capsys):
    status, _, err = run(capsys)
    assert status == 2
    assert "learnet train" in err


# --- missing and broken model files ----------------------------------------------------


@pytest.mark.parametrize("command", ["evaluate", "summary", "predict"])
def test_a_missing_model_file_is_a_clear_message_with_status_1(capsys, tmp_path, command):
    missing = tmp_path / "nowhere.learnet"
    extra = [tmp_path / "digit.png"] if command == "predict" else []
    status, out, err = run(capsys, command, missing, *extra)
    assert status == 1
    assert err.strip() == (
        f"error: model file '{missing}' not found (train one with 'learnet train --output {missing}')"
    )
    assert "Traceback" not in err + out


@pytest.mark.parametrize("content", [b"", b"not a model at all\n", bytes(range(256)) * 40])
@pytest.mark.parametrize("command", ["evaluate", "summary", "predict"])
def test_a_corrupt_model_file_is_a_clear_message_with_status_1(capsys, tmp_path, command, content):
    broken = tmp_path / "broken.learnet"
    broken.write_bytes(content)
    extra = [tmp_path / "digit.png"] if command == "predict" else []
    status, out, err = run(capsys, command, broken, *extra)
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot read the model file '{broken}': ")
    assert "Traceback" not in err + out


def test_a_folder_is_not_a_model_file(capsys, tmp_path):
    status, _, err = run(capsys, "summary", tmp_path)
    assert status == 1
    assert "is a folder, not a model file" in err


# --- datasets --------------------------------------------------------------------------


@pytest.fixture
def shared_env(datasets_dir, tmp_path, monkeypatch):
    """LEARNET_DATASETS at the shared folder, an empty LEARNET_HOME (no cache)."""
    monkeypatch.setenv("LEARNET_DATASETS", str(datasets_dir))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    return datasets_dir


@pytest.fixture
def incomplete_env(datasets_dir, tmp_path, monkeypatch):
    """LEARNET_DATASETS at a copy of the shared folder whose mnist/ lacks the training images."""
    import shutil

    env = tmp_path / "env"
    for folder, names in (("mnist", IDX_FILES[1:]), ("fashion-mnist", IDX_FILES)):
        (env / folder).mkdir(parents=True)
        for name in names:
            shutil.copyfile(datasets_dir / folder / name, env / folder / name)
    monkeypatch.setenv("LEARNET_DATASETS", str(env))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    return env


@pytest.fixture
def no_mnist_mirrors(monkeypatch):
    """Point MNIST's download mirrors at a closed local port, so no test waits on the network."""
    from learnet.datasets import mnist

    closed = "http://127.0.0.1:9/"
    spec = dataclasses.replace(mnist.SPEC, mirrors=(closed,), archive_mirrors=(closed,))
    monkeypatch.setattr(mnist, "SPEC", spec)


def test_datasets_says_where_each_dataset_was_found(capsys, shared_env):
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    assert out.startswith("MNIST: ready") and "Fashion-MNIST: ready" in out
    assert str(shared_env / "fashion-mnist" / "t10k-images-idx3-ubyte.gz") in out
    assert str(shared_env / "mnist" / "train-images-idx3-ubyte.gz") in out


def test_datasets_says_what_is_missing_and_what_to_do(capsys, incomplete_env):
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    assert "Fashion-MNIST: ready" in out
    assert "MNIST: incomplete, 3 of 4 files found" in out
    assert re.search(r"train-images-idx3-ubyte\.gz\s+missing", out)
    assert "To fix this, put train-images-idx3-ubyte.gz" in out
    mnist_block = out.split("\n\n")[0]
    assert "or pass --data-dir a folder holding these files." in mnist_block and "load_data" not in mnist_block


def test_datasets_with_a_data_dir_looks_only_there(capsys, shared_env):
    status, out, _ = run(capsys, "datasets", "--data-dir", shared_env / "mnist")
    assert status == 0
    assert str(shared_env / "mnist") in out
    status, _, err = run(capsys, "datasets", "--data-dir", shared_env / "no-such-folder")
    assert status == 1 and "is not a folder" in err


def test_train_on_mnist_offline_stops_with_the_datasets_message(capsys, incomplete_env, no_mnist_mirrors, tmp_path):
    output = tmp_path / "model.learnet"
    status, out, err = run(capsys, "train", "--epochs", "1", "--output", output)
    assert status == 1
    assert err.startswith("error: MNIST: 1 of 4 files not found: train-images-idx3-ubyte.gz.")
    assert "LEARNET_DATASETS" in err  # says what to do
    assert "Traceback" not in err + out
    assert not output.exists()


def test_train_with_a_missing_data_dir_or_output_folder_stops_before_training(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--data-dir", tmp_path / "nothing-here")
    assert status == 1 and "--data-dir" in err and "does not exist" in err
    status, _, err = run(capsys, "train", "--output", tmp_path / "no" / "folder" / "m.learnet")
    assert status == 1 and "--output" in err and "does not exist" in err


# --- images for predict ----------------------------------------------------------------


@pytest.fixture(scope="module")
def digits(request):
    """The first 12 test images of MNIST, with their labels."""
    from learnet.datasets import mnist

    folder = dataset_folder("mnist", "MNIST")
    _, (x_test, y_test) = mnist.load_data(path=folder)
    return x_test[:12], y_test[:12]


def test_prepare_image_reproduces_an_mnist_digit_saved_as_png(tmp_path, digits):
    images, _ = digits
    for index, image in enumerate(images):
        path = tmp_path / f"digit{index}.png"
        Image.fromarray(image).save(path)
        prepared = prepare_image(path)
        assert prepared.shape == (28, 28) and prepared.dtype == np.float32
        assert 0 <= prepared.min() and prepared.max() == pytest.approx(1.0)
        # MNIST digits are already cropped, scaled into 20x20 and centred: little changes.
        assert np.corrcoef(prepared.ravel(), image.ravel())[0, 1] > 0.9


def test_prepare_image_inverts_dark_ink_on_white_paper(tmp_path, digits):
    images, _ = digits
    for index, image in enumerate(images[:5]):
        ink_on_black, ink_on_white = tmp_path / f"black{index}.png", tmp_path / f"white{index}.png"
        big = Image.fromarray(image).resize((112, 112), Image.BILINEAR)
        big.save(ink_on_black)
        Image.fromarray(255 - np.asarray(big)).convert("RGB").save(ink_on_white)
        assert np.asarray(Image.open(ink_on_white).convert("L"))[0, 0] == 255
        np.testing.assert_allclose(prepare_image(ink_on_white), prepare_image(ink_on_black), atol=1e-6)


def test_prepare_image_puts_a_small_off_centre_digit_in_the_middle(tmp_path, digits):
    images, _ = digits
    canvas = np.full((200, 300), 255, dtype=np.uint8)  # white paper
    canvas[10:38, 240:268] = 255 - images[0]  # a small dark digit in a corner
    Image.fromarray(canvas).save(tmp_path / "corner.jpg", quality=95)
    prepared = prepare_image(tmp_path / "corner.jpg")
    rows = np.flatnonzero(prepared.max(axis=1) > 0.1)
    cols = np.flatnonzero(prepared.max(axis=0) > 0.1)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)  # scaled into 20x20
    mass = prepared.sum()
    centre = (prepared.sum(axis=1) @ np.arange(28) / mass, prepared.sum(axis=0) @ np.arange(28) / mass)
    assert centre == pytest.approx((14, 14), abs=0.6)
    assert np.corrcoef(prepared.ravel(), images[0].ravel())[0, 1] > 0.8


def test_prepare_image_treats_transparency_as_paper(tmp_path, digits):
    images, _ = digits
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[..., 3] = images[0]  # black ink whose opacity is the digit, on a transparent sheet
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "drawn.png")
    Image.fromarray(images[0]).save(tmp_path / "plain.png")
    np.testing.assert_allclose(prepare_image(tmp_path / "drawn.png"), prepare_image(tmp_path / "plain.png"), atol=0.02)


def test_prepare_image_refuses_blank_and_non_images(tmp_path):
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    with pytest.raises(ValueError, match="blank"):
        prepare_image(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(OSError, match="not an image"):
        prepare_image(tmp_path / "notes.png")
    with pytest.raises(OSError, match="not found"):
        prepare_image(tmp_path / "missing.png")


# --- real runs: train, evaluate, summary, predict --------------------------------------


def _train(tmp_path_factory, *options):
    """``learnet train`` in this process; returns ``(model path, stdout)``."""
    folder = tmp_path_factory.mktemp("train")
    output = folder / "model.learnet"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["train", *map(str, options), "--output", str(output)])
    assert status == 0, err.getvalue()
    return output, out.getvalue()


@pytest.fixture(scope="module")
def fashion_model(tmp_path_factory):
    """A Fashion-MNIST MLP trained 1 epoch on 5,000 images, with its plots.

    Adam, because RMSprop's first hundred steps jump about too much for a steady threshold.
    """
    folder = dataset_folder("fashion-mnist", "Fashion-MNIST")
    plots = tmp_path_factory.mktemp("plots")
    model, out = _train(
        tmp_path_factory,
        "--dataset",
        "fashion_mnist",
        "--data-dir",
        folder,
        "--epochs",
        1,
        "--limit",
        5000,
        "--optimizer",
        "adam",
        "--learning-rate",
        0.001,
        "--verbose",
        2,
        "--plot",
        plots / "history.png",
        "--show-predictions",
        plots / "predictions.png",
    )
    return model, out, plots, folder


@pytest.fixture(scope="module")
def digit_model(tmp_path_factory):
    """An MNIST MLP trained 1 epoch on the first 6,000 images of MNIST."""
    folder = dataset_folder("mnist", "MNIST")
    model, out = _train(tmp_path_factory, "--data-dir", folder, "--epochs", 1, "--limit", 6000, "--verbose", 0)
    return model, out, folder


def test_train_prints_progress_accuracy_and_saves_the_model(fashion_model):
    model, out, _, _ = fashion_model
    lines = out.strip().splitlines()
    assert lines[0] == ("Training the MLP on Fashion-MNIST: 5000 images, 1 epoch, batch 128, adam, learning rate 0.001")
    assert any(
        re.search(r"accuracy: \d\.\d+ - loss: \d\.\d+", line) for line in lines
    )  # Keras 3's verbose=2 (names in order)
    assert 0.7 < accuracy_in(out) < 1
    assert f"Saved model to {model}" in lines
    assert model.is_file()


def test_train_draws_the_history_and_the_predictions(fashion_model):
    _, out, plots, _ = fashion_model
    for name in ("history.png", "predictions.png"):
        with Image.open(plots / name) as image:
            assert image.format == "PNG" and image.width > 200 and image.height > 200
        assert f"{plots / name}" in out


def test_evaluate_finds_the_dataset_and_repeats_the_training_accuracy(capsys, fashion_model):
    model, train_out, _, folder = fashion_model
    status, out, _ = run(capsys, "evaluate", model, "--data-dir", folder)
    assert status == 0
    assert out.startswith("Fashion-MNIST test set: 10000 images")
    assert accuracy_in(out) == accuracy_in(train_out)
    loss = float(re.search(r"^Test loss: (\d+\.\d{4})$", out, flags=re.MULTILINE).group(1))
    assert loss == float(re.search(r"^Test loss: (\d+\.\d{4})$", train_out, flags=re.MULTILINE).group(1))


def test_summary_shows_the_layers_and_parameter_count(capsys, fashion_model):
    model, _, _, _ = fashion_model
    status, out, _ = run(capsys, "summary", model)
    assert status == 0
    assert "dense" in out.lower() and "flatten" in out.lower()
    assert re.search(r"407,?050", out)  # 784*512 + 512 + 512*10 + 10
    assert "Trained on: Fashion-MNIST" in out


def test_a_truncated_model_file_is_a_clear_message(capsys, fashion_model, tmp_path):
    model, _, _, _ = fashion_model
    cut = tmp_path / "cut.learnet"
    cut.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    status, out, err = run(capsys, "evaluate", cut)
    assert status == 1
    assert err.startswith(f"error: cannot read the model file '{cut}': ")
    assert "Traceback" not in err + out


def _write_digits(tmp_path, images, size=84):
    """Each image as a large PNG with white ink on black, and inverted (dark ink on white paper)."""
    plain, inverted = [], []
    for index, image in enumerate(images):
        big = Image.fromarray(image).resize((size, size), Image.BILINEAR)
        plain.append(tmp_path / f"digit{index}.png")
        big.save(plain[-1])
        inverted.append(tmp_path / f"paper{index}.png")
        Image.fromarray(255 - np.asarray(big)).save(inverted[-1])
    return plain, inverted


def _predictions(out):
    return {
        path: (label, float(percent))
        for path, label, percent in re.findall(r"^(.+): (.+) \((\d+\.\d)%(?:, unsure)?\)$", out, flags=re.MULTILINE)
    }


def test_predict_reads_the_digits_in_png_files(capsys, tmp_path, digit_model, digits):
    model, _, _ = digit_model
    images, labels = digits
    plain, inverted = _write_digits(tmp_path, images)
    status, out, err = run(capsys, "predict", model, *plain, *inverted)
    assert status == 0, err
    predictions = _predictions(out)
    assert list(predictions) == [str(path) for path in plain + inverted]
    for label, percent in predictions.values():
        assert label in list("0123456789") and 10 <= percent <= 100
    guesses = [predictions[str(path)][0] for path in plain]
    assert sum(guess == str(label) for guess, label in zip(guesses, labels)) >= 10  # of 12
    # Dark ink on white paper is detected and inverted: the same answers.
    assert [predictions[str(path)] for path in inverted] == [predictions[str(path)] for path in plain]


def test_predict_names_the_garments_of_a_fashion_model(capsys, tmp_path, fashion_model):
    from learnet.datasets import fashion_mnist

    model, _, _, folder = fashion_model
    _, (x_test, y_test) = fashion_mnist.load_data(path=folder)
    paths = []
    for index in range(10):
        paths.append(tmp_path / f"item{index}.png")
        Image.fromarray(255 - x_test[index]).save(paths[-1])  # as a photo: dark on light
    status, out, _ = run(capsys, "predict", model, *paths)
    assert status == 0
    predictions = _predictions(out)
    assert len(predictions) == 10
    names = [predictions[str(path)][0] for path in paths]
    assert set(names) <= set(fashion_mnist.CLASS_NAMES)
    truth = [fashion_mnist.CLASS_NAMES[label] for label in y_test[:10]]
    assert sum(name == right for name, right in zip(names, truth)) >= 6


def test_predict_reports_bad_images_and_still_answers_for_the_good_ones(capsys, tmp_path, digit_model, digits):
    model, _, _ = digit_model
    plain, _ = _write_digits(tmp_path, digits[0][:1])
    (tmp_path / "notes.txt").write_text("hello")
    status, out, err = run(capsys, "predict", model, tmp_path / "missing.png", tmp_path / "notes.txt", plain[0])
    assert status == 1
    assert list(_predictions(out)) == [str(plain[0])]
    assert f"{tmp_path / 'missing.png'}: error: file not found" in err
    assert f"{tmp_path / 'notes.txt'}: error: not an image" in err
    assert "Traceback" not in err


def test_the_convnet_is_the_keras_io_one_and_predict_feeds_it_images(capsys, tmp_path, digits):
    from learnet import cli

    model = cli.build_model("cnn")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert model.count_params() == 34826  # as keras.io prints
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "cnn.learnet"
    cli._save_model(model, path, "mnist")

    status, out, _ = run(capsys, "summary", path)
    assert status == 0 and "conv2d" in out.lower() and "Trained on: MNIST" in out
    plain, _ = _write_digits(tmp_path, digits[0][:3])
    status, out, err = run(capsys, "predict", path, *plain)  # 28x28 images reshaped to (28, 28, 1)
    assert status == 0, err
    assert len(_predictions(out)) == 3


def test_plots_without_matplotlib_say_what_to_install_before_training(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the plot extra were not installed
    status, out, err = run(capsys, "train", "--plot", tmp_path / "history.png")
    assert status == 1
    assert err.strip() == 'error: --plot and --show-predictions need Matplotlib: pip install "learnet[plot]"'
    assert out == ""  # stopped before loading data or training


def test_predict_without_pillow_says_what_to_install(capsys, monkeypatch, tmp_path, digit_model):
    model, _, _ = digit_model
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if the image extra were not installed
    status, _, err = run(capsys, "predict", model, tmp_path / "digit.png")
    assert status == 1
    assert err.strip() == 'error: predict needs Pillow to read images: pip install "learnet[image]"'


# --- what a model file carries, and messages in the command's words ---------------------------------


def _garment_images(tmp_path, folder, count=10):
    from learnet.datasets import fashion_mnist

    _, (x_test, y_test) = fashion_mnist.load_data(path=folder)
    paths = []
    for index in range(count):
        paths.append(tmp_path / f"item{index}.png")
        Image.fromarray(255 - x_test[index]).save(paths[-1])
    return paths, [fashion_mnist.CLASS_NAMES[label] for label in y_test[:count]]


def test_a_model_file_copied_alone_knows_its_dataset_and_class_names(capsys, tmp_path, fashion_model, monkeypatch):
    import shutil

    from learnet.datasets import fashion_mnist

    model, train_out, _, folder = fashion_model
    assert not Path(f"{model}.json").exists()  # nothing is written beside the model file
    alone = tmp_path / "elsewhere" / "garments.learnet"
    alone.parent.mkdir()
    shutil.copyfile(model, alone)
    # Both datasets are in LEARNET_DATASETS: the file alone must say which one it learned.
    monkeypatch.setenv("LEARNET_DATASETS", str(folder.parent))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    status, out, err = run(capsys, "evaluate", alone)
    assert status == 0 and err == ""
    assert out.startswith("Fashion-MNIST test set: 10000 images")
    assert accuracy_in(out) == accuracy_in(train_out)

    paths, truth = _garment_images(tmp_path, folder)
    status, out, _ = run(capsys, "predict", alone, *paths)
    assert status == 0
    names = [_predictions(out)[str(path)][0] for path in paths]
    assert set(names) <= set(fashion_mnist.CLASS_NAMES)
    assert sum(name == right for name, right in zip(names, truth)) >= 6


def test_evaluate_warns_when_the_model_learned_another_dataset(capsys, tmp_path, fashion_model, monkeypatch):
    model, _, _, folder = fashion_model
    monkeypatch.setenv("LEARNET_DATASETS", str(folder.parent))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    status, out, err = run(capsys, "evaluate", model, "--dataset", "mnist")
    assert status == 0
    assert err.strip() == (
        "warning: this model was trained on Fashion-MNIST, not on MNIST: its accuracy here says little about it"
    )
    assert out.startswith("MNIST test set: 10000 images")


def test_an_old_side_file_is_still_read(capsys, tmp_path, fashion_model, monkeypatch):
    import json

    from learnet import saving

    model, _, _, folder = fashion_model
    old = tmp_path / "old.learnet"
    saving.save_model(saving.load_model(model), old)  # nothing inside, as older versions wrote
    monkeypatch.setenv("LEARNET_DATASETS", str(folder.parent))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    status, out, err = run(capsys, "evaluate", old)
    assert status == 0 and out.startswith("MNIST test set")
    assert err.strip() == (
        "note: the model file does not say which dataset it learned; evaluating on MNIST "
        "(choose another with --dataset)"
    )
    Path(f"{old}.json").write_text(json.dumps({"dataset": "fashion_mnist", "pixel_scale": 255.0}))
    status, out, err = run(capsys, "evaluate", old)
    assert status == 0 and err == "" and out.startswith("Fashion-MNIST test set")
    status, out, _ = run(capsys, "summary", old)
    assert "Trained on: Fashion-MNIST" in out


def test_dataset_messages_speak_of_data_dir(capsys, tmp_path, incomplete_env, no_mnist_mirrors):
    status, _, err = run(capsys, "train", "--epochs", "1", "--output", tmp_path / "m.learnet")
    assert status == 1
    assert "or pass --data-dir a folder holding these files." in err
    assert "load_data" not in err
    status, _, err = run(capsys, "train", "--data-dir", incomplete_env / "mnist", "--output", tmp_path / "m.learnet")
    assert status == 1
    assert (
        f"Put train-images-idx3-ubyte.gz into {incomplete_env / 'mnist'} (or Keras' mnist.npz), or leave out "
        "--data-dir to use LEARNET_DATASETS, the cache or a download."
    ) in err
    assert "load_data" not in err


def test_datasets_says_when_the_learnet_datasets_folder_does_not_exist(capsys, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("LEARNET_DATASETS", str(missing))
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path / "home"))
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    assert out.splitlines()[0] == (
        f"LEARNET_DATASETS is set to '{missing}', which does not exist: "
        "point it at a folder holding mnist/, fashion-mnist/, imdb/ and so on"
    )


def test_predict_on_a_folder_or_a_non_image_gives_one_line_each(capsys, tmp_path, digit_model):
    model, _, _ = digit_model
    (tmp_path / "notes.png").write_text("not an image")
    status, out, err = run(capsys, "predict", model, tmp_path, tmp_path / "notes.png")
    assert status == 1 and out == ""
    assert err.splitlines() == [
        f"{tmp_path}: error: a folder, not an image (give the image files, e.g. {tmp_path / '*.png'})",
        f"{tmp_path / 'notes.png'}: error: not an image Pillow can read (expected PNG or JPEG)",
    ]


def test_a_low_confidence_guess_says_it_is_unsure(capsys, tmp_path, digits):
    from learnet import cli

    model = cli.build_model("mlp")
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])  # every class 10 %
    path = tmp_path / "undecided.learnet"
    cli._save_model(model, path, "mnist")
    plain, _ = _write_digits(tmp_path, digits[0][:1])
    status, out, _ = run(capsys, "predict", path, plain[0])
    assert status == 0
    assert out.strip() == f"{plain[0]}: 0 (10.0%, unsure)"
