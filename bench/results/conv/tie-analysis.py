#!/usr/bin/env python3
"""
Does the max-pool argmax rule change the conv EP update? (issue 18: why the conv Table 1 row sits
below the authors' runs.)

Our engine pools the PRE-activation and routes the nudge, the beta_i feedback and the update through
its argmax (docs/conv-layout.md "Pooling"). The authors' conv notebook pools rho(x) = clamp(x, 0, 1)
with PyTorch's max_pool2d: where all four units of a window are clamped at 0 (a "dead" window), every
entry ties and the FIRST (top-left) unit is chosen, however far below 0 it is; ours chooses the unit
closest to 0, which a nudge wakes more easily. The free state is the same either way (the pooled
value is rho of the maximum); only which unit the nudged phase moves, and so the update, differs.

This script runs one EP step (free T, nudged K, recomputed nudge, no division by beta_f: the
Table 1 semantics of examples/mnist-conv.json) of the MNIST conv net in float64 under both rules
and compares each rule's hidden-layer updates with each other and with the back-propagated gradient
of the same feed-forward net (beta_i = 0), on trained weights (a bench/reproduce checkpoint) and on a
PyTorch-default initialisation. The conv, its adjoint, its weight gradient and the unpool are the
independent NumPy reference's (test/reference/conv_ep.py).

    python3 bench/results/conv/tie-analysis.py CHECKPOINT.npz [--batches 4] [--out FILE.json]
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "reference"))
from conv_ep import conv, conv_t, conv_wgrad, softmax, unpool  # noqa: E402

sys.path.insert(0, HERE)
from mnist_idx import mnist  # noqa: E402

T, K, BETA_I, BETA_F, POOL = 20, 10, 0.01, 0.1, 2


def windows(z):
    m, c, h, w = z.shape
    oh, ow = h // POOL, w // POOL
    return z[:, :, :oh * POOL, :ow * POOL].reshape(m, c, oh, POOL, ow, POOL).transpose(0, 1, 2, 4, 3, 5).reshape(
        m, c, oh, ow, POOL * POOL)


def pool(z, bias, rule):
    """Pooled pre-activation and argmax. 'pre': argmax of z (ours); 'rho': argmax of clamp(z + b, 0, 1),
    first unit on ties (the authors' max_pool2d over rho). Also the dead-window mask (all four rho = 0)."""
    win = windows(z)
    rho = np.clip(win + bias[None, :, None, None, None], 0, 1)
    am = np.argmax(win if rule == "pre" else rho, axis=-1)
    dead = np.all(rho == 0, axis=-1)
    return np.take_along_axis(win, am[..., None], axis=-1)[..., 0], am, dead


def ep_step(x, y, W, b, rule):
    """Free and nudged phases as conv_ep.py (two conv+pool edges, readout, symmetric beta_i feedback
    into c1, recomputed nudge); returns the hidden updates (ascent direction, batch mean) and the
    dead/woken statistics of the free state."""
    m = x.shape[0]
    hw1 = (24, 24)

    def step(s1, s2, nudge):
        z1, am1, _ = pool(conv(x, W["W0"]), b["W0"], rule)
        z2, am2, _ = pool(conv(s1, W["W1"]), b["W1"], rule)
        h1 = z1 + b["W0"][None, :, None, None]
        h2 = z2 + b["W1"][None, :, None, None]
        h1 = h1 + BETA_I * conv_t(unpool(s2, am2, POOL, (8, 8)), W["W1"], (12, 12))
        if nudge is not None:
            h2 = h2 + nudge
        return np.clip(h1, 0, 1), np.clip(h2, 0, 1)

    def logits(s2):
        return s2.reshape(m, -1) @ W["Wf"].T + b["Wf"]

    s1, s2 = np.zeros((m, 32, 12, 12)), np.zeros((m, 64, 4, 4))
    for _ in range(T):
        s1, s2 = step(s1, s2, None)
    f1, f2 = s1, s2
    n1, n2 = s1, s2
    for _ in range(K):
        err = y - softmax(logits(n2))
        n1, n2 = step(n1, n2, BETA_F * (err @ W["Wf"]).reshape(m, 64, 4, 4))
    _, am1, dead1 = pool(conv(x, W["W0"]), b["W0"], rule)
    _, am2, dead2 = pool(conv(f1, W["W1"]), b["W1"], rule)
    u = {
        "W0": conv_wgrad(x, unpool(n1 - f1, am1, POOL, hw1), 5) / m,
        "W1": conv_wgrad(f1, unpool(n2 - f2, am2, POOL, (8, 8)), 5) / m,
    }
    woken = [float(np.mean((n > 0)[d])) if d.any() else 0.0 for n, d in ((n1, dead1), (n2, dead2))]
    moved = [float(np.mean((n != f)[d])) if d.any() else 0.0 for n, f, d in ((n1, f1, dead1), (n2, f2, dead2))]
    return u, {"dead": [float(dead1.mean()), float(dead2.mean())], "woken": woken, "moved": moved}


def bp_descent(x, y, W, b):
    """−∂(mean cross-entropy)/∂W of the feed-forward net (beta_i = 0), through the argmax of z."""
    m = x.shape[0]
    z1, am1, _ = pool(conv(x, W["W0"]), b["W0"], "pre")
    h1 = z1 + b["W0"][None, :, None, None]
    s1 = np.clip(h1, 0, 1)
    z2, am2, _ = pool(conv(s1, W["W1"]), b["W1"], "pre")
    h2 = z2 + b["W1"][None, :, None, None]
    s2 = np.clip(h2, 0, 1)
    p = softmax(s2.reshape(m, -1) @ W["Wf"].T + b["Wf"])
    d2 = ((p - y) @ W["Wf"]).reshape(m, 64, 4, 4) * ((h2 > 0) & (h2 < 1))
    dz2 = unpool(d2, am2, POOL, (8, 8))
    d1 = conv_t(dz2, W["W1"], (12, 12)) * ((h1 > 0) & (h1 < 1))
    return {"W0": -conv_wgrad(x, unpool(d1, am1, POOL, (24, 24)), 5) / m, "W1": -conv_wgrad(s1, dz2, 5) / m}


def cos(a, b):
    return float(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300))


