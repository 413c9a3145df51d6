"""``keras.utils.audio_dataset_from_directory``: a folder of ``.wav`` files, one subfolder per class.

Written beside :func:`learnet.dataset_utils.text_dataset_from_directory` and sharing its
way of listing the files, shuffling them with a seed and splitting off a validation part,
so the same seed puts the same files in each part as Keras does.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from learnet.audio import encode_wav
>>> root = tempfile.mkdtemp()
>>> for label in ("no", "yes"):
...     os.mkdir(os.path.join(root, label))
...     wav = encode_wav(np.zeros((100, 1), "float32"), 16000).numpy()
...     _ = open(os.path.join(root, label, "a.wav"), "wb").write(wav)
>>> ds = audio_dataset_from_directory(root, output_sequence_length=160, shuffle=False)
Found 2 files belonging to 2 classes.
>>> audio, labels = next(iter(ds))
>>> audio.shape, labels.numpy().tolist(), ds.class_names
(TensorShape([2, 160, 1]), [0, 1], ['no', 'yes'])
"""

import numpy as np

from learnet import backend
from learnet.audio import decode_wav
from learnet.control import TensorSpec
from learnet.data import Dataset
from learnet.dataset_utils import (
    _check_count,
    _check_validation_split,
    _checked_labels,
    _datasets_of_subsets,
    _labelled_files,
)
from learnet.tree import map_structure

__all__ = ["audio_dataset_from_directory"]


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """A dataset of ``(audio, labels)`` batches from a folder of WAV files (``keras.utils.audio_dataset_from_directory``).

    ``main_directory/no/*.wav`` and ``main_directory/yes/*.wav`` give labels 0 and 1
    (classes in alphabetical order, in ``dataset.class_names``). Each file is decoded with
    ``tf.audio.decode_wav`` (16-bit PCM) into ``float32 [samples, channels]`` in ``[-1, 1)``,
    batch by batch.

    Parameters
    ----------
    directory : str or path-like
    labels : "inferred", None, or a list of integer labels
        ``None`` gives audio only; a list gives one label per file, in the sorted order of the paths.
    label_mode : {"int", "categorical", "binary", None}, default "int"
    class_names : list of str, optional
        The class subfolders to use, in this order (only with ``labels="inferred"``).
    batch_size : int or None, default 32
        ``None`` gives one clip per element.
    sampling_rate : int, optional
        The sample rate every file must have (learnet does not resample: a file of another
        rate is refused, naming it).
    output_sequence_length : int, optional
        Cut longer clips to this many samples and pad shorter ones with zeros. By default
        each batch is padded to its longest clip.
    ragged : bool, default False
        Not supported (learnet batches are dense); pad with ``output_sequence_length``.
    shuffle : bool, default True
    seed : int, optional
        Needed with ``validation_split`` and ``shuffle``.
    validation_split : float, optional
    subset : {"training", "validation", "both"}, optional
    follow_links : bool, default False
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    learnet.data.Dataset, or a tuple of two with ``subset="both"``
        Elements ``(audio [batch, samples, channels], labels)``; attributes
        ``class_names`` and ``file_paths``.
    """
    who = "audio_dataset_from_directory"
    labels = _checked_labels(labels, label_mode, class_names, who)
    if ragged and output_sequence_length is not None:
        raise ValueError(f"{who}: give either ragged and output_sequence_length, not both")
    if ragged:
        raise NotImplementedError(
            f"{who}: ragged=True is not supported; pass output_sequence_length to pad or cut every clip to one length"
        )
    if sampling_rate is not None:
        if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, (int, np.integer)) or sampling_rate <= 0:
            raise ValueError(f"{who}: sampling_rate must be a positive integer, got {sampling_rate!r}")
    if batch_size is not None:
        batch_size = _check_count(batch_size, "batch_size", who)
    if output_sequence_length is not None:
        output_sequence_length = _check_count(output_sequence_length, "output_sequence_length", who)
    _check_validation_split(validation_split, subset, shuffle, seed, who)
    paths, ids, names, labels_of, label_mode = _labelled_files(
        directory, labels, label_mode, class_names, follow_links, (".wav",), "audio files", shuffle, seed, verbose, who
    )

    def read(path):
        with open(path, "rb") as stream:
            contents = stream.read()
        try:
            audio, rate = decode_wav(contents, desired_samples=output_sequence_length or -1)
        except ValueError as error:  # InvalidArgumentError is a ValueError
            raise type(error)(None, None, f"{who}: cannot read {path!r}: {error}") from None
        if sampling_rate is not None and int(rate) != sampling_rate:
            raise ValueError(
                f"{who}: {path!r} has sample rate {int(rate)} Hz, not the sampling_rate={sampling_rate} asked for "
                "(learnet does not resample)"
            )
        return audio.numpy()

    def stack(clips, chosen_files):
        channels = {clip.shape[1] for clip in clips}
        if len(channels) > 1:
            raise ValueError(
                f"{who}: the files of one batch have different numbers of channels {sorted(channels)}: "
                f"{[str(path) for path in chosen_files]}"
            )
        longest = max(clip.shape[0] for clip in clips)
        batch = np.zeros((len(clips), longest, channels.pop()), dtype=np.float32)
        for row, clip in enumerate(clips):
            batch[row, : clip.shape[0]] = clip
        return batch

    def make_dataset(files, class_ids, shuffled):
        generator = np.random.default_rng(seed) if seed is not None else None
        size = 1 if batch_size is None else batch_size

        def make():
            order = np.arange(len(files))
            if shuffled:
                order = (generator or backend.host_rng()).permutation(len(files))
            for first in range(0, len(files), size):
                chosen = order[first : first + size]
                audio = stack([read(path) for path in files[chosen]], files[chosen])
                element = audio if label_mode is None else (audio, labels_of(class_ids[chosen]))
                if batch_size is None:
                    element = map_structure(lambda a: a[0], element)
                yield element

        batch = () if batch_size is None else (None,)

        def spec():
            audio = TensorSpec(batch + (output_sequence_length, None), "float32")
            if label_mode is None:
                return audio
            label_shape = {"int": (), "binary": (1,), "categorical": (len(names),)}[label_mode]
            return audio, TensorSpec(batch + label_shape, "int32" if label_mode == "int" else "float32")

        dataset = Dataset(make, -(-len(files) // size), spec)
        dataset.class_names = None if names is None else list(names)
        dataset.file_paths = [str(path) for path in files]
        return dataset

    return _datasets_of_subsets(paths, ids, validation_split, subset, shuffle, make_dataset, who)
