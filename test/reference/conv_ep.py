#!/usr/bin/env python3
"""
An independent float64 NumPy reference of ONE Equilibrium-Propagation training step (free phase,
nudged phase, local updates, one SGD step) of a conv FRE-RNN: a chain
input -> conv(+max-pool) -> s_1 -> conv(+max-pool) -> ... -> s_L -> dense readout -> output,
hard-sigmoid units, per-channel biases, symmetric feedback beta_i on the hidden->hidden conv edges.

Written from the documented semantics only: docs/graph-format.md (fields `dynamics`, `edges[j]`
conv/pool/bias/feedback, `training` SGD), docs/conv-layout.md (NCHW layout, cross-correlation,
max-pool and its unpool), docs/references.md#fre-rnn-model and the paper (cited there). No code from simulator/ was
transcribed; the convolution, pooling and their adjoints below are written from the formulas with NumPy slicing. (Disclosure: to
settle points 7 and 11 below, EpEngine.step() and relax() in simulator/engine/ep.ts were read, and
the float64 TypeScript EP of test/conv-engine.test.ts was read to learn how the engine is called.)
Scope: conv edges with stride 1, no padding, max-pool with stride = size (the test's net); other
geometries, avg pooling, random feedback and Adam are not modelled here.

The semantics, point by point, and where each is stated:
 1. Initial state s = 0 for every hidden layer; T synchronous free steps, every layer reads the
    previous step's states. Documented in graph-format.md (`dynamics.T`: "synchronous updates from
    s = 0") and references.md#fre-rnn-model.
 2. Drive of a layer = sum over incoming edges: forward alpha * (pool(conv(s_from; W)) + b), the bias
    one per output channel added after the read; symmetric feedback beta_i * conv^T(unpool(s_to))
    into the edge's `from` layer. s <- rho(h), rho = hard-sigmoid = clamp(h, 0, 1). Documented in
    graph-format.md (`edges[j]`, `bias`, "Conv edges", `layers[i].activation`).
 3. A layer's state is the POOLED map: the `to` layer's H x W must equal the pooled output
    (graph-format.md, `pool`, FRE028). Max-pool: square window, stride = size, no padding, floor mode
    (graph-format.md `pool`; conv-layout.md "Pooling").
 4. The feedback unpools through the argmax of the SAME step's forward read of that edge (of the
    current s_from). Documented in graph-format.md ("Conv edges") and conv-layout.md ("The engines run
    every forward read of a step before any feedback read").
 5. Max-pool ties: the first element in row-major window order wins. Documented in conv-layout.md
    ("Pooling", maxPool). This reference uses np.argmax on the row-major window (first occurrence);
    the test data are continuous random values, and this script reports the smallest non-zero gap
    between a window's two largest values so the test can assert no near-tie decides a comparison.
    (Exact ties do occur where a whole receptive field is 0 -- saturated units -- and there both
    sides compute exactly 0 and pick the first element.)
 6. Readout: logits = alpha_f * (W_f s_L + b_f) with s_L read flat (NCHW, channel-major), p =
    softmax(logits). Documented in graph-format.md (`alpha`: "logits = alpha . W_f s_L"; `bias`:
    "drive = alpha . (W s + b)"; `layers[i].shape`: dense edges read a shaped layer flat).
 7. Nudged phase: K steps starting from the free state s0, with h_L += beta_f * W_f^T e (B_f = W_f^T,
    symmetric; no alpha on the feedback path). `held`: e = y - p(s0) computed once; `recomputed`:
    e = y - p(s) from the current nudged state at every step. Documented in graph-format.md
    (`dynamics.betaF`, `dynamics.nudge`). WHICH state "current" means for `recomputed` (the state at
    the start of the step, i.e. the one every layer reads, so the first nudged step equals `held`'s)
    is implied by the synchronous update of point 1 but not written down; taken from the engine
    (simulator/engine/ep.ts, relax(): the error recomputed from this.s before the step's reads) and
    added to graph-format.md (`dynamics.nudge`). `lagged`: e = y - p(s) of the state one step older than
    the one the step reads (s_{T-1} at the first nudged step), graph-format.md (`dynamics.nudge`).
 8. Hidden-edge update: dW = conv_weight_grad(s0_from, unpool(s^beta_to - s0_to)) / m, unpooled
    through the argmax of the forward read of s0_from (the free phase's argmax); the input edge uses
    x as s0_from. Documented in graph-format.md ("Conv edges": "with the free phase's argmax";
    `trainable`: "/ m") and conv-layout.md (update row: "the patches and argmax of s0").
 9. Bias update: db = sum over batch and positions of (s^beta - s0) / m. Documented in graph-format.md
    (`bias`: "summed over positions on conv edges"; `batchSize`: "the update is a batch mean").
10. Readout update (held and recomputed): delta rule on the FREE output, dW_f = (y - p0) s0_L^T / m,
    db_f = sum_b (y - p0) / m. Documented in graph-format.md (`trainable`) and references.md.
11. divideByBetaF: the hidden edges' (every edge into a hidden layer, the input edge included) dW
    divided by beta_f; the readout's unchanged. Documented in graph-format.md (`divideByBetaF`).
    Whether the hidden edges' BIAS updates are divided too is not documented; taken from the engine
    (simulator/engine/ep.ts:166 passes one scale to EdgeOps.update, which scales both the weight and
    the bias gradient, simulator/engine/edge-ops.ts:260-261, 273-276) and added to graph-format.md
    (`divideByBetaF`).
12. SGD (momentum 0): g = -dW (the descent direction); g <- g + lambda * W; W <- W - lr_edge * g. A bias
    uses its edge's learning rate and weight decay. Documented in graph-format.md (`training`,
    `optimizer` sgd, "a bias uses its edge's learning rate and weight decay").
13. pool_argmax "activation" (graph-format.md `pool.argmax`, conv-layout.md "Pooling"): the argmax of
    a window is taken over the hard-sigmoid of each unit's own pre-activation, clamp(alpha * (z + b_c),
    0, 1) with z the conv value and b_c the edge's bias for the channel (no feedback, no nudge), the
    first unit in row-major window order winning ties; the pooled value is still the window's maximum
    z. Every user of the argmax (the feedback unpool, the update unpool) follows it. "preactivation"
    (default): points 3-5 unchanged. Here min_key_gap reports the smallest non-zero top-two gap of the
    keys (exact ties at 0 and at 1 are the rule's point and are exact on both sides).
14. pool_feedback "map" (graph-format.md `pool.feedback`): the beta_i feedback through a max-pooled edge
    reads the whole pre-pool map instead of unpool(s_to): every unit its own activation
    clamp(alpha * (z + b_c), 0, 1) of the conv value z of the same step's forward read of that edge
    (no feedback, no nudge), each window's argmax unit (the one the default unpool routes through)
    s_to instead; units outside every window (floor mode) their own activation. Windows do not
    overlap (stride = size here). The updates are unchanged (point 8). "winners" (default): point 2.
15. pool_winner "state" (graph-format.md `pool.winner`): the edge keeps a pre-pool state map X across
    the steps of a batch (both phases; none before the first step). At each step, after every drive
    of the `to` layer is added (the read's pooled own drive alpha * (pool(z) + b_c), feedback, nudge),
    the rest of each pooled unit's drive, extra = h - (the read's pooled own drive), is placed on the
    window's previous winner (at the first step: the read's argmax), X = alpha * (z + b_c) + that;
    the new winner is the window's first largest X (of clamp(X, 0, 1) under pool_argmax "activation"),
    and the pooled drive is X there: the extra reaches the unit only if the previous winner wins
    again. The edge's feedback then reads, at the next step, clamp(X) (pool_feedback "map") or s_to
    unpooled through the winners of X. The update's post-synaptic signal is the state maps'
    difference over the whole map, clamp(X^beta) - clamp(X^0) (the nudged and the free phase's last X),
    not the pooled states' difference unpooled (point 8).
    This is the authors' Table 1 conv notebook, whose state is the pre-pool map: it pools
    rho(x) with the feedback and nudge already placed on the previous winners.

Usage: conv_ep.py IN.npz PARAMS_JSON OUT.json
IN.npz: x [m, C, H, W] (inputs), y [m, classes] (one-hot), and per edge (names in PARAMS) the weight
  `<name>` ([O, C, k, k] for conv edges, [classes, n_L] for the readout) and `<name>.bias`.
PARAMS_JSON: {"edges": [{"name", "pool": size|0, "alpha", "beta"} ... conv edges in chain order],
  "readout": {"name", "alpha"}, "T", "K", "beta_f", "nudge": "held"|"recomputed"|"lagged",
  "divide_by_beta_f": bool, "lr": {name: lr}, "weight_decay",
  "control": null | "no-feedback" | "flip-nudge" | "stale-argmax" | "nudged-argmax",
  "pool_argmax": "preactivation" (default) | "activation" (point 13),
  "pool_feedback": "winners" (default) | "map" (point 14, on every conv edge with feedback),
  "pool_winner": "feedforward" (default) | "state" (point 15, on every max-pooled conv edge)}
  (control: a deliberately wrong reference -- without the beta_i feedback; with the nudge's sign
  flipped; the feedback unpooled through the PREVIOUS step's argmax; the update unpooled through the
  argmax of the read of s^beta instead of s0)
Writes OUT.json: {"free": [flat s0 per layer], "nudged": [flat s^beta per layer],
  "g": {name: flat descent direction, "<name>.bias": ...}, "after": {name: flat, "<name>.bias": ...},
  "min_gap": smallest non-zero top-two gap in a max-pool window, "ties": exact ties seen,
  "min_key_gap": the same over the activation keys (pool_argmax "activation"; else null),
  "linear_fraction": [per layer, fraction of free-state units strictly inside (0, 1)]}
"""
import json
import sys

