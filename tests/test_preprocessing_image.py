"""``learnet.preprocessing.image`` (Keras 2's ``ImageDataGenerator``), compared with real Keras 3's legacy module."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import learnet as keras
from learnet.preprocessing import image
from learnet.preprocessing.image import ImageDataGenerator

PIL = pytest.importorskip("PIL.Image")
# Keras' legacy module still calls scipy.ndimage.interpolation, which SciPy has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning")

FILL_MODES = ["nearest", "constant", "reflect", "wrap"]
TRANSFORMS = [
    {"theta": 30},
    {"theta": -90},
    {"tx": 1.5, "ty": -2},
    {"tx": 0.4, "ty": 0.7},
    {"shear": 25},
    {"zx": 0.7, "zy": 1.3},
    {"theta": 17, "tx": 1, "ty": 0.5, "shear": -10, "zx": 1.2, "zy": 0.9},
]


@pytest.fixture(scope="module")
def kimage():
    """Keras 3's legacy ``keras.preprocessing.image`` module (it needs SciPy)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("scipy.ndimage")
    try:
        from keras.src.legacy.preprocessing import image as legacy
    except Exception:  # noqa: BLE001 - no Keras here means no comparison
        pytest.skip("real Keras 3 is not installed")
    return legacy


def images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32")


# --- the affine resampling, against Keras (which calls scipy.ndimage) ---------------------------------
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_apply_affine_transform_matches_keras(kimage, fill_mode, order):
    x_last = images((7, 9, 3))
    x_first = np.moveaxis(x_last, -1, 0)
    for params in TRANSFORMS:
        for x, axes in ((x_last, (0, 1, 2)), (x_first, (1, 2, 0))):
            kwargs = dict(zip(("row_axis", "col_axis", "channel_axis"), axes))
            kwargs.update(fill_mode=fill_mode, cval=-7.0, order=order)
            expected = kimage.apply_affine_transform(x, **params, **kwargs)
            got = image.apply_affine_transform(x, **params, **kwargs)
            assert got.shape == x.shape and got.dtype == x.dtype
            np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=f"{params} {kwargs}")


def test_apply_affine_transform_without_change_and_with_integers(kimage):
    x = images((5, 6, 1))
    assert image.apply_affine_transform(x, row_axis=0, col_axis=1, channel_axis=2) is x
    pixels = images((6, 5, 3)).astype("uint8")
    args = dict(theta=33, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_array_equal(
        image.apply_affine_transform(pixels, **args), kimage.apply_affine_transform(pixels, **args)
    )


def test_affine_resampling_does_not_need_scipy():
    code = "import sys, learnet.preprocessing.image; print('scipy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_channel_shift_and_brightness_match_keras(kimage):
    x = images((4, 5, 3))
    np.testing.assert_allclose(image.apply_channel_shift(x, 40.0, 2), kimage.apply_channel_shift(x, 40.0, 2))
    for data, scale in ((x, True), (x, False), (x * 3 - 100, False), (x[..., :1], True)):
        np.testing.assert_allclose(
            image.apply_brightness_shift(data, 1.4, scale), kimage.apply_brightness_shift(data, 1.4, scale), atol=1e-4
        )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_apply_transform_with_fixed_parameters_matches_keras(kimage, data_format):
    settings = dict(fill_mode="reflect", data_format=data_format, interpolation_order=1)
    ours, theirs = ImageDataGenerator(**settings), kimage.ImageDataGenerator(**settings)
    x = images((6, 8, 3))
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 0)
    params = {
        "theta": 12.0,
        "tx": 1.0,
        "ty": -0.5,
        "shear": 5.0,
        "zx": 0.9,
        "zy": 1.1,
        "flip_horizontal": True,
        "flip_vertical": True,
        "channel_shift_intensity": 20.0,
        "brightness": None,
    }
    np.testing.assert_allclose(ours.apply_transform(x, params), theirs.apply_transform(x, params), atol=1e-4)
    if data_format == "channels_last":
        bright = dict(params, brightness=0.7)
        np.testing.assert_allclose(ours.apply_transform(x, bright), theirs.apply_transform(x, bright), atol=1e-3)


