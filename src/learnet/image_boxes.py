"""``tf.image``'s bounding boxes: non-max suppression, drawing boxes, and sampling random crops.

Re-exported by :mod:`learnet.image`. Boxes are ``[y1, x1, y2, x2]`` (either pair of corners
may come first); none of these functions has a gradient, as in TensorFlow.

Non-max suppression is greedy: the best-scoring box is kept, every remaining box that
overlaps it by more than ``iou_threshold`` (intersection over union) is dropped, and so on
with the best of the rest. Each step compares one box with all others at once.

Examples
--------
>>> import learnet as tf
>>> boxes = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 5, 1, 6]]
>>> tf.image.non_max_suppression(boxes, [0.9, 0.8, 0.7], max_output_size=3).numpy()
array([0, 2], dtype=int32)
"""

import heapq

import numpy

from learnet import errors
from learnet import random as _random
from learnet import stateless_random as _stateless
from learnet.tensor import Tensor, convert_to_tensor

__all__ = [
    "combined_non_max_suppression",
    "draw_bounding_boxes",
    "non_max_suppression",
    "non_max_suppression_padded",
    "non_max_suppression_with_scores",
    "sample_distorted_bounding_box",
    "stateless_sample_distorted_bounding_box",
]


def _array(value, dtype=None):
    return numpy.asarray(value.numpy() if isinstance(value, Tensor) else value, dtype=dtype)


def _constant(array):
    return convert_to_tensor(numpy.asarray(array))


def _scalar(value, name, function, kind=float):
    array = _array(value)
    if array.ndim != 0:
        raise ValueError(f"{function}: {name} must be a scalar, got shape {array.shape}")
    return kind(array)


def _boxes_and_scores(boxes, scores, function, batched=False):
    boxes, scores = _array(boxes, numpy.float32), _array(scores, numpy.float32)
    rank = boxes.ndim if batched else 2
    if boxes.ndim != rank or boxes.ndim < 2 or boxes.shape[-1] != 4:
        expected = "(..., num_boxes, 4)" if batched else "(num_boxes, 4)"
        raise ValueError(f"{function}: boxes must have shape {expected}, got {boxes.shape}")
    if scores.shape != boxes.shape[:-1]:
        raise ValueError(f"{function}: scores must have shape {boxes.shape[:-1]} (one per box), got {scores.shape}")
    return boxes, scores


def _iou_threshold(iou_threshold, function):
    threshold = _scalar(iou_threshold, "iou_threshold", function)
    if not 0 <= threshold <= 1:
        raise errors.InvalidArgumentError(None, None, f"{function}: iou_threshold must be in [0, 1], got {threshold}")
    return numpy.float32(threshold)


def _max_output_size(max_output_size, function, name="max_output_size"):
    size = _scalar(max_output_size, name, function, int)
    if size < 0:
        raise errors.InvalidArgumentError(None, None, f"{function}: {name} must be non-negative, got {size}")
    return size


def _iou(box, boxes):
    """The intersection over union of one box with each of ``boxes`` (0 where either has no area)."""
    low = numpy.minimum(boxes[..., :2], boxes[..., 2:])
    high = numpy.maximum(boxes[..., :2], boxes[..., 2:])
    box_low, box_high = numpy.minimum(box[:2], box[2:]), numpy.maximum(box[:2], box[2:])
    areas = numpy.prod(high - low, axis=-1)
    area = numpy.prod(box_high - box_low)
    overlap = numpy.prod(numpy.maximum(numpy.minimum(high, box_high) - numpy.maximum(low, box_low), 0), axis=-1)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        iou = overlap / (areas + area - overlap)
    return numpy.where((areas > 0) & (area > 0), iou, 0).astype(numpy.float32)


def _candidates(scores, score_threshold):
    """Indices of the boxes scoring above the threshold, best first (ties: the lower index first)."""
    order = numpy.argsort(-scores, kind="stable")
    return order[scores[order] > score_threshold]


def _greedy(boxes, scores, max_output_size, iou_threshold, score_threshold):
    """Hard non-max suppression: the indices kept, best first."""
    order = _candidates(scores, score_threshold)
    alive = numpy.ones(len(order), dtype=bool)
    kept = []
    while len(kept) < max_output_size and alive.any():
        best = int(numpy.argmax(alive))  # the first box still alive: the best score left
        kept.append(int(order[best]))
        alive[best] = False
        alive &= _iou(boxes[order[best]], boxes[order]) <= iou_threshold
    return numpy.asarray(kept, dtype=numpy.int32)