import numpy as np


# ---- convolution (cross-correlation, stride 1, no padding; conv-layout.md "The convolution") ----

def conv(x, w):
    """y[b, o, oy, ox] = sum_{c, ky, kx} w[o, c, ky, kx] x[b, c, oy + ky, ox + kx]."""
    m, _, h, wd = x.shape
    o, _, k, _ = w.shape
    oh, ow = h - k + 1, wd - k + 1
    y = np.zeros((m, o, oh, ow))
    for ky in range(k):
        for kx in range(k):
            y += np.einsum("bchw,oc->bohw", x[:, :, ky:ky + oh, kx:kx + ow], w[:, :, ky, kx])
    return y


def conv_t(dy, w, in_hw):
    """The adjoint of conv: <conv(x), dy> = <x, conv_t(dy)> (conv-layout.md convTranspose)."""
    m, _, oh, ow = dy.shape
    _, c, k, _ = w.shape
    dx = np.zeros((m, c) + tuple(in_hw))
    for ky in range(k):
        for kx in range(k):
            dx[:, :, ky:ky + oh, kx:kx + ow] += np.einsum("bohw,oc->bchw", dy, w[:, :, ky, kx])
    return dx


def conv_wgrad(x, dy, k):
    """d<conv(x; W), dy>/dW, summed over the batch (conv-layout.md convWeightGrad)."""
    _, _, oh, ow = dy.shape
    dw = np.zeros((dy.shape[1], x.shape[1], k, k))
    for ky in range(k):
        for kx in range(k):
            dw[:, :, ky, kx] = np.einsum("bohw,bchw->oc", dy, x[:, :, ky:ky + oh, kx:kx + ow])
    return dw