# --- random transforms: reproducible with a seed, inside their ranges ----------------------------------
def test_random_transform_is_reproducible_and_within_its_ranges():
    datagen = ImageDataGenerator(
        rotation_range=30,
        width_shift_range=0.25,
        height_shift_range=3,
        shear_range=10,
        zoom_range=[0.8, 1.1],
        channel_shift_range=15.0,
        brightness_range=(0.5, 1.5),
        horizontal_flip=True,
        vertical_flip=True,
    )
    x = images((8, 12, 3))
    np.testing.assert_array_equal(datagen.random_transform(x, seed=3), datagen.random_transform(x, seed=3))
    assert datagen.get_random_transform(x.shape, seed=3) == datagen.get_random_transform(x.shape, seed=3)
    flips = set()
    for seed in range(60):
        params = datagen.get_random_transform(x.shape, seed=seed)
        assert -30 <= params["theta"] <= 30 and -10 <= params["shear"] <= 10
        assert -0.25 * 12 <= params["ty"] <= 0.25 * 12
        assert params["tx"] in (-2, -1, 0, 1, 2)  # an int range: whole pixels in (-3, 3)
        assert 0.8 <= params["zx"] <= 1.1 and 0.8 <= params["zy"] <= 1.1
        assert -15 <= params["channel_shift_intensity"] <= 15 and 0.5 <= params["brightness"] <= 1.5
        flips.add((params["flip_horizontal"], params["flip_vertical"]))
    assert len(flips) == 4
    assert datagen.get_random_transform(x.shape, seed=1) != datagen.get_random_transform(x.shape, seed=2)
    still = ImageDataGenerator().get_random_transform(x.shape)
    assert (still["theta"], still["tx"], still["zx"], still["flip_horizontal"]) == (0, 0, 1, False)


def test_shift_range_as_a_list_picks_one_of_its_values():
    datagen = ImageDataGenerator(width_shift_range=[-2, 4])
    shifts = {datagen.get_random_transform((5, 10, 1), seed=seed)["ty"] for seed in range(40)}
    assert shifts <= {-4.0, -2.0, 2.0, 4.0} and len(shifts) > 1


def test_random_functions_keep_the_shape():
    x = images((3, 6, 7))  # channels first, as Keras' functions default
    keras.utils.set_random_seed(0)
    for out in (
        image.random_rotation(x, 20),
        image.random_shift(x, 0.2, 0.1),
        image.random_shear(x, 15),
        image.random_zoom(x, (0.9, 1.2)),
        image.random_channel_shift(x, 10.0),
    ):
        assert out.shape == x.shape
    assert image.random_brightness(np.moveaxis(x, 0, -1), (0.5, 1.5)).shape == (6, 7, 3)
    keras.utils.set_random_seed(5)
    first = image.random_rotation(x, 20)
    keras.utils.set_random_seed(5)
    np.testing.assert_array_equal(first, image.random_rotation(x, 20))


# --- standardize and fit ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "settings",
    [
        {"rescale": 1 / 255},
        {"samplewise_center": True, "samplewise_std_normalization": True},
        {"featurewise_center": True, "featurewise_std_normalization": True, "rescale": 0.5},
        {"featurewise_center": True},
        {"zca_whitening": True, "zca_epsilon": 1e-3},
    ],
)
def test_fit_and_standardize_match_keras(kimage, settings):
    x = images((40, 3, 3, 3), seed=4)
    with pytest.warns(UserWarning) if settings.get("zca_whitening") else _no_warning():
        ours = ImageDataGenerator(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = kimage.ImageDataGenerator(**settings)
    ours.fit(x)
    theirs.fit(x)
    for name in ("mean", "std"):
        if getattr(theirs, name) is None:
            assert getattr(ours, name) is None
        else:
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-5)
    if settings.get("zca_whitening"):
        np.testing.assert_allclose(ours.zca_whitening_matrix, theirs.zca_whitening_matrix, rtol=1e-3, atol=1e-5)
    batch = images((5, 3, 3, 3), seed=9)
    expected = theirs.standardize(np.copy(batch))
    got = ours.standardize(np.copy(batch))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.standardize(np.copy(batch[0])), theirs.standardize(np.copy(batch[0])), atol=1e-4)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_standardize_runs_the_preprocessing_function_and_warns_when_not_fitted():
    datagen = ImageDataGenerator(preprocessing_function=lambda image: image - 1.0, rescale=2.0)
    np.testing.assert_allclose(datagen.standardize(np.full((2, 2, 1), 3.0)), np.full((2, 2, 1), 4.0))
    with pytest.warns(UserWarning, match="fit"):
        ImageDataGenerator(featurewise_center=True).standardize(np.ones((2, 2, 1)))


