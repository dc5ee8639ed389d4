#!/usr/bin/env python3
"""
An independent reference for fre's per-array analog read, written in NumPy from aihwkit's documented
semantics (IOParameters docstrings: inp_bound/inp_res, out_bound/out_res, out_noise, w_noise,
noise_management ABS_MAX, bound_management ITERATIVE; PCMLikeNoiseModel drift g(t) = g(t0)·(t/t0)^-nu)
and from fre's docs/chip-description.md for what aihwkit leaves open. No code from either project.

Usage: analog_mvm.py IN.npz PARAMS_JSON OUT.json
IN.npz holds, for one array read forward (y = (u+ - u-) x per sample, normalised units):
  u_plus [lines x inputs], u_minus [lines x inputs] (normalised conductances of the compiled netlist),
  x [samples x inputs] (inputs as given to the read), ours [samples x lines] (fre's converted reads).
PARAMS_JSON: {"name", "seed", "nm": "none"|"abs-max", "dac_bits": 0|b, "out_bound": 0|B, "out_bits": 0|b,
  "read_sigma", "read_ref": "range"|"target", "out_noise", "prog_sigma",
  "drift": {"nu","nu_std","t0","t","g_min_rel","compensation": "none"|"global"}}
Writes {"name", "reads", "exact": bool, "max_abs_diff" | "ks", "p"}.
Noise-free configurations are compared element by element; noisy ones by the two-sample
Kolmogorov-Smirnov test on the per-read error (read - noiseless product) distributions.
"""
import json
import math
import sys

import numpy as np


def quantise(v, bits, lo, hi):
    """fre's converters (docs/chip-description.md): 2^bits codes spanning [lo, hi] inclusive, clip then round."""
    if not bits:
        return v
    step = (hi - lo) / (2 ** bits - 1)
    return lo + np.round((np.clip(v, lo, hi) - lo) / step) * step


def program(u, p, rng):
    """Programming noise (per device, once), then drift (per device nu), on normalised conductances."""
    u = u.copy()
    if p.get("prog_sigma", 0) > 0:
        scale = u if p.get("prog_ref", "range") == "target" else 1.0
        u = np.clip(u + rng.standard_normal(u.shape) * p["prog_sigma"] * scale, 0.0, 1.0)
    d = p.get("drift")
    if d and d["t"] > d["t0"]:
        # On the absolute conductance g = g_min + u (g_max - g_min); g_r = g_min / (g_max - g_min).
        nu = d["nu"] + d["nu_std"] * rng.standard_normal(u.shape)
        gr = d.get("g_min_rel", 0.0)
        u = np.maximum((gr + u) * (d["t"] / d["t0"]) ** (-nu) - gr, 0.0)
    return u


def drift_compensation(w0, wt):
    """Global drift compensation: summed |output| of an all-ones read at t0 over that at t."""
    b = np.abs(wt.sum(axis=1)).sum()
    return np.abs(w0.sum(axis=1)).sum() / b if b > 0 else 1.0


def analog_read(up, um, x, p, rng):
    """One forward read of every sample: noise management, DAC, the array with per-device read
    noise (a fresh draw per device and read), output noise, ADC bound and resolution, rescale."""
    n = x.shape[0]
    if p.get("nm") == "abs-max":
        alpha = np.abs(x).max(axis=1, keepdims=True)
        alpha[alpha == 0] = 1.0
    else:
        alpha = np.ones((n, 1))
    xs = quantise(x / alpha, p.get("dac_bits", 0), -1.0, 1.0)
    y = np.empty((n, up.shape[0]))
    s = p.get("read_sigma", 0.0)
    for k in range(n):
        gp, gm = up, um
        if s > 0:
            ref_p = up if p.get("read_ref") == "target" else 1.0
            ref_m = um if p.get("read_ref") == "target" else 1.0
            gp = up + s * ref_p * rng.standard_normal(up.shape)
            gm = um + s * ref_m * rng.standard_normal(um.shape)
        y[k] = (gp - gm) @ xs[k]
    if p.get("out_noise", 0) > 0:
        y += p["out_noise"] * rng.standard_normal(y.shape)
    b = p.get("out_bound", 0)
    if b:
        y = quantise(y, p.get("out_bits", 0), -b, b) if p.get("out_bits") else np.clip(y, -b, b)
    return y * alpha


def ks_two_sample(a, b):
    """Two-sample Kolmogorov-Smirnov statistic D = sup |F_a - F_b| and its asymptotic p-value
    Q_KS((sqrt(ne) + 0.12 + 0.11/sqrt(ne)) D), ne = n m/(n + m), Q_KS(z) = 2 sum (-1)^(j-1) e^(-2 j^2 z^2)
    (Numerical Recipes, 3rd ed., section 14.3.3)."""
    a = np.sort(a)
    b = np.sort(b)
    v = np.concatenate([a, b])
    d = np.max(np.abs(np.searchsorted(a, v, side="right") / a.size - np.searchsorted(b, v, side="right") / b.size))
    ne = a.size * b.size / (a.size + b.size)
    z = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    if z < 1e-3:
        return float(d), 1.0
    q = sum(2 * (-1) ** (j - 1) * math.exp(-2 * j * j * z * z) for j in range(1, 101))
    return float(d), float(min(max(q, 0.0), 1.0))


def main():
    data = np.load(sys.argv[1])
    p = json.loads(sys.argv[2])
    up, um, x, ours = (data[k].astype(np.float64) for k in ("u_plus", "u_minus", "x", "ours"))
    rng = np.random.default_rng(p.get("seed", 0))
    noisy = any(p.get(k, 0) > 0 for k in ("read_sigma", "out_noise", "prog_sigma")) or bool(p.get("drift") and p["drift"]["nu_std"] > 0)
    gp, gm = program(up, p, rng), program(um, p, rng)
    ref = analog_read(gp, gm, x, p, rng)
    if p.get("drift") and p["drift"].get("compensation") == "global":
        ref = ref * drift_compensation(up - um, gp - gm)
    out = {"name": p["name"], "reads": int(ref.size)}
    if not noisy:
        diff = np.abs(ref - ours)
        # Converter codes: float32 (fre) and float64 (here) may round a value on a code boundary
        # differently; count the reads that differ by more than float32 rounding.
        out.update(exact=True, max_abs_diff=float(diff.max()), mismatches=int((diff > 1e-4).sum()))
    else:
        ideal = dict(p, read_sigma=0, out_noise=0, prog_sigma=0, drift=None, out_bound=0, dac_bits=p.get("dac_bits", 0))
        exact = analog_read(up, um, x, ideal, rng)
        ks, pv = ks_two_sample((ref - exact).ravel(), (ours - exact).ravel())
        out.update(exact=False, ks=ks, p=pv)
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