# ---- max-pool, stride = size, floor mode; unpool through the argmax (conv-layout.md "Pooling") ----

class Gaps:
    def __init__(self):
        self.min_gap = np.inf
        self.ties = 0

    def see(self, win):
        top2 = np.sort(win, axis=-1)[..., -2:]
        gap = top2[..., 1] - top2[..., 0]
        self.ties += int(np.count_nonzero(gap == 0))
        if np.any(gap > 0):
            self.min_gap = min(self.min_gap, float(gap[gap > 0].min()))


def windows(z, size):
    m, c, h, w = z.shape
    oh, ow = (h - size) // size + 1, (w - size) // size + 1
    zc = z[:, :, :oh * size, :ow * size].reshape(m, c, oh, size, ow, size)
    return zc.transpose(0, 1, 2, 4, 3, 5).reshape(m, c, oh, ow, size * size)


def max_pool(z, size, gaps, key=None, key_gaps=None):
    """Pooled map and, per output, the (dy, dx) offset of the window maximum (first in row-major
    window order on ties: np.argmax returns the first occurrence). With `key` (point 13: the map of
    activation keys, z's shape) the offset is the first maximum of the key instead; the pooled value
    stays the window's maximum z."""
    win = windows(z, size)
    gaps.see(win)
    am = np.argmax(win, axis=-1)
    pooled = np.take_along_axis(win, am[..., None], axis=-1)[..., 0]
    if key is not None:
        kwin = windows(key, size)
        key_gaps.see(kwin)
        am = np.argmax(kwin, axis=-1)
    return pooled, am