def test_fit_with_augmentation_is_reproducible():
    x = images((6, 5, 5, 1))
    first = ImageDataGenerator(featurewise_center=True, rotation_range=40)
    second = ImageDataGenerator(featurewise_center=True, rotation_range=40)
    first.fit(x, augment=True, rounds=2, seed=7)
    second.fit(x, augment=True, rounds=2, seed=7)
    np.testing.assert_array_equal(first.mean, second.mean)


# --- flow -----------------------------------------------------------------------------------------
def test_flow_without_augmentation_gives_keras_batches(kimage):
    x, y = images((10, 4, 5, 3)), np.arange(10)
    weights = np.linspace(0.1, 1.0, 10)
    ours = ImageDataGenerator(rescale=1 / 255).flow(x, y, batch_size=4, shuffle=False, sample_weight=weights)
    theirs = kimage.ImageDataGenerator(rescale=1 / 255).flow(x, y, batch_size=4, shuffle=False, sample_weight=weights)
    assert len(ours) == len(theirs) == 3
    for index in range(3):
        for got, expected in zip(ours[index], theirs[index]):
            np.testing.assert_allclose(got, expected, rtol=1e-6)
    for _ in range(4):  # next() runs on past the end of a pass, as Keras' does
        for got, expected in zip(next(ours), next(theirs)):
            np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert ours[-1][0].shape == (2, 4, 5, 3)


def test_flow_with_other_inputs_and_without_labels(kimage):
    x, extra = images((6, 3, 3, 1)), np.arange(12).reshape(6, 2)
    ours = ImageDataGenerator().flow((x, extra), np.arange(6), batch_size=4, shuffle=False)
    theirs = kimage.ImageDataGenerator().flow((x, extra), np.arange(6), batch_size=4, shuffle=False)
    (ours_x, ours_extra), ours_y = ours[1]
    (theirs_x, theirs_extra), theirs_y = theirs[1]
    np.testing.assert_allclose(ours_x, theirs_x)
    np.testing.assert_array_equal(ours_extra, theirs_extra)
    np.testing.assert_array_equal(ours_y, theirs_y)
    only_images = ImageDataGenerator().flow(x, batch_size=4, shuffle=False)[0]
    assert isinstance(only_images, np.ndarray) and only_images.shape == (4, 3, 3, 1)


def test_flow_subsets_match_keras(kimage):
    x, y = images((10, 3, 3, 1)), np.array([0, 1] * 5)
    for subset in ("training", "validation"):
        ours = ImageDataGenerator(validation_split=0.3).flow(x, y, batch_size=10, shuffle=False, subset=subset)
        theirs = kimage.ImageDataGenerator(validation_split=0.3).flow(x, y, batch_size=10, shuffle=False, subset=subset)
        assert ours.n == theirs.n
        for got, expected in zip(ours[0], theirs[0]):
            np.testing.assert_allclose(got, expected)
    with pytest.raises(ValueError, match="different classes"):
        ImageDataGenerator(validation_split=0.3).flow(x, np.sort(y), subset="training")