def _soft(boxes, scores, max_output_size, iou_threshold, score_threshold, sigma):
    """Soft-NMS: overlapping boxes have their scores decayed by
    ``exp(-iou**2 / (2 sigma))`` instead of being dropped, and go back into the queue."""
    scale = numpy.float32(-0.5 / sigma)
    queue = [(-scores[i], int(i), 0) for i in _candidates(scores, score_threshold)]
    heapq.heapify(queue)
    kept, kept_scores = [], []
    while len(kept) < max_output_size and queue:
        negative, index, checked = heapq.heappop(queue)
        score = original = numpy.float32(-negative)
        # Only the boxes kept since this one was last looked at can lower its score.
        for other in reversed(kept[checked:]):
            overlap = _iou(boxes[index], boxes[other][None])[0]
            score = numpy.float32(score * (numpy.exp(scale * overlap * overlap) if overlap <= iou_threshold else 0))
            if score <= score_threshold:
                break
        if score == original:
            kept.append(index)
            kept_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(queue, (-score, index, len(kept)))
    return numpy.asarray(kept, dtype=numpy.int32), numpy.asarray(kept_scores, dtype=numpy.float32)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"), name=None):
    """The indices of at most ``max_output_size`` boxes kept by greedy non-max suppression.

    Parameters
    ----------
    boxes : array_like ``(num_boxes, 4)``
        ``[y1, x1, y2, x2]`` corners (in pixels or normalised; the IoU does not mind).
    scores : array_like ``(num_boxes,)``
    max_output_size : int
    iou_threshold : float in [0, 1], default 0.5
        Boxes overlapping a kept box by more than this are dropped.
    score_threshold : float, default -inf
        Only boxes scoring above it are considered.

    Returns
    -------
    Tensor of int32: indices into ``boxes``, by decreasing score.

    Examples
    --------
    >>> import learnet as tf
    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> tf.image.non_max_suppression(boxes, [0.6, 0.9, 0.5], 2).numpy()
    array([1, 2], dtype=int32)
    """
    function = "non_max_suppression"
    boxes, scores = _boxes_and_scores(boxes, scores, function)
    size = _max_output_size(max_output_size, function)
    threshold = _iou_threshold(iou_threshold, function)
    score_threshold = numpy.float32(_scalar(score_threshold, "score_threshold", function))
    return _constant(_greedy(boxes, scores, size, threshold, score_threshold))


def non_max_suppression_with_scores(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    soft_nms_sigma=0.0,
    name=None,
):
    """Non-max suppression that also returns the kept boxes' scores; with Soft-NMS if ``soft_nms_sigma > 0``.

    With ``soft_nms_sigma > 0`` a box overlapping a kept one by ``iou`` (at most
    ``iou_threshold``) has its score multiplied by ``exp(-iou**2 / (2 soft_nms_sigma))``
    instead of being dropped, and competes again with its new score.

    Returns
    -------
    selected_indices : Tensor of int32
    selected_scores : Tensor of float32
        The scores of the kept boxes (decayed ones with Soft-NMS).

    Examples
    --------
    >>> import learnet as tf
    >>> boxes = [[0, 0, 1, 1], [0, 0.5, 1, 1.5]]
    >>> indices, scores = tf.image.non_max_suppression_with_scores(boxes, [0.9, 0.8], 2, 1.0, soft_nms_sigma=0.5)
    >>> indices.numpy(), scores.numpy().round(4)
    (array([0, 1], dtype=int32), array([0.9   , 0.7159], dtype=float32))
    """
    function = "non_max_suppression_with_scores"
    boxes, scores = _boxes_and_scores(boxes, scores, function)
    size = _max_output_size(max_output_size, function)
    threshold = _iou_threshold(iou_threshold, function)
    score_threshold = numpy.float32(_scalar(score_threshold, "score_threshold", function))
    sigma = _scalar(soft_nms_sigma, "soft_nms_sigma", function)
    if sigma < 0:
        raise errors.InvalidArgumentError(None, None, f"{function}: soft_nms_sigma must be non-negative, got {sigma}")
    if sigma == 0:
        kept = _greedy(boxes, scores, size, threshold, score_threshold)
        return _constant(kept), _constant(scores[kept].astype(numpy.float32))
    kept, kept_scores = _soft(boxes, scores, size, threshold, score_threshold, sigma)
    return _constant(kept), _constant(kept_scores)


