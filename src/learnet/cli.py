"""The ``learnet`` command: train, evaluate and question networks from a terminal.

``learnet train`` with no arguments does the course's main job: it trains the MNIST
network of the book (``Dense(512, relu) -> Dense(10, softmax)``, RMSprop, batch 128,
5 epochs), shows Keras' progress bar, prints the test accuracy and saves the model
to ``model.learnet``. The other subcommands work with a saved model, the datasets
and the classroom game::

    learnet train --dataset fashion_mnist --plot history.png
    learnet train --model cnn --epochs 3 --output cnn.learnet
    learnet evaluate model.learnet
    learnet predict model.learnet my-digit.png
    learnet summary model.learnet
    learnet datasets
    learnet game --port 12721

``python -m learnet ...`` is the same command.

Images are fed to the networks as ``float32`` pixels divided by 255 (values 0..1),
in training, evaluation and prediction alike. Inside the model file, ``train`` stores
the dataset it learned, its class names and that scaling (``save_model(...,
metadata=...)``), so ``evaluate`` and ``predict`` pick the matching test set and class
names even for a model file copied alone. Files written by older versions kept this
in a side file ``<model file>.json``, which is still read. Without either, MNIST is
assumed unless ``--dataset`` says otherwise; ``evaluate`` warns when it runs a model on
a dataset it was not trained on.

Exit status: 0 on success, 1 when something the command needs is missing or broken
(a dataset, a model file, an image, an optional extra), 2 for wrong arguments.
"""

import argparse
import os
import re
import sys
import time

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

#: Each dataset the command trains on: its title, the input layout and class names.
DATASETS = {
    "mnist": {"title": "MNIST", "kind": "digit"},
    "fashion_mnist": {"title": "Fashion-MNIST", "kind": "garment"},
}
MODELS = ("mlp", "cnn")
#: The optimizers ``--optimizer`` accepts, by their Keras string names.
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam")
DEFAULT_OPTIMIZER = {"mlp": "rmsprop", "cnn": "adam"}
DEFAULT_OUTPUT = "model.learnet"
#: What the training data is divided by before it reaches the network.
PIXEL_SCALE = 255.0
#: ``predict`` calls a guess unsure when the network gives it less than this probability.
UNSURE_BELOW = 0.5


class CommandError(Exception):
    """A failure to report in one clear line (exit status 1), without a traceback."""


class _ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose usage errors are one line and exit with status 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# --- argument types --------------------------------------------------------------------


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 up to (not including) 1, got {text}")
    return value


def _seed(text):
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'none', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {value}")
    return value


def _model_file(text):
    if text.lower().endswith((".h5", ".hdf5")):
        raise argparse.ArgumentTypeError(
            f"{text!r}: learnet does not write HDF5; use a name ending in .learnet (or .keras)"
        )
    if not text.lower().endswith((".learnet", ".keras")):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a model file's name ends in .learnet (or .keras), e.g. model.learnet"
        )
    return text


def _dataset_name(text):
    key = text.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(DATASETS)})")
    return key


# --- the parser ------------------------------------------------------------------------


def build_parser():
    """The argument parser of the ``learnet`` command, with every subcommand."""
    from learnet.version import LEARNET_VERSION as __version__
    from learnet.game import cli as game_cli

    parser = _ArgumentParser(
        prog="learnet",
        description="learnet: deep learning from scratch on NumPy. "
        "Run 'learnet train' to train the course's MNIST network.",
        epilog="Every command has --help, e.g. 'learnet train --help'.",
    )
    parser.add_argument("--version", action="version", version=f"learnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(subparsers)
    _add_evaluate(subparsers)
    _add_predict(subparsers)
    _add_summary(subparsers)
    _add_datasets(subparsers)
    _add_export(subparsers)
    game_cli.add_parser(subparsers)
    return parser


def _add_data_options(parser, dataset_help):
    parser.add_argument("--dataset", type=_dataset_name, metavar="{mnist,fashion_mnist}", help=dataset_help)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="read the dataset's files from this folder only (passed to "
        "load_data(path=...)), e.g. a folder holding the four MNIST .gz files",
    )