def test_flow_shuffles_with_a_seed_and_reshuffles_each_epoch():
    x, y = images((12, 2, 2, 1)), np.arange(12)
    datagen = ImageDataGenerator()

    def labels(iterator):
        return np.concatenate([iterator[i][1] for i in range(len(iterator))])

    first, second = datagen.flow(x, y, batch_size=5, seed=3), datagen.flow(x, y, batch_size=5, seed=3)
    order = labels(first)
    np.testing.assert_array_equal(order, labels(second))
    assert sorted(order) == list(range(12)) and list(order) != list(range(12))
    first.on_epoch_end()
    assert list(labels(first)) != list(order)
    shown = []
    for batch in datagen.flow(x, y, batch_size=5, shuffle=False):  # endless, as in Keras: the loop breaks itself
        shown.append(len(batch[1]))
        if len(shown) == 4:
            break
    assert shown == [5, 5, 2, 5]
    stream = datagen.flow(x, y, batch_size=5, shuffle=False)
    assert [len(stream.next()[1]) for _ in range(4)] == [5, 5, 2, 5]
    stream.reset()
    np.testing.assert_array_equal(next(stream)[1], np.arange(5))


def test_flow_augments_reproducibly_with_a_seed():
    x = images((4, 6, 6, 3))
    datagen = ImageDataGenerator(rotation_range=45, zoom_range=0.3, horizontal_flip=True)
    first = datagen.flow(x, batch_size=4, seed=11)[0]
    np.testing.assert_array_equal(first, datagen.flow(x, batch_size=4, seed=11)[0])
    assert not np.allclose(first, datagen.flow(x, batch_size=4, seed=12)[0])
    np.testing.assert_array_equal(x, images((4, 6, 6, 3)))  # the source images are left alone


def test_flow_saves_augmented_images(tmp_path):
    batches = ImageDataGenerator(rotation_range=10).flow(
        images((3, 5, 5, 3)), batch_size=3, save_to_dir=str(tmp_path), save_prefix="aug", save_format="png"
    )
    batches[0]
    saved = sorted(os.listdir(tmp_path))
    assert len(saved) == 3 and all(name.startswith("aug_") and name.endswith(".png") for name in saved)