def non_max_suppression_padded(
    boxes,
    scores,
    max_output_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_to_max_output_size=False,
    name=None,
    sorted_input=False,
    canonicalized_coordinates=False,
    tile_size=512,
):
    """Non-max suppression with a fixed-size result, for one image or a batch.

    Returns ``(selected_indices, num_valid)``. With ``pad_to_max_output_size=True`` the
    indices have shape ``(..., max_output_size)``, padded with zeros after the
    ``num_valid`` real ones (a batch ``(..., num_boxes, 4)`` needs this); otherwise only the
    valid indices of the one image. ``sorted_input=True`` takes the boxes in the given
    order instead of by score; ``canonicalized_coordinates`` and ``tile_size`` (how
    TensorFlow splits the work) change nothing here.

    Examples
    --------
    >>> import learnet as tf
    >>> boxes = [[[0, 0, 1, 1], [0, 0, 1, 0.9], [2, 2, 3, 3]]]
    >>> indices, valid = tf.image.non_max_suppression_padded(
    ...     boxes, [[0.9, 0.8, 0.7]], 4, pad_to_max_output_size=True)
    >>> indices.numpy(), valid.numpy()
    (array([[0, 2, 0, 0]], dtype=int32), array([2], dtype=int32))
    """
    function = "non_max_suppression_padded"
    boxes, scores = _boxes_and_scores(boxes, scores, function, batched=True)
    if not pad_to_max_output_size and boxes.ndim > 2:
        raise ValueError(
            f"{function}: 'pad_to_max_output_size' (value {pad_to_max_output_size}) must be True for batched input"
        )
    size = _max_output_size(max_output_size, function)
    threshold = _iou_threshold(iou_threshold, function)
    score_threshold = numpy.float32(_scalar(score_threshold, "score_threshold", function))
    batch_shape = boxes.shape[:-2]
    flat_boxes, flat_scores = boxes.reshape(-1, *boxes.shape[-2:]), scores.reshape(-1, scores.shape[-1])
    indices = numpy.zeros((flat_boxes.shape[0], size), dtype=numpy.int32)
    valid = numpy.zeros(flat_boxes.shape[0], dtype=numpy.int32)
    for row, (image_boxes, image_scores) in enumerate(zip(flat_boxes, flat_scores)):
        # In the given order with sorted_input: the ranks are the positions.
        ranking = -numpy.arange(len(image_scores), dtype=numpy.float32) if sorted_input else image_scores
        keep_scores = image_scores > score_threshold
        kept = _greedy(image_boxes, numpy.where(keep_scores, ranking, -numpy.inf), size, threshold, -numpy.inf)
        indices[row, : len(kept)] = kept
        valid[row] = len(kept)
    if not pad_to_max_output_size:
        return _constant(indices[0, : valid[0]]), _constant(valid.reshape(batch_shape))
    return _constant(indices.reshape(*batch_shape, size)), _constant(valid.reshape(batch_shape))


