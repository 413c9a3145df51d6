"""Model attributes Keras 3 code sets and reads."""

import numpy as np

import learnet as keras


def test_a_subclass_may_set_its_own_loss_and_compile_sets_it_back():
    class Denoiser(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.loss = keras.losses.MeanAbsoluteError()  # the textbook's diffusion model does this

        def call(self, x):
            return self.dense(x)

    model = Denoiser()
    assert isinstance(model.loss, keras.losses.MeanAbsoluteError)
    assert float(model.loss(np.zeros((2, 1)), np.ones((2, 1)))) == 1.0
    model.compile("adam")  # the textbook's diffusion model: its own loss stays
    assert isinstance(model.loss, keras.losses.MeanAbsoluteError)
    model.compile("adam", loss="mse")
    assert model.loss == "mse"  # as Keras 3: compile sets `loss` to its argument


class _Trainer(keras.Model):
    """A model with no call(): its own train_step and test_step drive a layer (keras.io's Shift-ViT)."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def _step(self, data, train):
        x, y = data
        with keras.GradientTape() as tape:
            logits = self.dense(x)
            loss = self.compute_loss(x, y, logits)
        if train:
            weights = self.dense.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        return self._step(data, True)

    def test_step(self, data):
        return self._step(data, False)


def test_a_model_without_call_finds_its_compiled_metrics_in_a_custom_train_step():
    x = np.random.default_rng(0).random((8, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    for data in [dict(x=x, y=y, batch_size=4), dict(x=keras.data.Dataset.from_tensor_slices((x, y)).batch(4))]:
        model = _Trainer()
        model.compile(
            "adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )
        validation = (x, y) if "y" in data else data["x"]
        history = model.fit(**data, epochs=1, verbose=0, validation_data=validation)
        assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        loss, accuracy = model.evaluate(**data, verbose=0)
        assert 0.0 <= accuracy <= 1.0 and loss > 0


def test_an_integer_counter_on_a_model_is_state_not_a_trained_weight():
    """keras.io's AdaMatch keeps ``self.current_step = tf.Variable(0, dtype="int64")`` on its trainer."""

    class Trainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model
            self.current_step = keras.Variable(0, dtype="int64")

        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                loss = keras.ops.mean(keras.ops.square(self.model(x) - y))
            weights = self.model.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
            self.current_step.assign_add(1)
            return {"loss": loss}

    trainer = Trainer(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    assert [v.shape for v in trainer.trainable_variables] == [(3, 1), (1,)]
    assert any(v is trainer.current_step for v in trainer.non_trainable_variables)
    trainer.compile(optimizer=keras.optimizers.Adam())
    trainer.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, epochs=1, verbose=0)
    assert int(trainer.current_step.numpy()) == 2