def unpool(y, am, size, hw):
    """x[argmax] = y, zero elsewhere (the transpose of the selection the max-pool made)."""
    m, c, oh, ow = y.shape
    win = np.zeros((m, c, oh, ow, size * size))
    np.put_along_axis(win, am[..., None], y[..., None], axis=-1)
    x = np.zeros((m, c) + tuple(hw))
    x[:, :, :oh * size, :ow * size] = win.reshape(m, c, oh, ow, size, size).transpose(0, 1, 2, 4, 3, 5).reshape(
        m, c, oh * size, ow * size)
    return x


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main():
    npz_path, params_json, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    P = json.loads(params_json)
    data = np.load(npz_path)
    x = data["x"].astype(np.float64)
    y = data["y"].astype(np.float64)
    m = x.shape[0]
    edges = P["edges"]
    ro = P["readout"]
    W = {e["name"]: data[e["name"]].astype(np.float64) for e in edges + [ro]}
    b = {e["name"]: data[e["name"] + ".bias"].astype(np.float64) for e in edges + [ro]}
    T, K, beta_f = P["T"], P["K"], P["beta_f"]
    control = P.get("control")
    by_activation = P.get("pool_argmax", "preactivation") == "activation"
    map_feedback = P.get("pool_feedback", "winners") == "map"
    state_winner = P.get("pool_winner", "feedforward") == "state"
    gaps = Gaps()
    key_gaps = Gaps()

    # Layer shapes from the chain: layer j is the pooled output of edge j.
    shapes = []
    hw = x.shape[2:]
    for e in edges:
        k = W[e["name"]].shape[2]
        conv_hw = (hw[0] - k + 1, hw[1] - k + 1)
        e["_conv_hw"] = conv_hw
        e["_k"] = k
        ps = e["pool"]
        hw = ((conv_hw[0] - ps) // ps + 1, (conv_hw[1] - ps) // ps + 1) if ps else conv_hw
        shapes.append((W[e["name"]].shape[0],) + hw)
    L = len(edges)

    def read(j, pre, with_map=False):
        """Edge j's forward read of pre: alpha (pool(conv(pre)) + b), and its argmax (and with_map: the
        pre-pool map of the units' own activations, point 14)."""
        e = edges[j]
        z = conv(pre, W[e["name"]])
        raw = e["alpha"] * (z + b[e["name"]][None, :, None, None])
        own = np.clip(raw, 0.0, 1.0)
        am = None
        if e["pool"]:
            z, am = max_pool(z, e["pool"], gaps, own if by_activation else None, key_gaps)
        drive = e["alpha"] * (z + b[e["name"]][None, :, None, None])
        return (drive, am, own, raw) if with_map else (drive, am)

    def unpooled(j, post, am):
        e = edges[j]
        return unpool(post, am, e["pool"], e["_conv_hw"]) if e["pool"] else post

    def logits_of(sL):
        return ro["alpha"] * (sL.reshape(m, -1) @ W[ro["name"]].T + b[ro["name"]])

    def nudge_of(e_out):
        n = beta_f * (e_out @ W[ro["name"]]).reshape((m,) + shapes[-1])
        return -n if control == "flip-nudge" else n

    last_ams = [None] * L

    def map_source(j, post, am, own):
        """Point 14: the units' own activations, each window's argmax unit carrying post (s_to)."""
        e = edges[j]
        winners = unpool(np.ones_like(post), am, e["pool"], e["_conv_hw"]) > 0
        return np.where(winners, unpool(post, am, e["pool"], e["_conv_hw"]), own)

    # Point 15: per edge, the state map X and its winners of the previous step (None before the first).
    X = [None] * L
    winners = [None] * L

    def repool(j, hj, own_drive, am, raw):
        """Point 15: the extra on the previous winner, the new winner over X, the pooled drive X there."""
        e = edges[j]
        size, hw = e["pool"], e["_conv_hw"]
        prev = winners[j] if winners[j] is not None else am
        xm = raw + unpool(hj - own_drive, prev, size, hw)
        key = np.clip(xm, 0.0, 1.0) if by_activation else xm
        win = np.argmax(windows(key, size), axis=-1)
        pooled = np.take_along_axis(windows(xm, size), win[..., None], axis=-1)[..., 0]
        return pooled, xm, win

    def step(s, nudge):
        # All forward reads of the step (from the previous states), then the feedback reads.
        h = [None] * L
        ams = [None] * L
        owns = [None] * L
        raws = [None] * L
        for j in range(L):
            h[j], ams[j], owns[j], raws[j] = read(j, x if j == 0 else s[j - 1], with_map=True)
        own_drive = [hj.copy() for hj in h]
        for j in range(1, L):
            beta = 0.0 if control == "no-feedback" else edges[j]["beta"]
            am = last_ams[j] if control == "stale-argmax" and last_ams[j] is not None else ams[j]
            if state_winner and edges[j]["pool"]:
                # The state of the previous step: X and its winners (X = 0 before the first step).
                if map_feedback:
                    src = np.clip(X[j], 0.0, 1.0) if X[j] is not None else np.zeros_like(raws[j])
                else:
                    src = unpooled(j, s[j], winners[j] if winners[j] is not None else am)
            elif map_feedback and edges[j]["pool"]:
                src = map_source(j, s[j], am, owns[j])
            else:
                src = unpooled(j, s[j], am)
            h[j - 1] = h[j - 1] + beta * conv_t(src, W[edges[j]["name"]], shapes[j - 1][1:])
        last_ams[:] = ams
        if nudge is not None:
            h[L - 1] = h[L - 1] + nudge
        if state_winner:
            new = [repool(j, h[j], own_drive[j], ams[j], raws[j]) if edges[j]["pool"] else None for j in range(L)]
            for j in range(L):
                if new[j] is not None:
                    h[j], X[j], winners[j] = new[j]
        return [np.clip(hj, 0.0, 1.0) for hj in h]

    s = [np.zeros((m,) + sh) for sh in shapes]
    prev = s
    for _ in range(T):
        prev, s = s, step(s, None)
    s0 = [a.copy() for a in s]
    free_X = [a.copy() if a is not None else None for a in X]
    e0 = y - softmax(logits_of(s0[-1]))
    held = nudge_of(e0)
    for _ in range(K):
        if P["nudge"] == "held":
            n = held
        else:
            # recomputed: the error of the state this step reads; lagged: of the one before it (s_{T-1} first)
            n = nudge_of(y - softmax(logits_of((prev if P["nudge"] == "lagged" else s)[-1])))
        prev, s = s, step(s, n)
    sb = s

    # Local updates (batch means), descent directions g = -dW.
    g = {}
    div = beta_f if P["divide_by_beta_f"] else 1.0
    for j, e in enumerate(edges):
        pre0 = x if j == 0 else s0[j - 1]
        _, am0 = read(j, pre0 if control != "nudged-argmax" else (x if j == 0 else sb[j - 1]))
        du = unpooled(j, sb[j] - s0[j], am0)
        if state_winner and e["pool"]:
            du = np.clip(X[j], 0.0, 1.0) - np.clip(free_X[j], 0.0, 1.0)  # point 15: the state maps' difference
        g[e["name"]] = -conv_wgrad(pre0, du, e["_k"]) / (m * div)
        g[e["name"] + ".bias"] = -du.sum(axis=(0, 2, 3)) / (m * div)
    g[ro["name"]] = -(e0.T @ s0[-1].reshape(m, -1)) / m
    g[ro["name"] + ".bias"] = -e0.sum(axis=0) / m

    # One SGD step: L2 decay added to g, per-edge learning rate, biases with their edge's.
    after = {}
    lam = P["weight_decay"]
    for name, gv in g.items():
        base = name[:-5] if name.endswith(".bias") else name
        w = b[base] if name.endswith(".bias") else W[base]
        after[name] = w - P["lr"][base] * (gv + lam * w)

    out = {
        "free": [a.ravel().tolist() for a in s0],
        "nudged": [a.ravel().tolist() for a in sb],
        "g": {k: v.ravel().tolist() for k, v in g.items()},
        "after": {k: v.ravel().tolist() for k, v in after.items()},
        "min_gap": gaps.min_gap if np.isfinite(gaps.min_gap) else None,
        "ties": gaps.ties,
        "min_key_gap": key_gaps.min_gap if by_activation and np.isfinite(key_gaps.min_gap) else None,
        "linear_fraction": [float(np.mean((a > 0) & (a < 1))) for a in s0],
    }
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