def _add_train(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a network, print its test accuracy and save it",
        description="Train a network on MNIST or Fashion-MNIST with Keras' fit, print its "
        "accuracy on the test set and save it. With no options: the book's MNIST "
        "network (Dense 512 relu -> Dense 10 softmax), RMSprop, batch 128, 5 epochs. "
        "Pixels are divided by 255.",
        epilog="Example: learnet train --dataset fashion_mnist --plot history.png",
    )
    parser.add_argument(
        "--dataset",
        type=_dataset_name,
        default="mnist",
        metavar="{mnist,fashion_mnist}",
        help="what to learn (default: mnist)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="read the dataset's files from this folder only (passed to "
        "load_data(path=...)), e.g. a folder holding the four MNIST .gz files",
    )
    parser.add_argument(
        "--model",
        choices=MODELS,
        default="mlp",
        help="mlp: Dense 512 relu -> Dense 10 softmax (the book's network); "
        "cnn: the keras.io convnet, two Conv2D+MaxPooling2D, Dropout, "
        "Dense 10 (default: mlp)",
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=5, metavar="N", help="passes over the training set (default: 5)"
    )
    parser.add_argument(
        "--batch-size", type=_positive_int, default=128, metavar="N", help="images per gradient step (default: 128)"
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="default: rmsprop for mlp, adam for cnn")
    parser.add_argument(
        "--learning-rate",
        type=_positive_float,
        metavar="RATE",
        help="the optimizer's learning rate (default: the optimizer's own, 0.001 for rmsprop and adam, 0.01 for sgd)",
    )
    parser.add_argument(
        "--validation-split",
        type=_fraction,
        default=0.0,
        metavar="FRACTION",
        help="hold out this fraction of the training images to watch val_loss and val_accuracy (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="random seed of the initial weights and the shuffling, so a run can be "
        "repeated exactly; 'none' for a different run each time (default: 0)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=_model_file,
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help=f"where to save the trained model (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--plot",
        metavar="PNG",
        help="also draw the loss and accuracy of every epoch into this image "
        '(needs the plot extra: pip install "learnet[plot]")',
    )
    parser.add_argument(
        "--show-predictions",
        metavar="PNG",
        help="also draw a grid of test images with the network's guesses, wrong "
        "ones marked in red (needs the plot extra)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="0: quiet, 1: a progress bar per epoch, 2: one line per epoch (default: 1)",
    )
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="train data-parallel on N processes of this machine with MPI "
        '(needs the mpi extra: pip install "learnet[mpi]"); --batch-size is '
        "then the global batch, split over the processes (default: 1)",
    )
    # For quick runs and tests: train on the first N training images only.
    parser.add_argument("--limit", type=_positive_int, metavar="N", help=argparse.SUPPRESS)
    parser.set_defaults(handler=train)


