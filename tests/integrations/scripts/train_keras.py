"""Train a small Keras classifier on the torch backend, as the Keras guides do.

``History.history`` (Keras's own per-epoch record) and the optimizer's config go to
$TRUTH_FILE for the test to compare with what runar recorded.
"""

import argparse
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np

from runar.integrations.keras import RunarCallback


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--name", default=None)
    opts = parser.parse_args()

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    batches = []

    class BatchLogs(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append({k: float(v) for k, v in logs.items()})

    history = model.fit(
        x,
        y,
        epochs=opts.epochs,
        batch_size=16,
        validation_split=0.25,
        verbose=2,
        callbacks=[RunarCallback(name=opts.name, log_every_n_batches=2), BatchLogs()],
    )
    with open(os.environ["TRUTH_FILE"], "w") as f:
        json.dump(
            {
                "history": history.history,
                "batches": batches,
                "optimizer": model.optimizer.get_config(),
            },
            f,
        )


if __name__ == "__main__":
    main()
