"""``keras.utils.Progbar``: the progress bar custom training loops drive by hand.

It is drawn by the same tqdm bar as the one ``fit`` shows (:mod:`learnet.callbacks.progress_bar`);
what it adds is Keras' interface: ``update(current, values)`` and ``add(n, values)`` with
``values`` given as ``(name, value)`` pairs, averaged over the steps seen unless they are
``stateful_metrics``.
"""

import numpy as np

from learnet.callbacks import progress_bar


class Progbar(progress_bar.Progbar):
    """A progress bar over ``target`` steps with Keras' ``update`` / ``add`` (``keras.utils.Progbar``).

    Parameters
    ----------
    target : int or None
        Number of steps expected (None when unknown).
    width : int, default 20
        Width of the bar in characters.
    verbose : {0, 1, 2}, default 1
        0 prints nothing, 1 a live bar and a final line, 2 only the final line.
    interval : float, default 0.05
        Least time in seconds between two redraws.
    stateful_metrics : iterable of str, optional
        Names whose values are shown as given; the others are averaged over the steps.
    stateless_metrics : iterable of str, optional
        The opposite list: only these names are averaged (give one of the two lists).
    unit_name : str, default "step"
        What a step is called in the final line (``"sample"``, ``"batch"``...).

    Examples
    --------
    >>> bar = Progbar(4, verbose=2)
    >>> for step in range(4):
    ...     bar.add(1, values=[("loss", 1.0 / (step + 1))])      # doctest: +ELLIPSIS
    4/4 - ...s - ...s/step - loss: 0.2500
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give stateful_metrics or stateless_metrics, not both")
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise ValueError(f"Progbar: width must be a positive integer, got {width!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: verbose must be 0, 1 or 2, got {verbose!r}")
        super().__init__(target, verbose=verbose, interval=interval)
        self.width = int(width)
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ()) if stateless_metrics is None else None
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._values = {}  # name -> [sum of value * steps, steps], in the order first seen
        self._seen_so_far = 0
        if self._bar is not None:
            self._bar.bar_format = self._bar.bar_format.replace("{bar:30}", f"{{bar:{self.width}}}")
            self._bar.refresh()  # tqdm drew the empty bar already, at the base class's width

    def _averaged(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current`` and record ``values`` for the steps since the last update.

        Parameters
        ----------
        current : int
            Index of the current step (the number of steps done).
        values : list of (str, number), optional
            The value of each metric for the last step(s).
        finalize : bool, optional
            Whether this is the last update; by default ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            value = float(np.mean(value))
            if self._averaged(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, (0.0, 0))
                self._values[name] = [total + value * steps, count + steps]
            else:
                # Keras shows the value of the final update as it is, averaged or not.
                self._values[name] = [value, 1]
        self._seen_so_far = current
        logs = {name: total / max(count, 1) for name, (total, count) in self._values.items()}
        if finalize:
            self._seen = current
            self.finish(logs)
        else:
            super().update(current, logs)

    def add(self, n, values=None):
        """Move the bar ``n`` steps forward (``update(current + n, values)``)."""
        self.update(self._seen_so_far + n, values)

    def _final_line(self, logs):
        line = super()._final_line(logs).replace("/step", f"/{self.unit_name}")
        if self.verbose == 1:
            # The base class draws 30 characters; Keras' width is the user's.
            start, end = line.index("[") + 1, line.index("]")
            target = self.target if self.target is not None else self._seen
            done = int(self.width * self._seen / target) if target else self.width
            done = min(done, self.width)
            bar = "=" * done + "." * (self.width - done)
            if 0 < done < self.width:
                bar = bar[: done - 1] + ">" + bar[done:]
            line = line[:start] + bar + line[end:]
        return line