def weights_from(ckpt):
    z = np.load(ckpt)
    W = {
        "W0": z["W.W0"].astype(np.float64).reshape(32, 1, 5, 5),
        "W1": z["W.W1"].astype(np.float64).reshape(64, 32, 5, 5),
        "Wf": z["W.Wf"].astype(np.float64),
    }
    b = {k: z[f"bias.{k}"].astype(np.float64) for k in ("W0", "W1", "Wf")}
    return W, b


def pytorch_init(rng):
    """U(±1/√fan_in) for weights and biases (nn.Conv2d / nn.Linear defaults; training.init "pytorch")."""
    W, b = {}, {}
    for name, shape, fan_in in (("W0", (32, 1, 5, 5), 25), ("W1", (64, 32, 5, 5), 800), ("Wf", (10, 1024), 1024)):
        bound = 1 / np.sqrt(fan_in)
        W[name] = rng.uniform(-bound, bound, shape)
        b[name] = rng.uniform(-bound, bound, shape[0])
    return W, b


def analyse(W, b, batches):
    rows = []
    for x, y in batches:
        ua, sa = ep_step(x, y, W, b, "pre")
        ub, sb = ep_step(x, y, W, b, "rho")
        g = bp_descent(x, y, W, b)
        rows.append({
            layer: {
                "cos_ours_theirs": cos(ua[layer], ub[layer]),
                "norm_theirs_over_ours": float(np.linalg.norm(ub[layer]) / np.linalg.norm(ua[layer])),
                "cos_ours_bp": cos(ua[layer], g[layer]),
                "cos_theirs_bp": cos(ub[layer], g[layer]),
            }
            for layer in ("W0", "W1")
        } | {"ours": sa, "theirs": sb})
    mean = lambda f: float(np.mean([f(r) for r in rows]))  # noqa: E731
    return {
        layer: {k: mean(lambda r, k=k, layer=layer: r[layer][k]) for k in rows[0][layer]}
        | {f"{k}_per_batch": [r[layer][k] for r in rows] for k in ("cos_ours_theirs", "cos_ours_bp", "cos_theirs_bp")}
        for layer in ("W0", "W1")
    } | {
        side: {k: [mean(lambda r, k=k, i=i, side=side: r[side][k][i]) for i in range(2)] for k in ("dead", "woken", "moved")}
        for side in ("ours", "theirs")
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--out")
    a = ap.parse_args()
    images, labels = mnist("train", np.float64)
    images = images[:, 0]
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(a.batches):
        sel = rng.choice(len(labels), 128, replace=False)
        batches.append((images[sel][:, None], np.eye(10)[labels[sel]]))
    result = {
        "trained": analyse(*weights_from(a.checkpoint), batches),
        "init": analyse(*pytorch_init(np.random.default_rng(1)), batches),
        "checkpoint": os.path.relpath(a.checkpoint, ROOT),
        "batches": a.batches,
    }
    text = json.dumps(result, indent=1)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
