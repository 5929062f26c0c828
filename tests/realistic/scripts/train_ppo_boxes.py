"""A PPO loop that prints its logs the way stable-baselines3's HumanOutputFormat does (the
boxed table of verbose=1, 2.x), with the banner lines before it. Writes what it printed to
TRUTH_FILE as {key: [[step, value], ...]}."""

import json
import math
import os
import sys


def box(values: dict[str, float | int]) -> str:
    """SB3's HumanOutputFormat.write: sorted keys, a row per section, values as {:<8.3g}."""
    rows: dict[tuple[str, str], str] = {}
    tag = ""
    for key, value in sorted(values.items()):
        text = f"{value:<8.3g}" if isinstance(value, float) else str(value)
        if key.find("/") > 0:
            tag = key[: key.find("/") + 1]
            rows[(tag, tag)] = ""
        if tag and tag in key:
            key = "   " + key[len(tag) :]
        rows[(tag, key)] = text
    key_width = max(len(key) for _, key in rows)
    value_width = max(len(text) for text in rows.values())
    dashes = "-" * (key_width + value_width + 7)
    lines = [dashes]
    for (_, key), text in rows.items():
        lines.append(
            f"| {key}{' ' * (key_width - len(key))} | {text}{' ' * (value_width - len(text))} |"
        )
    lines.append(dashes)
    return "\n".join(lines)


print("Using cpu device")
print("Creating environment from the given name 'CartPole-v1'")
print("Wrapping the env with a `Monitor` wrapper")
print("Wrapping the env in a DummyVecEnv.")
truth: dict[str, list[list[float]]] = {}
n_steps = 256
for iteration in range(1, 4):
    timesteps = iteration * n_steps
    values: dict[str, float | int] = {
        "rollout/ep_len_mean": 18.2 + 4.1 * iteration,
        "rollout/ep_rew_mean": 18.2 + 4.1 * iteration,
        "time/fps": 900 - 10 * iteration,
        "time/iterations": iteration,
        "time/time_elapsed": iteration,
        "time/total_timesteps": timesteps,
    }
    if iteration > 1:
        values["train/value_loss"] = 64.4 * math.exp(-iteration)
        values["train/approx_kl"] = 0.00013005943 * iteration
        values["train/entropy_loss"] = -0.693 + 0.01 * iteration
    print(box(values), flush=True)
    for key, value in values.items():
        if key != "time/total_timesteps":
            shown = float(f"{value:<8.3g}") if isinstance(value, float) else float(value)
            truth.setdefault(key, []).append([timesteps, shown])
print("Saving model to ppo_cartpole.zip", file=sys.stderr)
with open(os.environ["TRUTH_FILE"], "w") as f:
    json.dump(truth, f)