# --- flow_from_directory --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def image_tree(tmp_path_factory):
    """cats/ (4 images, one in a subfolder), dogs/ (3), birds/ (2); a text file that is not an image."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    sizes = [(6, 8), (7, 5), (6, 6), (9, 7)]
    for name, count in (("cats", 4), ("dogs", 3), ("birds", 2)):
        (root / name).mkdir()
        for index in range(count):
            folder = root / name / "more" if (name == "cats" and index == 3) else root / name
            folder.mkdir(exist_ok=True)
            height, width = sizes[index]
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            PIL.fromarray(pixels, "RGB").save(folder / f"{name}_{index}.png")
    (root / "dogs" / "notes.txt").write_text("not an image")
    return root


@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", None, "input"])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
def test_flow_from_directory_matches_keras(kimage, image_tree, class_mode, color_mode):
    settings = dict(target_size=(5, 6), color_mode=color_mode, class_mode=class_mode, batch_size=4, shuffle=False)
    ours = ImageDataGenerator(rescale=1 / 255).flow_from_directory(str(image_tree), **settings)
    theirs = kimage.ImageDataGenerator(rescale=1 / 255).flow_from_directory(str(image_tree), **settings)
    assert ours.class_indices == theirs.class_indices == {"birds": 0, "cats": 1, "dogs": 2}
    assert ours.filenames == theirs.filenames
    assert os.path.join("cats", "more", "cats_3.png") in ours.filenames
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    assert ours.samples == theirs.samples == 9 and len(ours) == len(theirs) == 3
    for index in range(len(ours)):
        got, expected = ours[index], theirs[index]
        if class_mode is None:
            got, expected = (got,), (expected,)
        assert len(got) == len(expected)
        for mine, keras_part in zip(got, expected):
            assert mine.shape == keras_part.shape and mine.dtype == keras_part.dtype
            np.testing.assert_allclose(mine, keras_part, rtol=1e-6)


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_flow_from_directory_subsets_match_keras(kimage, image_tree, subset):
    settings = dict(target_size=(4, 4), batch_size=8, shuffle=False, subset=subset, interpolation="bilinear")
    ours = ImageDataGenerator(validation_split=0.4).flow_from_directory(image_tree, **settings)
    theirs = kimage.ImageDataGenerator(validation_split=0.4).flow_from_directory(str(image_tree), **settings)
    assert ours.filenames == theirs.filenames and ours.samples == theirs.samples
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    for got, expected in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(got, expected)


def test_flow_from_directory_with_chosen_classes_and_shuffling(image_tree):
    batches = ImageDataGenerator().flow_from_directory(
        image_tree, target_size=(3, 3), classes=["dogs", "cats"], class_mode="sparse", batch_size=7, seed=1
    )
    assert batches.class_indices == {"dogs": 0, "cats": 1} and batches.samples == 7
    assert sorted(batches[0][1].tolist()) == [0.0] * 3 + [1.0] * 4
    assert [os.path.basename(path) for path in batches.filepaths][:3] == ["dogs_0.png", "dogs_1.png", "dogs_2.png"]


def test_flow_from_directory_feeds_fit_evaluate_and_predict(image_tree):
    datagen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True)
    train = datagen.flow_from_directory(image_tree, target_size=(4, 4), batch_size=4, seed=0)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4, 3)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    model.fit(train, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(train, verbose=0))
    unlabeled = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        image_tree, target_size=(4, 4), class_mode=None, shuffle=False, batch_size=4
    )
    assert model.predict(unlabeled, verbose=0).shape == (9, 3)


# --- flow_from_dataframe --------------------------------------------------------------------------------
def test_flow_from_dataframe_needs_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pandas"):
        ImageDataGenerator().flow_from_dataframe({"filename": [], "class": []})


def test_dataframe_iterator_reads_a_table(image_tree):
    table = {
        "filename": ["cats/cats_0.png", "dogs/dogs_1.png", "dogs/missing.png", "birds/birds_1.png"],
        "class": ["cat", "dog", "dog", "bird"],
        "size": [1.0, 2.0, 3.0, 4.0],
    }
    with pytest.warns(UserWarning, match="1 invalid"):
        batches = image.DataFrameIterator(
            table, str(image_tree), ImageDataGenerator(), target_size=(3, 3), batch_size=3, shuffle=False
        )
    assert batches.class_indices == {"bird": 0, "cat": 1, "dog": 2} and batches.classes == [1, 2, 0]
    x, y = batches[0]
    assert x.shape == (3, 3, 3, 3)
    np.testing.assert_array_equal(y, np.eye(3)[[1, 2, 0]])
    with pytest.warns(UserWarning, match="1 invalid"):
        raw = image.DataFrameIterator(
            table, str(image_tree), ImageDataGenerator(), y_col="size", class_mode="raw", target_size=(3, 3)
        )
    np.testing.assert_array_equal(raw.labels, [1.0, 2.0, 4.0])


# --- fit on the iterators ------------------------------------------------------------------------------
def test_a_model_trains_from_flow_with_steps_and_validation():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = (rng.random(256) < 0.5).astype("float32")
    x = rng.random((256, 6, 6, 1)).astype("float32")
    x[:, :, :3] += y[:, None, None, None]  # class 1 is brighter on the left
    datagen = ImageDataGenerator(vertical_flip=True)  # turning upside down keeps the left/right answer
    train = datagen.flow(x[:192], y[:192], batch_size=32, seed=1)
    validation = ImageDataGenerator().flow(x[192:], y[192:], batch_size=32, shuffle=False)
    model = keras.Sequential(
        [
            keras.layers.Flatten(input_shape=(6, 6, 1)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train, steps_per_epoch=6, epochs=9, validation_data=validation, verbose=0).history
    losses = history["loss"]
    assert all(loss > 0 for loss in losses) and losses[-1] < 0.5 * losses[0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert model.evaluate(validation, verbose=0)[1] > 0.7
    assert model.predict(ImageDataGenerator().flow(x[:10], batch_size=4, shuffle=False), verbose=0).shape == (10, 1)


def test_every_epoch_with_steps_per_epoch_gets_its_batches():
    x, y = images((64, 2, 2, 1)) / 255, np.zeros(64, dtype="float32")
    model = keras.Sequential([keras.layers.Flatten(input_shape=(2, 2, 1)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(ImageDataGenerator().flow(x, y, batch_size=32), steps_per_epoch=2, epochs=3, verbose=0)
    assert all(loss > 0 for loss in history.history["loss"])


# --- registration -------------------------------------------------------------------------------------
def test_reachable_under_keras_names():
    import learnet as tf

    assert tf.keras.preprocessing.image.ImageDataGenerator is ImageDataGenerator
    assert keras.preprocessing.image.load_img is keras.utils.load_img
    assert issubclass(image.NumpyArrayIterator, keras.utils.PyDataset)
    assert issubclass(image.DirectoryIterator, keras.utils.Sequence)


# --- bad input: a clear error, nothing changed --------------------------------------------------------
@pytest.mark.parametrize(
    "settings, message",
    [
        ({"zoom_range": (0.5, 1.0, 1.5)}, "zoom_range"),
        ({"zoom_range": "big"}, "zoom_range"),
        ({"fill_mode": "mirrored"}, "fill_mode"),
        ({"validation_split": 1.5}, "validation_split"),
        ({"validation_split": -0.1}, "validation_split"),
        ({"data_format": "channels_middle"}, "data_format"),
        ({"brightness_range": 0.5}, "brightness_range"),
        ({"interpolation_order": 3}, "interpolation_order"),
        ({"width_shift_range": "wide"}, "width_shift_range"),
    ],
)
def test_bad_generator_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator(**settings)


def test_wrong_ndim_is_refused_and_changes_nothing():
    datagen = ImageDataGenerator(featurewise_center=True)
    with pytest.raises(ValueError, match="4 axes"):
        datagen.fit(np.zeros((5, 4, 4)))
    assert datagen.mean is None
    with pytest.raises(ValueError, match="4 axes"):
        datagen.flow(np.zeros((5, 4, 4)), np.zeros(5))
    with pytest.raises(ValueError, match="same length"):
        datagen.flow(np.zeros((5, 4, 4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        datagen.flow(np.zeros((5, 4, 4, 1)), batch_size=0)
    with pytest.raises(ValueError, match="3 axes"):
        image.apply_affine_transform(np.zeros((4, 4)), theta=10)
    with pytest.raises(ValueError, match="fill_mode"):
        image.apply_affine_transform(np.zeros((1, 4, 4)), theta=10, fill_mode="mirrored")
    with pytest.raises(ValueError, match="zoom_range"):
        image.random_zoom(np.zeros((1, 4, 4)), (0.9,))
    with pytest.raises(IndexError, match="3 batches"):
        datagen.flow(np.zeros((5, 4, 4, 1)), batch_size=2)[3]


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"class_mode": "multiclass"}, ValueError, "class_mode"),
        ({"color_mode": "cmyk"}, ValueError, "color_mode"),
        ({"interpolation": "cubic-ish"}, ValueError, "interpolation"),
        ({"subset": "validation"}, ValueError, "validation_split"),
        ({"subset": "testing"}, ValueError, "subset"),
        ({"target_size": (4,)}, ValueError, "target_size"),
    ],
)
def test_bad_directory_settings_are_refused(image_tree, settings, error, message):
    with pytest.raises(error, match=message):
        ImageDataGenerator().flow_from_directory(image_tree, **settings)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no directory"):
        ImageDataGenerator().flow_from_directory(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="subset"):
        ImageDataGenerator().flow(np.zeros((4, 2, 2, 1)), subset="training")


def test_keras_preprocessing_keeps_the_dataset_builders_as_keras_3_does():
    import learnet as keras_

    assert keras_.preprocessing.image_dataset_from_directory is keras_.utils.image_dataset_from_directory
    assert keras_.preprocessing.text_dataset_from_directory is keras_.utils.text_dataset_from_directory
    assert keras_.preprocessing.timeseries_dataset_from_array is keras_.utils.timeseries_dataset_from_array