def _add_evaluate(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="loss and accuracy of a saved model on a test set",
        description="Load a saved model and print its loss and accuracy on the test set of the "
        "dataset it was trained on (or --dataset).",
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'learnet train' or model.save()")
    _add_data_options(parser, "test set to use (default: the one the model was trained on, else mnist)")
    parser.add_argument(
        "--batch-size", type=_positive_int, default=128, metavar="N", help="images per step (default: 128)"
    )
    parser.set_defaults(handler=evaluate)


def _add_predict(subparsers):
    parser = subparsers.add_parser(
        "predict",
        help="the digit (or garment) in each PNG/JPEG image",
        description="Print what a saved model sees in each image: 'digit.png: 7 (98.1%)', or "
        "'digit.png: 5 (20.3%, unsure)' when the network gives its best guess less than 50%. "
        "Images of any size are prepared like MNIST: made grey, inverted when the "
        "background is light, cropped to the ink, scaled into a 20x20 box and "
        "centred by their centre of mass in 28x28 (Fashion-MNIST models: scaled to "
        'fill 28x28). Needs Pillow: pip install "learnet[image]".',
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'learnet train' or model.save()")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="PNG or JPEG files")
    parser.add_argument(
        "--dataset",
        type=_dataset_name,
        metavar="{mnist,fashion_mnist}",
        help="how to prepare the images and name the classes (default: the dataset "
        "the model was trained on, else mnist)",
    )
    parser.set_defaults(handler=predict)


def _add_summary(subparsers):
    parser = subparsers.add_parser(
        "summary",
        help="the Keras-style table of a saved model's layers",
        description="Print the layers, output shapes and parameter counts of a saved model.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'learnet train' or model.save()")
    parser.set_defaults(handler=summary)


def _add_datasets(subparsers):
    parser = subparsers.add_parser(
        "datasets",
        help="where each dataset was found, or what to do to get it",
        description="Say, for every dataset learnet loads (MNIST, Fashion-MNIST, CIFAR-10, "
        "CIFAR-100, IMDB, Reuters, Boston housing), where each file was found (the "
        "LEARNET_DATASETS folder, a system folder, the cache) or which files to put "
        "where. Nothing is downloaded.",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="look only in this folder, as --data-dir of 'train' does")
    parser.set_defaults(handler=datasets)


def _add_export(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="convert a saved model for use elsewhere (ONNX)",
        description="Write a saved model (.learnet, .keras or .h5) as ONNX, to run it with onnxruntime, "
        "on a phone or in a web page.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model file saved by 'learnet train', model.save() or Keras")
    parser.add_argument("--format", choices=["onnx"], default="onnx", help="the format to write (default: onnx)")
    parser.add_argument("--output", "-o", metavar="FILE", help="where to write it (default: MODEL with .onnx)")
    parser.set_defaults(handler=export)


def export(args):
    """``learnet export MODEL --format onnx``: the model's inference graph as an ONNX file."""
    from learnet import onnx as onnx_export

    model, _, _ = _load_model(args.model)
    output = args.output or os.path.splitext(args.model)[0] + ".onnx"
    try:
        onnx_export.export(model, output)
    except (ImportError, ValueError, OSError) as error:
        raise CommandError(f"cannot export {args.model!r} to ONNX: {error}") from None
    print(f"wrote {output}")
    return 0


def main(argv=None):
    """Run the ``learnet`` command with ``argv`` (default: the command line).

    Returns
    -------
    int
        The exit status: 0 on success, 1 when something needed is missing or broken,
        2 for wrong arguments.

    Examples
    --------
    >>> from learnet.cli import main
    >>> main(["train", "--dataset", "fashion_mnist", "--epochs", "1"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    handler = getattr(args, "handler", None)
    if handler is None:
        print("learnet: error: a command is required, e.g. 'learnet train' (see 'learnet --help')", file=sys.stderr)
        return EXIT_USAGE
    try:
        return handler(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


# --- data ------------------------------------------------------------------------------


def _load_dataset(name, data_dir=None):
    """``(x_train, y_train), (x_test, y_test)`` of a dataset, pixels as float32 in 0..1."""
    import numpy as np

    from learnet import datasets

    if data_dir is not None and not os.path.isdir(data_dir) and not os.path.isfile(data_dir):
        raise CommandError(f"--data-dir {data_dir!r} does not exist")
    try:
        (x_train, y_train), (x_test, y_test) = datasets.DATASETS[name].load_data(path=data_dir)
    except datasets.DatasetError as error:
        raise CommandError(_in_command_words(str(error), name)) from None

    def scale(images):
        return images.astype(np.float32) / np.float32(PIXEL_SCALE)

    return (scale(x_train), y_train), (scale(x_test), y_test)


def _in_command_words(message, name):
    """A dataset message, with the Python advice (``load_data(path=...)``) said as this command's options."""
    message = re.sub(r"call [\w.]+\(\) without path", "leave out --data-dir", message)
    message = re.sub(r"pass \w+\(path=\.\.\.\)", "pass --data-dir", message)
    if name in DATASETS:  # the datasets `learnet train` can download
        message = message.replace(f"{name}.load_data() downloads", "learnet train downloads")
    return message


def _class_names(dataset):
    if dataset == "fashion_mnist":
        from learnet.datasets.fashion_mnist import CLASS_NAMES

        return list(CLASS_NAMES)
    return [str(digit) for digit in range(10)]


def _model_input_shape(model):
    """The shape one sample must have for ``model`` (no batch axis), or None if unknown."""
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):  # several inputs: not a model this command can feed
        return None
    if shape is None:
        return None
    return tuple(shape[1:])


def _as_model_input(model, images):
    """Reshape ``(N, 28, 28)`` images to what ``model`` takes, e.g. ``(N, 28, 28, 1)`` or ``(N, 784)``."""
    import numpy as np

    shape = _model_input_shape(model)
    if shape is None or None in shape or shape == images.shape[1:]:
        return images
    if int(np.prod(shape)) != int(np.prod(images.shape[1:])):
        raise CommandError(f"the model expects inputs of shape {shape}, which 28x28 images cannot fill")
    return images.reshape((len(images),) + shape)


# --- models ----------------------------------------------------------------------------


def build_model(kind="mlp"):
    """The network ``learnet train --model kind`` trains (not yet compiled).

    ``"mlp"`` is the book's MNIST network: ``Flatten -> Dense(512, relu) ->
    Dense(10, softmax)``; ``"cnn"`` is the keras.io MNIST convnet.

    Examples
    --------
    >>> model = build_model("mlp")
    >>> model.count_params()  # doctest: +SKIP
    407050
    """
    import learnet as keras
    from learnet import layers

    if kind == "mlp":
        return keras.Sequential(
            [
                keras.Input(shape=(28, 28)),
                layers.Flatten(),
                layers.Dense(512, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ],
            name="mlp",
        )
    if kind == "cnn":
        return keras.Sequential(
            [
                keras.Input(shape=(28, 28, 1)),
                layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
                layers.MaxPooling2D(pool_size=(2, 2)),
                layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                layers.MaxPooling2D(pool_size=(2, 2)),
                layers.Flatten(),
                layers.Dropout(0.5),
                layers.Dense(10, activation="softmax"),
            ],
            name="cnn",
        )
    raise ValueError(f"build_model: unknown model {kind!r}; expected one of {', '.join(MODELS)}")


def _optimizer(name, learning_rate):
    from learnet import optimizers

    if learning_rate is None:
        return optimizers.get(name)
    return optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate}})