def combined_non_max_suppression(
    boxes,
    scores,
    max_output_size_per_class,
    max_total_size,
    iou_threshold=0.5,
    score_threshold=float("-inf"),
    pad_per_class=False,
    clip_boxes=True,
    name=None,
):
    """Greedy non-max suppression per class, then the best ``max_total_size`` boxes over all classes.

    The detection head's last step (as in the object-detection tutorials): each class keeps
    at most ``max_output_size_per_class`` boxes, and each image its best ``max_total_size``
    over all classes.

    Parameters
    ----------
    boxes : array_like ``(batch, num_boxes, q, 4)``
        ``q`` is 1 (one box for all classes) or ``num_classes`` (one per class).
    scores : array_like ``(batch, num_boxes, num_classes)``
    max_output_size_per_class, max_total_size : int
    iou_threshold, score_threshold : float
    pad_per_class : bool, default False
        Pad the results to ``min(max_output_size_per_class * num_classes, max_total_size)``
        instead of ``max_total_size``.
    clip_boxes : bool, default True
        Clip the returned boxes' coordinates to [0, 1].

    Returns
    -------
    A ``CombinedNonMaxSuppression`` named tuple: ``nmsed_boxes`` ``(batch, max_detections, 4)``,
    ``nmsed_scores`` and ``nmsed_classes`` (float32) ``(batch, max_detections)``, and
    ``valid_detections`` (int32) ``(batch,)``; zeros after the valid entries.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> boxes = np.array([[[[0, 0, 0.5, 0.5]], [[0, 0, 0.5, 0.45]], [[0.5, 0.5, 1, 1]]]])
    >>> scores = np.array([[[0.9, 0.1], [0.8, 0.7], [0.2, 0.6]]])
    >>> result = tf.image.combined_non_max_suppression(boxes, scores, 2, 3)
    >>> result.nmsed_classes.numpy(), result.valid_detections.numpy()
    (array([[0., 1., 1.]], dtype=float32), array([3], dtype=int32))
    """
    function = "combined_non_max_suppression"
    boxes, scores = _array(boxes, numpy.float32), _array(scores, numpy.float32)
    if boxes.ndim != 4 or boxes.shape[-1] != 4:
        raise ValueError(f"{function}: boxes must have shape (batch, num_boxes, q, 4), got {boxes.shape}")
    if scores.ndim != 3 or scores.shape[:2] != boxes.shape[:2]:
        raise ValueError(
            f"{function}: scores must have shape (batch, num_boxes, num_classes) = {boxes.shape[:2]} + (classes,), "
            f"got {scores.shape}"
        )
    classes = scores.shape[2]
    if boxes.shape[2] not in (1, classes):
        raise ValueError(f"{function}: boxes' third axis q must be 1 or num_classes={classes}, got {boxes.shape[2]}")
    per_class = _max_output_size(max_output_size_per_class, function, "max_output_size_per_class")
    total = _max_output_size(max_total_size, function, "max_total_size")
    if total == 0:
        raise errors.InvalidArgumentError(None, None, f"{function}: max_total_size must be > 0")
    threshold = _iou_threshold(iou_threshold, function)
    score_threshold = numpy.float32(_scalar(score_threshold, "score_threshold", function))
    detections = min(total, per_class * classes) if pad_per_class else total

    batch = boxes.shape[0]
    out_boxes = numpy.zeros((batch, detections, 4), numpy.float32)
    out_scores = numpy.zeros((batch, detections), numpy.float32)
    out_classes = numpy.zeros((batch, detections), numpy.float32)
    valid = numpy.zeros(batch, numpy.int32)
    for image in range(batch):
        found_boxes, found_scores, found_classes = [], [], []
        for label in range(classes):
            class_boxes = boxes[image, :, label if boxes.shape[2] > 1 else 0]
            class_scores = scores[image, :, label]
            kept = _greedy(class_boxes, class_scores, per_class, threshold, score_threshold)
            found_boxes.append(class_boxes[kept])
            found_scores.append(class_scores[kept])
            found_classes.append(numpy.full(len(kept), label, numpy.float32))
        every_score = numpy.concatenate(found_scores)
        best = numpy.argsort(-every_score, kind="stable")[:detections]
        count = len(best)
        out_boxes[image, :count] = numpy.concatenate(found_boxes)[best]
        out_scores[image, :count] = every_score[best]
        out_classes[image, :count] = numpy.concatenate(found_classes)[best]
        valid[image] = count
    if clip_boxes:
        out_boxes = numpy.clip(out_boxes, 0.0, 1.0)
    return CombinedNonMaxSuppression(
        _constant(out_boxes), _constant(out_scores), _constant(out_classes), _constant(valid)
    )


class CombinedNonMaxSuppression(tuple):
    """The four results of :func:`combined_non_max_suppression`, by position or by name."""

    __slots__ = ()

    def __new__(cls, nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections):
        return super().__new__(cls, (nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections))

    nmsed_boxes = property(lambda self: self[0])
    nmsed_scores = property(lambda self: self[1])
    nmsed_classes = property(lambda self: self[2])
    valid_detections = property(lambda self: self[3])

    def __repr__(self):
        names = ("nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections")
        return "CombinedNonMaxSuppression(" + ", ".join(f"{n}={v!r}" for n, v in zip(names, self)) + ")"


