"""No runar import at all: `runar examples/zero_change.py` still records the run.

The runner captures stdout and reads conservative `key=value` pairs such as
`epoch 3: loss=0.45 acc=0.81` as metrics. Pure Python: a one-feature logistic
regression fitted by gradient descent.
"""

from __future__ import annotations

import math
import random
import sys

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
LR = 0.5


def main() -> None:
    rng = random.Random(0)
    xs = [rng.gauss(0, 1) for _ in range(500)]
    ys = [1.0 if x + rng.gauss(0, 0.7) > 0.3 else 0.0 for x in xs]
    w = b = 0.0
    for epoch in range(EPOCHS):
        grad_w = grad_b = loss = correct = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = 1 / (1 + math.exp(-(w * x + b)))
            loss -= y * math.log(p + 1e-9) + (1 - y) * math.log(1 - p + 1e-9)
            correct += (p > 0.5) == (y == 1.0)
            grad_w += (p - y) * x
            grad_b += p - y
        w -= LR * grad_w / len(xs)
        b -= LR * grad_b / len(xs)
        print(f"epoch {epoch}: loss={loss / len(xs):.4f} acc={correct / len(xs):.3f}", flush=True)


if __name__ == "__main__":
    main()