def _metadata_path(model_path):
    """The side file where older versions kept what a model learned."""
    return os.fspath(model_path) + ".json"


def _save_model(model, path, dataset):
    """Save ``model`` to ``path``, with the dataset it learned, its class names and scaling inside."""
    from learnet import saving

    metadata = {"dataset": dataset, "pixel_scale": PIXEL_SCALE, "class_names": _class_names(dataset)}
    try:
        saving.save_model(model, path, metadata=metadata)
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot save the model to {path!r}: {getattr(error, 'strerror', None) or error}") from None


def _trained_on(path):
    """What a model file says it learned: its stored metadata, else an old side file, else {}."""
    import json

    from learnet import saving

    try:
        info = saving.read_metadata(path)
    except (OSError, ValueError):
        info = {}
    if not info:
        try:
            with open(_metadata_path(path), encoding="utf-8") as file:
                info = json.load(file)
        except (OSError, ValueError):
            info = {}
    return info if isinstance(info, dict) else {}


def _load_model(path):
    """``(model, dataset, class names)`` from a saved model file; dataset and names are None when unknown."""
    if not os.path.exists(path):
        raise CommandError(f"model file {path!r} not found (train one with 'learnet train --output {path}')")
    if os.path.isdir(path):
        raise CommandError(f"{path!r} is a folder, not a model file")
    from learnet.models import load_model

    try:
        model = load_model(path)
    except Exception as error:  # any failure to read a file is the same news for a user
        reason = str(error) or type(error).__name__
        raise CommandError(f"cannot read the model file {path!r}: {reason}") from None
    info = _trained_on(path)
    dataset = info.get("dataset")
    names = info.get("class_names")
    if not (isinstance(names, list) and names and all(isinstance(name, str) for name in names)):
        names = None
    return model, (dataset if dataset in DATASETS else None), names