# --- drawing ----------------------------------------------------------------------------------------------
# The colours TensorFlow cycles through when none are given (RGBA).
_DEFAULT_COLORS = numpy.array(
    [
        [1, 1, 0, 1],
        [0, 0, 1, 1],
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [0.5, 0, 0.5, 1],
        [0.5, 0.5, 0, 1],
        [0.5, 0, 0, 1],
        [0, 0, 0.5, 1],
        [0, 1, 1, 1],
        [1, 0, 1, 1],
    ],
    dtype=numpy.float32,
)


def draw_bounding_boxes(images, boxes, colors=None, name=None):
    """The images with the outline (one pixel wide) of each box drawn on them.

    Box ``j`` of image ``i`` is ``boxes[i, j] = [y_min, x_min, y_max, x_max]`` in normalised
    coordinates (0 the first pixel, 1 the last); its colour is ``colors[j % len(colors)]``
    (a list of RGBA colours; TensorFlow's ten by default). Boxes partly outside the image
    are drawn where they are inside; inverted boxes are not drawn. Later boxes draw over
    earlier ones. No gradient.

    Parameters
    ----------
    images : array_like ``(batch, height, width, depth)``, floats, ``depth`` in 1..4
    boxes : array_like ``(batch, num_boxes, 4)``
    colors : array_like ``(num_colors, >= depth)``, optional

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> canvas = np.zeros((1, 4, 5, 1), np.float32)
    >>> tf.image.draw_bounding_boxes(canvas, [[[0.0, 0.0, 1.0, 0.5]]], [[1.0]])[0, :, :, 0].numpy()
    array([[1., 1., 1., 0., 0.],
           [1., 0., 1., 0., 0.],
           [1., 0., 1., 0., 0.],
           [1., 1., 1., 0., 0.]], dtype=float32)
    """
    function = "draw_bounding_boxes"
    images = images if isinstance(images, Tensor) else convert_to_tensor(images)
    canvas = images.numpy().copy()
    if canvas.ndim != 4:
        raise ValueError(f"{function} expects images (batch, height, width, depth), got shape {canvas.shape}")
    if canvas.dtype.kind != "f":
        raise TypeError(f"{function} expects float images, got dtype {canvas.dtype}")
    batch, height, width, depth = canvas.shape
    if not 1 <= depth <= 4:
        raise errors.InvalidArgumentError(None, None, f"{function}: images must have 1 to 4 channels, got {depth}")
    boxes = _array(boxes, numpy.float32)
    if boxes.ndim != 3 or boxes.shape[0] != batch or boxes.shape[2] != 4:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: boxes must have shape ({batch}, num_boxes, 4), got {boxes.shape}"
        )
    table = _DEFAULT_COLORS if colors is None else _array(colors, numpy.float32)
    if table.size == 0:
        table = _DEFAULT_COLORS
    if table.ndim != 2 or table.shape[1] < depth:
        raise errors.InvalidArgumentError(
            None, None, f"{function}: colors must have shape (num_colors, >= {depth}), got {table.shape}"
        )
    # Truncated toward zero, as a C cast of the float does.
    rows = numpy.trunc(boxes[..., 0::2] * (height - 1)).astype(numpy.int64)  # (batch, num_boxes, [min, max])
    columns = numpy.trunc(boxes[..., 1::2] * (width - 1)).astype(numpy.int64)
    for image in range(batch):
        for j in range(boxes.shape[1]):  # in order: a later box draws over an earlier one
            top, bottom = rows[image, j]
            left, right = columns[image, j]
            if top > bottom or left > right or top >= height or bottom < 0 or left >= width or right < 0:
                continue  # inverted, or outside the image
            color = table[j % len(table), :depth]
            row_span = slice(max(top, 0), min(bottom, height - 1) + 1)
            column_span = slice(max(left, 0), min(right, width - 1) + 1)
            if top >= 0:
                canvas[image, top, column_span] = color
            if bottom < height:
                canvas[image, bottom, column_span] = color
            if left >= 0:
                canvas[image, row_span, left] = color
            if right < width:
                canvas[image, row_span, right] = color
    return convert_to_tensor(canvas)


