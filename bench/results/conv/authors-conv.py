#!/usr/bin/env python3
"""
The authors' conv EP training, re-implemented in float32 NumPy from their notebooks' semantics, with their
GPU's TensorFloat-32 convolutions as a switch (issue 18: why our conv rows sit off the authors' curves).

The authors ran both conv notebooks (github.com/Zero0Hero/FRE-RNN-EP at ee93890: `CNN_EP_MNIST.ipynb`, Table 1;
`CNN_MNIST_comBP_c2fc1benchmark.ipynb`, Table 2's AdamW row) on an NVIDIA RTX A5000 (printed in both notebooks),
an Ampere GPU, without touching `torch.backends.cudnn.allow_tf32`. PyTorch's default for that flag is True
(PyTorch "CUDA semantics" notes, "TensorFloat-32 (TF32) on Ampere devices"; docs/references.md), so every cuDNN
convolution of theirs (conv1, conv2, the transposed conv of the beta_i feedback and the weight gradients) read its
operands with a 10-bit mantissa and accumulated in float32. Dense matmuls (the readout, the nudge) default to
float32 from PyTorch 1.12 on and are float32 here.

EP's conv1 learning signal is a small difference between two phases: the nudge changes rho(x2) by about
beta_f * (W_f^T e), and the beta_i feedback carries that change to conv1 through a convolution whose operands TF32
rounds to 2^-11 of their size. So TF32 can quantise conv1's signal; this script measures what that does to the
training curves, paired: the same seed gives the same initial weights and mini-batches with and without TF32.

Semantics, each point from the notebook (the code is not copied; it is re-written from what it does):
  - state per layer: the conv pre-activation map before pooling (x1: 32x24x24, x2: 64x8x8), the readout logits;
    rho = clamp(., 0, 1); pooling: 2x2 max over rho(x), the first unit in row-major order on ties (PyTorch's
    max_pool2d); unpool puts a value back at the argmax.
  - synchronous steps: every layer reads the previous step's states (Jacobi).
  - table2 (benchmark notebook): initial state = the zero-input state (x1 = conv1(0) = b0, then the chain);
    one step: x1' = conv1(x) + beta_i * unpool(conv_t(rho(x2)), argmax1 of the PREVIOUS step);
    x2' = conv2(pool(rho(x1))) + beta_f * unpool((y - softmax(o)) W_f, argmax2 of the PREVIOUS step); o' =
    W_f pool(rho(x2)) + b_f. No division by beta_f (deviden=False). AdamW(lr 2e-4, wd 1e-6) on all parameters.
  - table1 (CNN_EP_MNIST): initial state x1 = rho(b0), x2 = rho(conv2(pool(x1))); the argmaxes are the CURRENT
    step's, but the logits are a state updated with the others, so the nudge's error comes from logits one step
    older than the x2 it nudges; the feedback is a ConvTranspose2d whose weight is conv2's copied every batch and
    whose bias keeps its PyTorch-default random init (never trained: it is not in the optimiser); SGD lrs 0.15 /
    0.35 / 0.9 with L2 weight decay 1e-5 in the gradient, beta_f 0.1. The Net's table1 switches (error_lag,
    feedback, winner, argmax_key, the deconv bias) turn each departure from our model off, for
    semantics-compare.py.
  - updates (both): readout (softmax(o) - y) pool(rho(x2))^T / m from the free state; conv2 and conv1: the weight
    gradient of (rho(x_free) - rho(x_nudged)) / m against the free input of the layer (p1 for conv2, the image for
    conv1); biases the sums of the same deltas.
  - data: MNIST / 255 (ToTensor), mini-batches of 128 drawn once (DataLoader shuffle iterated once) and only their
    order shuffled every epoch; test on the 10k test set after every epoch, T free steps from the initial state.
  - initialisation: PyTorch's defaults, U(+-1/sqrt(fan_in)) for weights and biases.

    python3 bench/results/conv/authors-conv.py --row table2 [--tf32 trunc] [--lag none] --seed 0 --epochs 3 --out FILE.json
    python3 bench/results/conv/authors-conv.py --row table1 --analyse CHECKPOINT.npz --batches 4 --out FILE.json

Writes FILE.json after every epoch (atomically): settings and per-epoch test accuracy.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_idx import mnist  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
F32 = np.float32
MODE = "off"  # TF32 operand rounding of every convolution: off | trunc | rne


def tf32(a):
    """Round a float32 array to TF32's 10-bit mantissa: 'trunc' keeps the top 10 bits (what the PyTorch notes
    describe: "only the first 10 bits of the input mantissa are read"), 'rne' rounds to nearest (half away)."""
    if MODE == "off":
        return a
    u = np.ascontiguousarray(a, dtype=F32).view(np.uint32)
    if MODE == "rne":
        u = u + np.uint32(0x1000)
    return (u & np.uint32(0xFFFFE000)).view(F32)


def im2col(x, k):
    b, c, h, w = x.shape
    v = sliding_window_view(x, (k, k), axis=(2, 3))  # b c oh ow k k
    return np.ascontiguousarray(v.transpose(0, 2, 3, 1, 4, 5)).reshape(b * (h - k + 1) * (w - k + 1), c * k * k)


def conv(x, w):
    """Valid cross-correlation, stride 1 (nn.Conv2d without its bias)."""
    o, c, k, _ = w.shape
    b, _, h, wd = x.shape
    oh, ow = h - k + 1, wd - k + 1
    y = im2col(tf32(x), k) @ tf32(w).reshape(o, -1).T
    return np.ascontiguousarray(y.reshape(b, oh, ow, o).transpose(0, 3, 1, 2))


def conv_t(y, w):
    """The adjoint of conv (F.conv_transpose2d, stride 1, no padding): [b,o,oh,ow] -> [b,c,oh+k-1,ow+k-1]."""
    b, o, oh, ow = y.shape
    _, c, k, _ = w.shape
    # cols[c, i, j, b, oh, ow]: the contribution of kernel tap (i, j); summed into a channel-first map.
    cols = (tf32(w).reshape(o, c * k * k).T @ tf32(y).transpose(1, 0, 2, 3).reshape(o, b * oh * ow)).reshape(
        c, k, k, b, oh, ow)
    out = np.zeros((c, b, oh + k - 1, ow + k - 1), F32)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + oh, j:j + ow] += cols[:, i, j]
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))


def wgrad(x, dy, k):
    """torch.nn.grad.conv2d_weight: the gradient of conv(x, w) against w for output gradient dy."""
    b, o, oh, ow = dy.shape
    g = tf32(dy).transpose(1, 0, 2, 3).reshape(o, -1) @ im2col(tf32(x), k)
    return g.reshape(o, x.shape[1], k, k)


def rho(x):
    return np.clip(x, 0, 1)


def pool(r):
    """2x2 max-pool of rho values with argmax 0..3 in row-major window order, the first on ties (strict >)."""
    m, am = r[:, :, 0::2, 0::2], np.zeros(r[:, :, 0::2, 0::2].shape, np.int8)
    for n, (di, dj) in enumerate(((0, 1), (1, 0), (1, 1)), start=1):
        v = r[:, :, di::2, dj::2]
        up = v > m
        m = np.where(up, v, m)
        am = np.where(up, np.int8(n), am)
    return m, am


def pool_by(key, val):
    """2x2 max-pool choosing each window's unit by `key` (first on ties) and reading `val` there."""
    _, am = pool(key)
    b, c, h, w = val.shape
    win = val.reshape(b, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(b, c, h // 2, w // 2, 4)
    return np.take_along_axis(win, am[..., None].astype(np.int64), -1)[..., 0], am


def unpool(v, am):
    b, c, h, w = v.shape
    out = np.zeros((b, c, 2 * h, 2 * w), F32)
    for n, (di, dj) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        out[:, :, di::2, dj::2] = np.where(am == n, v, F32(0))
    return out


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


class Net:
    def __init__(self, rng, row):
        def u(shape, fan_in):
            bound = 1 / np.sqrt(fan_in)
            return rng.uniform(-bound, bound, shape).astype(F32)

        self.row = row
        self.p = {"W0": u((32, 1, 5, 5), 25), "b0": u((32,), 25), "W1": u((64, 32, 5, 5), 800), "b1": u((64,), 800),
                  "Wf": u((10, 1024), 1024), "bf": u((10,), 1024)}
        # Table 1's ConvTranspose2d keeps its own default bias (fan_in from weight.size(1) * k * k = 32 * 25).
        self.bd = u((32,), 800) if row == "table1" else np.zeros(32, F32)
        self.beta_i = 0.01
        self.beta_f = 0.1 if row == "table1" else 0.25
        self.T, self.K = 20, 10
        self.lag = True  # table2: the notebook's state tuple carries the previous step's argmaxes and readout
        # The beta_i feedback into conv1 reads conv2's whole pre-pool map rho(x2) ("map", both notebooks); "winners"
        # reads only each pooling window's winner (the pooled state unpooled), as our engine's model does.
        self.feedback = "map"
        # table1 switches toward our model (semantics-compare.py), each the notebook's way by default:
        self.error_lag = True  # the nudge's error from the logits of the previous step (the readout is a state)
        self.winner = "state"  # a window's winner over the state (feedback and nudge included), or "feedforward"
        self.argmax_key = "rho"  # the winner by rho (PyTorch pools rho: ties at 0 and 1), or "preactivation"
        # The initial state: the notebook's (x1 = rho(b0) everywhere, x2 = rho of its feed-forward drive) or
        # "zero" (every map 0, our model's s = 0). It matters only with winner "state", whose winners keep
        # their history (a unit that received positive feedback keeps winning).
        self.init = "notebook"

    def readout(self, p2):
        return p2.reshape(p2.shape[0], -1) @ self.p["Wf"].T + self.p["bf"]

    def relax(self, x, y, steps, nudge, st=None):
        """Run `steps` synchronous steps from the initial state or `st`; returns the notebook's state tuple
        (x1, p1, argmax1, x2, p2, argmax2, logits), table1 with its argmaxes None and x2's feed-forward drive last."""
        P, b = self.p, x.shape[0]
        cx = conv(x, P["W0"]) + P["b0"][None, :, None, None]  # the same every step
        W1, b1 = P["W1"], P["b1"][None, :, None, None]
        if self.row == "table2":
            if st is None:
                x1 = np.broadcast_to(P["b0"][None, :, None, None], (b, 32, 24, 24)).astype(F32)
                p1, am1 = pool(rho(x1))
                x2 = conv(p1, W1) + b1
                p2, am2 = pool(rho(x2))
                o = self.readout(p2)
            else:
                x1, p1, am1, x2, p2, am2, o = st
            for _ in range(steps):
                # This step's pooling of the incoming states: the notebook returns it beside the new maps, so the
                # NEXT step unpools through it (the lag); --lag none uses it at once.
                p1n, am1n = pool(rho(x1))
                p2n, am2n = pool(rho(x2))
                if not self.lag:
                    am1, am2, o = am1n, am2n, self.readout(p2n)
                fbs = ((y - softmax(o)) @ P["Wf"]).reshape(b, 64, 4, 4) if nudge else None
                src = rho(x2) if self.feedback == "map" else unpool(p2n, am2n)
                nx1 = cx + unpool(conv_t(src, W1), am1) * self.beta_i
                nx2 = conv(p1n, W1) + b1
                if nudge:
                    nx2 = nx2 + unpool(fbs, am2) * nudge
                p1, am1, p2, am2 = p1n, am1n, p2n, am2n
                o = self.readout(p2)
                x1, x2 = nx1, nx2
            return (x1, p1, am1, x2, p2, am2, o)
        # table1
        if st is None and self.init == "zero":
            x1 = np.zeros((b, 32, 24, 24), F32)
            x2 = x2ff = np.zeros((b, 64, 8, 8), F32)
            o = self.readout(np.zeros((b, 64, 4, 4), F32))
        elif st is None:
            x1 = np.broadcast_to(rho(P["b0"])[None, :, None, None], (b, 32, 24, 24)).astype(F32)
            p1, _ = pool(x1)
            x2ff = conv(p1, W1) + b1
            x2 = rho(x2ff)
            p2, _ = pool(x2)
            o = self.readout(p2)
        else:
            x1, x2, o, x2ff = st[0], st[3], st[6], st[7]
        for _ in range(steps):
            if not self.error_lag:
                o = self.readout(self.pool_at(x2, x2ff)[0])
            fbs = (nudge * (y - softmax(o)) @ P["Wf"]).reshape(b, 64, 4, 4) if nudge else None
            p1, am1 = self.pool_at(x1, cx)
            p2, am2 = self.pool_at(x2, x2ff)
            src = rho(x2) if self.feedback == "map" else unpool(p2, am2)
            fb = conv_t(src, W1) + self.bd[None, :, None, None]
            nx1 = cx + unpool(fb, am1) * self.beta_i
            nx2ff = conv(p1, W1) + b1
            nx2 = nx2ff + unpool(fbs, am2) if nudge else nx2ff
            o = self.readout(p2)
            x1, x2, x2ff = nx1, nx2, nx2ff
        return (x1, p1, None, x2, p2, None, o, x2ff)

    def pool_at(self, x, ff):
        """Table 1's pooling of a layer's pre-pool map x: the winner chosen over x itself (the notebook) or over
        its feed-forward drive ff alone (our model, where feedback and nudge join after pooling), by rho or by
        the pre-activation; the pooled value is rho(x) at the winner."""
        key = x if self.winner == "state" else ff
        return pool_by(rho(key) if self.argmax_key == "rho" else key, rho(x))

    def grads(self, x, yi):
        b = x.shape[0]
        y = np.eye(10, dtype=F32)[yi]
        sf = self.relax(x, y, self.T, 0)
        sn = self.relax(x, y, self.K, self.beta_f, st=sf)
        x1, p1, _, x2, p2, _, o = sf[:7]
        d_f = (softmax(o) - y) / b
        d2 = (rho(x2) - rho(sn[3])) / b
        d1 = (rho(x1) - rho(sn[0])) / b
        return {"Wf": d_f.T @ p2.reshape(b, -1), "bf": d_f.sum(0), "W1": wgrad(p1, d2, 5),
                "b1": d2.sum((0, 2, 3)), "W0": wgrad(x, d1, 5), "b0": d1.sum((0, 2, 3))}

    def predict(self, x):
        return self.relax(x, None, self.T, 0)[6].argmax(1)


class AdamW:
    """torch.optim.AdamW: decoupled decay, then Adam with bias correction."""

    def __init__(self, params, lr=2e-4, wd=1e-6, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.wd, self.b1, self.b2, self.eps, self.t = lr, wd, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, P, G):
        self.t += 1
        for k in P:
            P[k] *= F32(1 - self.lr * self.wd)
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * G[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * G[k] * G[k]
            mh = self.m[k] / (1 - self.b1 ** self.t)
            vh = self.v[k] / (1 - self.b2 ** self.t)
            P[k] -= (self.lr * mh / (np.sqrt(vh) + self.eps)).astype(F32)


class SGD:
    """torch.optim.SGD without momentum, L2 weight decay in the gradient, per-layer rates (Table 1 notebook)."""

    LR = {"W0": 0.15, "b0": 0.15, "W1": 0.35, "b1": 0.35, "Wf": 0.9, "bf": 0.9}

    def __init__(self, wd=1e-5):
        self.wd = wd

    def step(self, P, G):
        for k in P:
            P[k] -= F32(self.LR[k]) * (G[k] + F32(self.wd) * P[k])


def load(kind):
    return mnist(kind, F32)


def write_atomic(path, obj):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def checkpoint_params(path):
    """A bench/reproduce checkpoint's weights (our names W0, W1, Wf and their biases) as this net's parameters."""
    z = np.load(path)
    return {"W0": z["W.W0"].reshape(32, 1, 5, 5), "b0": z["bias.W0"], "W1": z["W.W1"].reshape(64, 32, 5, 5),
            "b1": z["bias.W1"], "Wf": z["W.Wf"], "bf": z["bias.Wf"]}


def cos(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300))


def analyse(row, ckpt, n_batches):
    """One EP step's gradients under TF32 (trunc, rne) against float32, on PyTorch-init weights and on a
    bench/reproduce checkpoint's trained weights (same net, our engine's trained weights), per layer: the cosine
    and the relative size of the difference. Same batches for every mode."""
    global MODE
    x, y = load("train")
    rng = np.random.default_rng(0)
    sel = [rng.choice(len(y), 128, replace=False) for _ in range(n_batches)]
    net = Net(np.random.default_rng(1), row)
    init = {k: v.copy() for k, v in net.p.items()}
    trained = checkpoint_params(ckpt)
    out = {"row": row, "checkpoint": os.path.relpath(os.path.abspath(ckpt), ROOT), "batches": n_batches}
    for name, P in (("init", init), ("trained", trained)):
        net.p = {k: np.asarray(v, F32).copy() for k, v in P.items()}
        per = {m: [] for m in ("off", "trunc", "rne")}
        for s in sel:
            for m in per:
                MODE = m
                per[m].append(net.grads(x[s], y[s]))
        MODE = "off"
        res = {}
        for layer in ("W0", "W1", "Wf"):
            r = {}
            for m in ("trunc", "rne"):
                cs = [cos(g[layer], f[layer]) for g, f in zip(per[m], per["off"])]
                rel = [float(np.linalg.norm(g[layer] - f[layer]) / np.linalg.norm(f[layer]))
                       for g, f in zip(per[m], per["off"])]
                r[m] = {"cos_to_fp32": float(np.mean(cs)), "cos_min": float(np.min(cs)),
                        "rel_diff": float(np.mean(rel)), "rel_diff_max": float(np.max(rel))}
            res[layer] = r
        out[name] = res
    return out


def main():
    global MODE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--row", choices=["table1", "table2"], required=True)
    ap.add_argument("--analyse", metavar="CHECKPOINT", help="compare one step's gradients under TF32 and float32")
    ap.add_argument("--batches", type=int, default=4, help="batches for --analyse")
    ap.add_argument("--tf32", choices=["off", "trunc", "rne"], default="off")
    ap.add_argument("--lag", choices=["notebook", "none"], default="notebook",
                    help="table2: unpool the feedback and the nudge through the previous step's argmaxes and read "
                         "the nudge's error from the previous step's readout, as the notebook's state tuple does "
                         "(notebook), or through the current state's (none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train-limit", type=int, default=0, help="first N training images (0: all 60k)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.row == "table1" and a.lag != "notebook":
        ap.error("--lag switches Table 2's argmax-and-readout lag; Table 1's departures from our model are "
                 "switched in semantics-compare.py")
    if a.analyse:
        write_atomic(a.out, analyse(a.row, a.analyse, a.batches))
        print(open(a.out).read())
        return 0
    MODE = a.tf32
    rng = np.random.default_rng(a.seed)
    net = Net(rng, a.row)
    net.lag = a.lag == "notebook"
    opt = AdamW(net.p) if a.row == "table2" else SGD()
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    if a.train_limit:
        xtr, ytr = xtr[:a.train_limit], ytr[:a.train_limit]
    perm = rng.permutation(len(xtr))
    batches = [perm[i:i + 128] for i in range(0, len(perm), 128)]
    res = {"row": a.row, "tf32": a.tf32, "lag": a.lag, "seed": a.seed, "trainLimit": a.train_limit, "epochs": []}
    for ep in range(a.epochs):
        t0 = time.time()
        for bi in rng.permutation(len(batches)):
            bidx = batches[bi]
            opt.step(net.p, net.grads(xtr[bidx], ytr[bidx]))
        correct = sum(int((net.predict(xte[i:i + 512]) == yte[i:i + 512]).sum()) for i in range(0, len(xte), 512))
        res["epochs"].append({"epoch": ep + 1, "testAccuracy": correct / len(xte), "seconds": round(time.time() - t0, 1)})
        write_atomic(a.out, res)
        print(f"{a.row} tf32={a.tf32} lag={a.lag} seed {a.seed} epoch {ep + 1}: test {100 * correct / len(xte):.2f}% "
              f"({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