# --- the subcommands -------------------------------------------------------------------


def _check_plot_extra(args):
    if not (args.plot or args.show_predictions):
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError('--plot and --show-predictions need Matplotlib: pip install "learnet[plot]"') from None


def _check_writable(path, option):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"{option} {path!r}: the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise CommandError(f"{option} {path!r} is a folder; give a file name")


def _launch_workers(args, argv):
    """Start this same command on ``--workers`` MPI processes and wait for them."""
    import subprocess

    from learnet.distribute import mpi

    try:
        import mpi4py  # noqa: F401

        command, env = mpi.mpiexec_command(args.workers, [sys.executable, "-m", "learnet", *argv])
    except (ImportError, FileNotFoundError):
        raise CommandError(f"--workers needs MPI: {mpi.MPI_EXTRA_MESSAGE}") from None
    return subprocess.call(command, env=env)


def _strip_workers(argv):
    """The command line without its --workers option, for the processes MPI starts."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--workers":
            skip = True
        elif not item.startswith("--workers="):
            kept.append(item)
    return kept


def train(args):
    """``learnet train``: fit a network, print its test accuracy, save it."""
    from learnet import distribute

    if args.workers > 1 and not distribute.launched_by_mpi():
        return _launch_workers(args, _strip_workers(args.argv))
    _check_plot_extra(args)
    _check_writable(args.output, "--output")
    for option, path in (("--plot", args.plot), ("--show-predictions", args.show_predictions)):
        if path:
            _check_writable(path, option)

    import numpy as np

    import learnet
    from learnet import utils

    (x_train, y_train), (x_test, y_test) = _load_dataset(args.dataset, args.data_dir)
    if args.limit is not None:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    if args.seed is not None:
        utils.set_random_seed(args.seed)

    strategy = distribute.get_strategy()
    if distribute.launched_by_mpi():
        strategy = distribute.MultiWorkerMirroredStrategy()
        if not strategy.is_chief:
            sys.stdout = open(os.devnull, "w")  # one process speaks for the job: rank 0
    with strategy.scope():
        model = build_model(args.model)
        optimizer_name = args.optimizer or DEFAULT_OPTIMIZER[args.model]
        model.compile(
            optimizer=_optimizer(optimizer_name, args.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    x_train, x_test = _as_model_input(model, x_train), _as_model_input(model, x_test)

    title = DATASETS[args.dataset]["title"]
    print(
        f"Training the {args.model.upper()} on {title}: {len(x_train)} images, "
        f"{args.epochs} epoch{'s' if args.epochs != 1 else ''}, batch {args.batch_size}, "
        f"{optimizer_name}" + (f", learning rate {args.learning_rate:g}" if args.learning_rate else "")
    )
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=args.validation_split,
        verbose=args.verbose,
    )
    seconds = time.perf_counter() - started

    results = model.evaluate(x_test, y_test, batch_size=max(args.batch_size, 256), verbose=0, return_dict=True)
    print(f"Trained in {seconds:.1f} s")
    print(f"Test loss: {results['loss']:.4f}")
    print(f"Test accuracy: {results['accuracy']:.4f}")
    if not np.isfinite(results["loss"]):
        print("warning: the loss is not a number: training diverged; try a smaller --learning-rate", file=sys.stderr)

    if not strategy.is_chief:
        return EXIT_OK  # rank 0 saves, plots and reports for the whole job
    _save_model(model, args.output, args.dataset)
    print(f"Saved model to {args.output}")

    if args.plot:
        learnet.plot.plot_history(history, title=f"{args.model.upper()} on {title}", save_path=args.plot)
        print(f"Saved the training curves to {args.plot}")
    if args.show_predictions:
        count = 25
        probabilities = model.predict(x_test[:count], verbose=0)
        learnet.plot.show_images(
            x_test[:count],
            y_test[:count],
            probabilities,
            class_names=_class_names(args.dataset),
            save_path=args.show_predictions,
        )
        print(f"Saved {count} test images with their predictions to {args.show_predictions}")
    return EXIT_OK


def evaluate(args):
    """``learnet evaluate MODEL``: loss and accuracy on a test set."""
    model, trained_on, _ = _load_model(args.model)
    dataset = args.dataset or trained_on or "mnist"
    if trained_on is not None and dataset != trained_on:
        print(
            f"warning: this model was trained on {DATASETS[trained_on]['title']}, not on "
            f"{DATASETS[dataset]['title']}: its accuracy here says little about it",
            file=sys.stderr,
        )
    elif trained_on is None and args.dataset is None:
        print(
            "note: the model file does not say which dataset it learned; evaluating on MNIST "
            "(choose another with --dataset)",
            file=sys.stderr,
        )
    _, (x_test, y_test) = _load_dataset(dataset, args.data_dir)
    probabilities = _predict_probabilities(model, _as_model_input(model, x_test), args.batch_size)
    loss, accuracy = _loss_and_accuracy(probabilities, y_test)
    print(f"{DATASETS[dataset]['title']} test set: {len(y_test)} images")
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    return EXIT_OK


def _predict_probabilities(model, x, batch_size=128):
    """The model's class probabilities for ``x``; outputs that are logits go through softmax."""
    import numpy as np

    try:
        output = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    except ValueError as error:
        raise CommandError(f"the model cannot take 28x28 images: {error}") from None
    if output.ndim != 2 or output.shape[1] < 2:
        raise CommandError(f"the model does not classify: its output has shape {output.shape}")
    looks_like_probabilities = output.min() >= 0 and np.allclose(output.sum(axis=1), 1, atol=1e-3)
    if not looks_like_probabilities:
        output = np.exp(output - output.max(axis=1, keepdims=True))
        output /= output.sum(axis=1, keepdims=True)
    return output


