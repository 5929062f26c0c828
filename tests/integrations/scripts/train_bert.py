"""Fine-tune a tiny BERT classifier with the HF Trainer, the way the run_glue examples do.

Random token ids stand in for a tokenized dataset, so nothing is downloaded. The trainer's own
``state.log_history`` goes to $TRUTH_FILE for the test to compare with what runar recorded.
"""

import argparse
import json
import os

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from runar.integrations.transformers import RunarCallback


class RandomTokens(torch.utils.data.Dataset):
    def __init__(self, size, vocab_size, seq_len=8, seed=0):
        generator = torch.Generator().manual_seed(seed)
        self.input_ids = torch.randint(0, vocab_size, (size, seq_len), generator=generator)
        self.labels = torch.randint(0, 2, (size,), generator=generator)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.input_ids[i], "labels": self.labels[i]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--max_steps", type=int, default=6)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--run_name", default=None)
    opts = parser.parse_args()

    config = BertConfig(
        vocab_size=64,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    training_args = TrainingArguments(
        output_dir=opts.output_dir,
        max_steps=opts.max_steps,
        per_device_train_batch_size=4,
        learning_rate=opts.learning_rate,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=3,
        save_steps=3,
        report_to="none",
        use_cpu=True,
        seed=0,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=RandomTokens(32, config.vocab_size),
        eval_dataset=RandomTokens(8, config.vocab_size, seed=1),
        callbacks=[RunarCallback(name=opts.run_name, tags=["bert"])],
    )
    trainer.train()
    with open(os.environ["TRUTH_FILE"], "w") as f:
        json.dump({"log_history": trainer.state.log_history}, f)


if __name__ == "__main__":
    main()
