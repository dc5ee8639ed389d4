#!/usr/bin/env python3
"""
One conv EP step under the authors' notebook semantics (authors-conv.py) against ours (the independent reference
test/reference/conv_ep.py, which the engine matches to 4e-7 in test/reference-conv-ep.test.ts), on the same
weights and mini-batches: per layer, the cosine between the two updates and the ratio of their norms. Each of the
notebook's departures from our model can be switched off on its side, to find which one makes the difference:

  lag       (table2 only) the previous step's argmaxes and readout, carried in the notebook's state tuple
  map       the beta_i feedback into conv1 read from conv2's whole pre-pool map rho(x2), not only the winners
  deconv    (table1 only) the never-trained random bias of the notebook's ConvTranspose2d feedback
  error-lag (table1 only) the nudge's error from the previous step's logits (the notebook's readout is a state
            updated with the others; ours reads the current s_L)
  winner    (table1 only) a pooling window's winner chosen over the state, feedback and nudge included (the
            notebook adds them before pooling); ours adds them after, so the feed-forward drive picks the winner
  rho-argmax (table1 only) the winner chosen by rho (PyTorch pools rho: ties where units clamp); ours by the
            pre-activation
  init      (table1 only, run with --ours-winner state) the notebook's initial state (x1 = rho(b0)); ours s = 0.
            Under the state winner rule a window's winner keeps its history, so the start can lock in winners

    python3 bench/results/conv/semantics-compare.py table1|table2 [--checkpoint CKPT.npz] [--ours-nudge lagged]
        [--ours-feedback map] [--ours-winner state] [--ours-argmax activation] [--batches 3] [--batch-size 128] [--out F]

Without --checkpoint the weights are a PyTorch-default initialisation (seeded); with it, a bench/reproduce
checkpoint's trained weights. Row settings: table1 beta_f 0.1, table2 0.25; T 20, K 10, beta_i 0.01; the nudge's
error recomputed every step on our side (--ours-nudge lagged: from the previous step's state, the engine's
dynamics.nudge "lagged", which is the notebook's stale error); our side's beta_i feedback reads the winners
(--ours-feedback map: conv2's whole pre-pool map, the engine's pool.feedback "map", which is the notebook's `map`);
--ours-winner state: a window's winner chosen over a pre-pool state map whose previous winner carries the feedback
and nudge, the engine's pool.winner "state", the notebook's `winner`; --ours-argmax activation: the winner by rho
with first-index ties, pool.argmax "activation", the notebook's `rho-argmax`; no division by beta_f. With all four
options our side is the notebook less its deconv bias. Table 1 also runs the notebook with only its stale error left on (what --ours-nudge lagged
should agree with), with only its map feedback on (--ours-feedback map), and with only those two on (both options).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
spec = importlib.util.spec_from_file_location("authors_conv", os.path.join(HERE, "authors-conv.py"))
ac = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ac)


def ours(net, xb, yb, tmp, nudge, feedback, winner, argmax):
    """Our semantics' descent directions from the reference (a separate process, as the tests run it)."""
    p = net.p
    inp, out = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.json")
    np.savez(inp, x=xb, y=np.eye(10)[yb], W0=p["W0"], W1=p["W1"], Wf=p["Wf"],
             **{"W0.bias": p["b0"], "W1.bias": p["b1"], "Wf.bias": p["bf"]})
    params = {"edges": [{"name": "W0", "pool": 2, "alpha": 1, "beta": 0},
                        {"name": "W1", "pool": 2, "alpha": 1, "beta": net.beta_i}],
              "readout": {"name": "Wf", "alpha": 1}, "T": net.T, "K": net.K, "beta_f": net.beta_f,
              "nudge": nudge, "divide_by_beta_f": False, "lr": {"W0": 0, "W1": 0, "Wf": 0},
              "weight_decay": 0, "pool_feedback": feedback, "pool_winner": winner, "pool_argmax": argmax}
    subprocess.run([sys.executable, os.path.join(ROOT, "test", "reference", "conv_ep.py"), inp, json.dumps(params),
                    out], check=True)
    g = json.load(open(out))["g"]
    return {k: np.array(g[k]) for k in ("W0", "W1", "Wf")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("row", choices=["table1", "table2"])
    ap.add_argument("--checkpoint")
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--ours-nudge", choices=["recomputed", "lagged"], default="recomputed",
                    help="our side's nudge mode: lagged is the stale error as an engine option (dynamics.nudge)")
    ap.add_argument("--ours-feedback", choices=["winners", "map"], default="winners",
                    help="our side's feedback source: map is the pre-pool-map feedback as an engine option (pool.feedback)")
    ap.add_argument("--ours-winner", choices=["feedforward", "state"], default="feedforward",
                    help="our side's winner rule: state is the winner over the pre-pool state map (pool.winner)")
    ap.add_argument("--ours-argmax", choices=["preactivation", "activation"], default="preactivation",
                    help="our side's argmax key: activation is the argmax over rho (pool.argmax)")
    ap.add_argument("--out")
    a = ap.parse_args()
    x, y = ac.load("train")
    rng = np.random.default_rng(0)
    sels = [rng.choice(len(y), a.batch_size, replace=False) for _ in range(a.batches)]
    net = ac.Net(np.random.default_rng(1), a.row)
    bd = net.bd.copy()
    if a.checkpoint:
        net.p = ac.checkpoint_params(a.checkpoint)
    switches = ["lag", "map"] if a.row == "table2" else ["error-lag", "map", "winner", "rho-argmax", "deconv"]
    variants = [[]] + [[s] for s in switches] + [switches]
    if a.row == "table1":
        variants.insert(-1, switches[1:])  # only the stale error left on
        variants.insert(-1, [s for s in switches if s != "map"])  # only the map feedback left on
        variants.insert(-1, [s for s in switches if s not in ("map", "error-lag")])  # only those two on
        if a.ours_winner == "state":
            variants.insert(-1, ["deconv", "init"])  # the notebook less its deconv bias, from our initial state
    with tempfile.TemporaryDirectory() as tmp:
        ref = [ours(net, x[s], y[s], tmp, a.ours_nudge, a.ours_feedback, a.ours_winner, a.ours_argmax) for s in sels]
        result = {"row": a.row, "weights": os.path.relpath(os.path.abspath(a.checkpoint), ROOT) if a.checkpoint
                  else "pytorch-init", "oursNudge": a.ours_nudge, "oursFeedback": a.ours_feedback,
                  "oursWinner": a.ours_winner, "oursArgmax": a.ours_argmax, "batches": a.batches, "batchSize": a.batch_size, "variants": []}
        for off in variants:
            net.lag = "lag" not in off
            net.feedback = "winners" if "map" in off else "map"
            net.bd = 0 * bd if "deconv" in off else bd
            net.error_lag = "error-lag" not in off
            net.winner = "feedforward" if "winner" in off else "state"
            net.argmax_key = "preactivation" if "rho-argmax" in off else "rho"
            net.init = "zero" if "init" in off else "notebook"
            per = []
            for s, o in zip(sels, ref):
                g = net.grads(x[s], y[s])
                per.append({k: {"cos": round(ac.cos(o[k], g[k]), 4),
                                "norm_ratio": round(float(np.linalg.norm(g[k]) / np.linalg.norm(o[k])), 3)}
                            for k in ("W0", "W1", "Wf")})
            name = "notebook" if not off else "notebook without " + " and ".join(off)
            result["variants"].append({"name": name, "per_batch": per})
            print(name + ": " + " | ".join(" ".join(f"{k} cos {v['cos']:.3f} x{v['norm_ratio']:.2f}"
                                                      for k, v in p.items()) for p in per), flush=True)
    if a.out:
        ac.write_atomic(a.out, result)


if __name__ == "__main__":
    sys.exit(main())