def _loss_and_accuracy(probabilities, labels):
    """Sparse categorical cross-entropy and accuracy, as Keras' evaluate reports them."""
    import numpy as np

    labels = np.asarray(labels, dtype=np.int64)
    if probabilities.shape[1] <= labels.max():
        raise CommandError(
            f"the model knows {probabilities.shape[1]} classes, but the test set has labels up to {labels.max()}"
        )
    picked = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    return loss, accuracy


def predict(args):
    """``learnet predict MODEL IMAGE...``: one line per image, the class and its probability."""
    import numpy as np

    model, trained_on, stored_names = _load_model(args.model)
    dataset = args.dataset or trained_on or "mnist"
    names = stored_names if stored_names and dataset == trained_on else _class_names(dataset)
    fit = "digit" if dataset == "mnist" else "fill"
    try:
        from PIL import Image  # noqa: F401
    except ImportError:
        raise CommandError('predict needs Pillow to read images: pip install "learnet[image]"') from None

    images, paths, status = [], [], EXIT_OK
    for path in args.images:
        if os.path.isdir(path):
            print(
                f"{path}: error: a folder, not an image (give the image files, e.g. {os.path.join(path, '*.png')})",
                file=sys.stderr,
            )
            status = EXIT_FAILURE
            continue
        try:
            images.append(prepare_image(path, fit=fit))
            paths.append(path)
        except (OSError, ValueError) as error:
            print(f"{path}: error: {error}", file=sys.stderr)
            status = EXIT_FAILURE
    if images:
        probabilities = _predict_probabilities(model, _as_model_input(model, np.stack(images)))
        if probabilities.shape[1] != len(names):
            names = [str(i) for i in range(probabilities.shape[1])]
        for path, row in zip(paths, probabilities):
            best = int(row.argmax())
            unsure = ", unsure" if row[best] < UNSURE_BELOW else ""
            print(f"{path}: {names[best]} ({100 * row[best]:.1f}%{unsure})")
    return status


