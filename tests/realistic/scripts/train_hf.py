"""A fine-tuning script shaped like the HuggingFace Trainer examples: argparse with
underscored options, a tqdm bar on stderr, and the logs printed as dicts through
tqdm.write the way transformers' ProgressCallback.on_log does."""

import argparse
import json
import math
import os

from tqdm.auto import tqdm


def parse_args():
    parser = argparse.ArgumentParser(
        description="Finetune a transformers model on a text classification task"
    )
    parser.add_argument("--model_name_or_path", type=str, required=True)
    parser.add_argument("--learning_rate", type=float, default=5e-5)
    parser.add_argument("--num_train_epochs", type=int, default=3)
    parser.add_argument("--per_device_train_batch_size", type=int, default=8)
    parser.add_argument("--logging_steps", type=int, default=500)
    parser.add_argument("--do_eval", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def main():
    args = parse_args()
    print(args)
    steps_per_epoch = 4
    total = steps_per_epoch * args.num_train_epochs
    truth = {"loss": [], "eval_loss": [], "learning_rate": []}
    logged = 0
    bar = tqdm(total=total)
    for step in range(1, total + 1):
        bar.update(1)
        epoch = step / steps_per_epoch
        if step % args.logging_steps == 0:
            loss = round(2.5 * math.exp(-args.learning_rate * 1e4 * step / total), 4)
            lr = args.learning_rate * (1 - step / total)
            logs = {"loss": loss, "grad_norm": 1.25, "learning_rate": lr, "epoch": round(epoch, 2)}
            bar.write(str(logs))
            logged += 1
            truth["loss"].append([logged, loss])
            truth["learning_rate"].append([logged, lr])
        if args.do_eval and step % steps_per_epoch == 0:
            eval_loss = round(2.0 * math.exp(-args.learning_rate * 1e4 * step / total), 4)
            metrics = {
                "eval_loss": eval_loss,
                "eval_runtime": 0.51,
                "eval_samples_per_second": 98.2,
                "epoch": epoch,
            }
            bar.write(str(metrics))
            logged += 1
            truth["eval_loss"].append([logged, eval_loss])
    bar.close()
    with open(os.environ["TRUTH_FILE"], "w") as fh:
        json.dump(truth, fh)


if __name__ == "__main__":
    main()