# --- random crops that keep the objects -------------------------------------------------------------------
def _random_crop_box(height, width, aspect_ratio, low_area, high_area, draw_int):
    """One crop ``(top, left, crop_height, crop_width)`` of the given aspect ratio and area range, or None."""
    min_area, max_area = low_area * width * height, high_area * width * height
    crop_height = int(numpy.rint(numpy.sqrt(min_area / aspect_ratio)))
    max_height = int(numpy.rint(numpy.sqrt(max_area / aspect_ratio)))
    if numpy.rint(max_height * aspect_ratio) > width:
        # The tallest crop whose rounded width still fits.
        max_height = int((width + 0.5 - 1e-7) / aspect_ratio)
        if numpy.rint(max_height * aspect_ratio) > width:
            max_height -= 1
    max_height = min(max_height, height)
    crop_height = min(crop_height, max_height)
    if crop_height < max_height:
        crop_height += draw_int(max_height - crop_height + 1)
    crop_width = int(numpy.rint(crop_height * aspect_ratio))
    area = crop_width * crop_height
    if area < min_area:  # rounding fell short: one row more
        crop_height += 1
        crop_width = int(numpy.rint(crop_height * aspect_ratio))
        area = crop_width * crop_height
    if area > max_area:  # or over: one row less
        crop_height -= 1
        crop_width = int(numpy.rint(crop_height * aspect_ratio))
        area = crop_width * crop_height
    if not (min_area <= area <= max_area and 0 < crop_width <= width and 0 < crop_height <= height):
        return None
    top = draw_int(height - crop_height) if crop_height < height else 0
    left = draw_int(width - crop_width) if crop_width < width else 0
    return top, left, crop_height, crop_width


def _covers(crop, objects, min_object_covered):
    """Whether the crop holds at least ``min_object_covered`` of one object (and 10 pixels or more)."""
    top, left, crop_height, crop_width = crop
    if crop_height * crop_width < 10:
        return False
    object_areas = (objects[:, 2] - objects[:, 0]) * (objects[:, 3] - objects[:, 1])
    overlap_rows = numpy.minimum(objects[:, 2], top + crop_height) - numpy.maximum(objects[:, 0], top)
    overlap_columns = numpy.minimum(objects[:, 3], left + crop_width) - numpy.maximum(objects[:, 1], left)
    overlap = numpy.maximum(overlap_rows, 0) * numpy.maximum(overlap_columns, 0)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        covered = overlap / object_areas
    return bool(numpy.any((object_areas > 0) & (covered >= min_object_covered)))


def _sample_distorted(
    function,
    draw,
    image_size,
    bounding_boxes,
    min_object_covered,
    aspect_ratio_range,
    area_range,
    max_attempts,
    use_image_if_no_bounding_boxes,
):
    size = _array(image_size)
    if size.shape != (3,) or size.dtype.kind not in "iu" or size[:2].min() < 1:
        raise ValueError(f"{function}: image_size must be [height, width, channels] ints, got {image_size!r}")
    height, width = int(size[0]), int(size[1])
    boxes = _array(bounding_boxes, numpy.float32)
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise ValueError(f"{function}: bounding_boxes must have shape (batch, num_boxes, 4), got {boxes.shape}")
    boxes = boxes.reshape(-1, 4)
    if not boxes.size:
        if not use_image_if_no_bounding_boxes:
            raise errors.InvalidArgumentError(
                None, None, f"{function}: no bounding boxes given; pass use_image_if_no_bounding_boxes=True"
            )
        boxes = numpy.array([[0, 0, 1, 1]], numpy.float32)
    if boxes.min() < 0 or boxes.max() > 1:
        raise errors.InvalidArgumentError(None, None, f"{function}: bounding_boxes must lie within [0, 1]")
    low_ratio, high_ratio = (float(v) for v in (aspect_ratio_range or (0.75, 1.33)))
    low_area, high_area = (float(v) for v in (area_range or (0.05, 1.0)))
    if not 0 < low_ratio <= high_ratio:
        raise ValueError(
            f"{function}: aspect_ratio_range must be two positive numbers, low first, got {aspect_ratio_range}"
        )
    if not 0 < low_area <= high_area <= 1:
        raise ValueError(f"{function}: area_range must be two numbers in (0, 1], low first, got {area_range}")
    attempts = 100 if max_attempts is None else int(max_attempts)
    if attempts < 1:
        raise ValueError(f"{function}: max_attempts must be positive, got {max_attempts}")
    objects = (boxes * numpy.array([height, width, height, width], numpy.float32)).astype(numpy.int64)

    draws = iter(draw(4 * attempts))  # uniform floats in [0, 1), four per attempt at most
    crop = None
    for _ in range(attempts):
        ratio = low_ratio + next(draws) * (high_ratio - low_ratio)
        found = _random_crop_box(height, width, ratio, low_area, high_area, lambda n: int(next(draws) * n))
        if found is not None and _covers(found, objects, float(min_object_covered)):
            crop = found
            break
    top, left, crop_height, crop_width = crop or (0, 0, height, width)
    begin = numpy.array([top, left, 0], dtype=size.dtype)
    shape = numpy.array([crop_height, crop_width, -1], dtype=size.dtype)
    box = numpy.array(
        [[[top / height, left / width, (top + crop_height) / height, (left + crop_width) / width]]], numpy.float32
    )
    return _constant(begin), _constant(shape), _constant(box)