def summary(args):
    """``learnet summary MODEL``: the model's layers, shapes and parameter counts."""
    model, trained_on, _ = _load_model(args.model)
    model.summary()
    if trained_on:
        print(f"Trained on: {DATASETS[trained_on]['title']}")
    return EXIT_OK


def datasets(args):
    """``learnet datasets``: where each dataset's files are, or what to do."""
    from learnet import datasets as data

    if args.data_dir is not None:
        if not os.path.isdir(args.data_dir):
            raise CommandError(f"--data-dir {args.data_dir!r} is not a folder")
    else:
        shared = os.environ.get("LEARNET_DATASETS")
        if shared and not os.path.isdir(os.path.expanduser(shared)):
            print(
                f"LEARNET_DATASETS is set to {shared!r}, which does not exist: "
                "point it at a folder holding mnist/, fashion-mnist/, imdb/ and so on\n"
            )
    print(
        "\n\n".join(
            _in_command_words(location.summary(), name)
            for name in data.DATASETS
            for location in data.locate_all(name, args.data_dir)
        )
    )
    return EXIT_OK


# --- images ----------------------------------------------------------------------------


def prepare_image(path, fit="digit"):
    """Read a picture and make it look like an MNIST image the network was trained on.

    The steps follow how MNIST itself was made: the image is made grey; when its
    background is light (the mean of its border pixels is above 127) it is inverted,
    so the ink is bright on black; the background level is subtracted and the
    contrast stretched to 0..255; the image is cropped to the ink. With
    ``fit="digit"`` the ink is then scaled so its longer side is 20 pixels and pasted
    into 28x28 with its centre of mass in the middle; with ``fit="fill"``
    (Fashion-MNIST) it is scaled so its longer side is 28 pixels and centred.

    Parameters
    ----------
    path : str or path-like
        A PNG, JPEG or any image Pillow reads.
    fit : {"digit", "fill"}

    Returns
    -------
    numpy.ndarray
        ``(28, 28)`` float32 pixels in 0..1 (divided by 255, like the training data).

    Raises
    ------
    OSError
        If the file is missing or not an image.
    ValueError
        If the image is blank.

    Examples
    --------
    >>> x = prepare_image("seven.png")  # doctest: +SKIP
    >>> x.shape, x.dtype                # doctest: +SKIP
    ((28, 28), dtype('float32'))
    """
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                # Transparent pixels count as white paper.
                rgba = image.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                paper.alpha_composite(rgba)
                image = paper
            grey = np.asarray(image.convert("L"), dtype=np.float32)
    except UnidentifiedImageError:
        raise OSError("not an image Pillow can read (expected PNG or JPEG)") from None
    except FileNotFoundError:
        raise OSError("file not found") from None
    except IsADirectoryError:
        raise OSError("a folder, not an image") from None
    except Image.DecompressionBombError:
        raise ValueError("the image is too large to read safely") from None

    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 127:
        grey, border = 255 - grey, 255 - border
    ink = np.clip(grey - np.median(border), 0, None)
    if ink.max() < 16:
        raise ValueError("the image is blank: no ink stands out from the background")
    ink *= 255 / ink.max()

    rows = np.flatnonzero(ink.max(axis=1) > 25)
    cols = np.flatnonzero(ink.max(axis=0) > 25)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = 20 if fit == "digit" else 28
    height, width = ink.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.LANCZOS), dtype=np.float32)
    small = np.clip(small, 0, 255)

    height, width = small.shape
    if fit == "digit" and small.sum() > 0:
        # Put the centre of mass at the centre of the 28x28 field, as MNIST does.
        mass = small.sum()
        centre_y = (small.sum(axis=1) @ np.arange(height)) / mass
        centre_x = (small.sum(axis=0) @ np.arange(width)) / mass
        top, left = round(14 - centre_y), round(14 - centre_x)
    else:
        top, left = (28 - height) // 2, (28 - width) // 2
    top, left = min(max(top, 0), 28 - height), min(max(left, 0), 28 - width)
    canvas = np.zeros((28, 28), dtype=np.float32)
    canvas[top : top + height, left : left + width] = small
    return canvas / np.float32(PIXEL_SCALE)
