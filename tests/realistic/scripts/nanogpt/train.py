"""nanoGPT's train.py skeleton: module-level config, exec(open('configurator.py').read()),
and its iter/step prints; the model is a deterministic stand-in loss that falls faster for
a larger learning rate."""

import math
import time

# -----------------------------------------------------------------------------
# default config values designed to train a gpt2 (124M) on OpenWebText
out_dir = 'out'
eval_interval = 25
log_interval = 1
batch_size = 12
learning_rate = 6e-4  # max learning rate
max_iters = 150  # total number of training iterations
seed = 1337
# -----------------------------------------------------------------------------
config_keys = [k for k,v in globals().items() if not k.startswith('_') and isinstance(v, (int, float, bool, str))]
exec(open('configurator.py').read())  # overrides from command line or config file
config = {k: globals()[k] for k in config_keys}  # will be useful for logging
# -----------------------------------------------------------------------------

iter_num = 0
t0 = time.time()
while True:
    lossf = 4.2 * math.exp(-learning_rate * 100 * iter_num) + 0.5 + 1e-4 * seed
    if iter_num % eval_interval == 0:
        print(f"step {iter_num}: train loss {lossf:.4f}, val loss {lossf + 0.1:.4f}")
    t1 = time.time()
    dt = t1 - t0
    t0 = t1
    if iter_num % log_interval == 0:
        print(f"iter {iter_num}: loss {lossf:.4f}, time {dt*1000:.2f}ms, mfu {-100.0:.2f}%")
    iter_num += 1
    time.sleep(0.02)
    if iter_num > max_iters:
        break
