"""Linear regression in torch, the way tutorials write it: SGD on minibatches, a print per
step. A too-large --lr makes it diverge to inf, then NaN."""

import argparse

import torch

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=120)
p.add_argument("--lr", type=float, default=0.01)
args = p.parse_args()
torch.manual_seed(0)
X = torch.randn(256, 8)
w_true = torch.randn(8, 1)
y = X @ w_true + 0.1 * torch.randn(256, 1)
w = torch.zeros(8, 1, requires_grad=True)
opt = torch.optim.SGD([w], lr=args.lr)
for step in range(args.steps):
    idx = torch.randint(0, 256, (32,))
    loss = ((X[idx] @ w - y[idx]) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} | loss {loss.item():.5f}", flush=True)