def sample_distorted_bounding_box(
    image_size,
    bounding_boxes,
    seed=0,
    min_object_covered=0.1,
    aspect_ratio_range=None,
    area_range=None,
    max_attempts=None,
    use_image_if_no_bounding_boxes=None,
    name=None,
):
    """A random crop of an image that keeps enough of at least one object (Inception's augmentation).

    Up to ``max_attempts`` (100) crops are drawn, each with an aspect ratio from
    ``aspect_ratio_range`` (0.75 to 1.33) and an area from ``area_range`` (5 % to 100 %) of
    the image; the first one that covers at least ``min_object_covered`` of one of the
    ``bounding_boxes`` is returned (the whole image if none does). The draws are learnet's
    own: the same seed gives the same crop here, not TensorFlow's.

    Parameters
    ----------
    image_size : [height, width, channels] ints
    bounding_boxes : array_like ``(batch, num_boxes, 4)`` in [0, 1]
    seed : int, default 0 (unseeded)

    Returns
    -------
    begin, size : Tensors ``[top, left, 0]`` and ``[height, width, -1]`` for ``tf.slice``
    bboxes : Tensor ``(1, 1, 4)`` the crop as a normalised box (for ``draw_bounding_boxes``)

    Examples
    --------
    >>> import learnet as tf
    >>> begin, size, box = tf.image.sample_distorted_bounding_box(
    ...     [40, 60, 3], [[[0.2, 0.2, 0.8, 0.8]]], seed=1, min_object_covered=0.5)
    >>> image = tf.zeros((40, 60, 3))
    >>> crop = tf.slice(image, begin, size)
    >>> crop.shape[-1]
    3
    """
    function = "sample_distorted_bounding_box"
    seed = None if not seed else int(seed)

    def draw(count):
        return _random.uniform((count,), seed=seed).numpy().astype(numpy.float64)

    return _sample_distorted(
        function,
        draw,
        image_size,
        bounding_boxes,
        min_object_covered,
        aspect_ratio_range,
        area_range,
        max_attempts,
        use_image_if_no_bounding_boxes,
    )


def stateless_sample_distorted_bounding_box(
    image_size,
    bounding_boxes,
    seed,
    min_object_covered=0.1,
    aspect_ratio_range=None,
    area_range=None,
    max_attempts=None,
    use_image_if_no_bounding_boxes=None,
    name=None,
):
    """:func:`sample_distorted_bounding_box` drawn from ``seed`` (shape [2]): the same seed, the same crop.

    Examples
    --------
    >>> import learnet as tf
    >>> a = tf.image.stateless_sample_distorted_bounding_box([32, 32, 3], [[[0.1, 0.1, 0.9, 0.9]]], seed=(1, 2))
    >>> b = tf.image.stateless_sample_distorted_bounding_box([32, 32, 3], [[[0.1, 0.1, 0.9, 0.9]]], seed=(1, 2))
    >>> a[0].numpy().tolist() == b[0].numpy().tolist()
    True
    """
    function = "stateless_sample_distorted_bounding_box"

    def draw(count):
        generator = _stateless.stateless_generator(seed, "auto_select", function)
        return numpy.asarray(_stateless.uniform_sampler((count,), 0.0, 1.0, "float64", function)(generator))

    return _sample_distorted(
        function,
        draw,
        image_size,
        bounding_boxes,
        min_object_covered,
        aspect_ratio_range,
        area_range,
        max_attempts,
        use_image_if_no_bounding_boxes,
    )
