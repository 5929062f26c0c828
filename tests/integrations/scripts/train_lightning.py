"""Train a one-layer regressor with Lightning, logging to runar and to Lightning's CSVLogger.

The CSV file is Lightning's own account of every ``log_metrics`` call (keys, steps, values);
its path, the hparams and the checkpoint files go to $TRUTH_FILE for the test.
"""

import argparse
import json
import os

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

from runar.integrations.lightning import RunarLogger


class Regressor(L.LightningModule):
    def __init__(self, lr: float = 0.05, hidden_dims: tuple = (4,), optimizer: str = "sgd"):
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y), sync_dist=True)

    def on_train_end(self):
        # every rank writes into the same run through the logger's experiment
        self.logger.experiment.log({f"rank{self.global_rank}_steps": self.trainer.global_step})

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--name", default=None)
    opts = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    data = TensorDataset(x, x.sum(dim=1, keepdim=True))
    runar_logger = RunarLogger(name=opts.name, tags=["lightning"])
    csv_logger = CSVLogger(opts.root, name="csv")
    trainer = L.Trainer(
        max_epochs=2,
        logger=[runar_logger, csv_logger],
        log_every_n_steps=2,
        default_root_dir=opts.root,
        accelerator="cpu",
        devices=opts.devices,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = Regressor()
    trainer.fit(model, DataLoader(data, batch_size=8), DataLoader(data, batch_size=16))
    if trainer.is_global_zero:
        checkpoint = trainer.checkpoint_callback
        with open(os.environ["TRUTH_FILE"], "w") as f:
            json.dump(
                {
                    "metrics_csv": os.path.join(csv_logger.log_dir, "metrics.csv"),
                    "hparams": dict(model.hparams),
                    "best_model_path": checkpoint.best_model_path,
                    "version": runar_logger.version,
                },
                f,
            )


if __name__ == "__main__":
    main()
