"""A word-level language model trainer shaped like pytorch/examples word_language_model:
hyphenated argparse options, `| epoch ... |` table lines, an end-of-epoch summary."""

import argparse
import json
import math
import os
import time

parser = argparse.ArgumentParser(
    description="PyTorch Wikitext-2 RNN/LSTM/GRU/Transformer Language Model"
)
parser.add_argument(
    "--model",
    type=str,
    default="LSTM",
    help="type of network (RNN_TANH, RNN_RELU, LSTM, GRU, Transformer)",
)
parser.add_argument("--lr", type=float, default=20, help="initial learning rate")
parser.add_argument("--epochs", type=int, default=40, help="upper epoch limit")
parser.add_argument("--batch_size", type=int, default=20, metavar="N", help="batch size")
parser.add_argument("--dropout", type=float, default=0.2)
parser.add_argument(
    "--tied", action="store_true", help="tie the word embedding and softmax weights"
)
parser.add_argument("--log-interval", type=int, default=200, metavar="N", help="report interval")
parser.add_argument("--save", type=str, default="model.pt", help="path to save the final model")
args = parser.parse_args()

batches = 10
truth = {"loss": [], "valid_loss": [], "test_loss": []}


def train(epoch, lr):
    start_time = time.time()
    for batch in range(1, batches + 1):
        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = round(7.0 - 0.1 * ((epoch - 1) * batches + batch) * (1 + args.dropout), 2)
            elapsed = time.time() - start_time
            print(
                "| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | "
                "loss {:5.2f} | ppl {:8.2f}".format(
                    epoch,
                    batch,
                    batches,
                    lr,
                    elapsed * 1000 / args.log_interval,
                    cur_loss,
                    math.exp(cur_loss),
                )
            )
            truth["loss"].append([(epoch - 1) * batches + batch, cur_loss])
            start_time = time.time()


lr = args.lr
best_val_loss = None
for epoch in range(1, args.epochs + 1):
    epoch_start_time = time.time()
    train(epoch, lr)
    val_loss = round(6.0 - 0.3 * epoch, 2)
    print("-" * 89)
    print(
        "| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | valid ppl {:8.2f}".format(
            epoch, (time.time() - epoch_start_time), val_loss, math.exp(val_loss)
        )
    )
    print("-" * 89)
    truth["valid_loss"].append([epoch * batches, val_loss])
    if not best_val_loss or val_loss < best_val_loss:
        best_val_loss = val_loss
    else:
        lr /= 4.0

test_loss = round(best_val_loss - 0.1, 2)
print("=" * 89)
print(
    "| End of training | test loss {:5.2f} | test ppl {:8.2f}".format(
        test_loss, math.exp(test_loss)
    )
)
print("=" * 89)
truth["test_loss"].append([args.epochs * batches, test_loss])  # at the latest step
with open(os.environ["TRUTH_FILE"], "w") as fh:
    json.dump(truth, fh)
