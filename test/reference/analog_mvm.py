#!/usr/bin/env python3
"""
An independent reference for fre's per-array analog read, written in NumPy from aihwkit's documented
semantics (IOParameters docstrings: inp_bound/inp_res, out_bound/out_res, out_noise, w_noise,
noise_management ABS_MAX, bound_management ITERATIVE; PCMLikeNoiseModel drift g(t) = g(t0)·(t/t0)^-nu,
and the PCM statistical model of aihwkit's "PCM inference" documentation page: programming noise
sigma_prog(g_T), drift exponent nu ~ N(mu_nu(g_T), sigma_nu(g_T)), 1/f read noise
sigma_nG(t) = g_drift(t) Q_s(g_T) sqrt(log((t + t_read)/(2 t_read))))
and from fre's docs/chip-description.md for what aihwkit leaves open (a low-frequency read-noise
offset held across the reads of a sample; a differential pair converted side by side). No code from
either project.

Usage: analog_mvm.py IN.npz PARAMS_JSON OUT.json
IN.npz holds, for one array read forward (y = (u+ - u-) x per sample, normalised units):
  u_plus [lines x inputs], u_minus [lines x inputs] (normalised conductances of the compiled netlist),
  x [samples x inputs] (inputs as given to the read), ours [samples x lines] (fre's converted reads);
  with "lowfreq": also x2, ours2 (a second read of the same samples, other inputs, same held offsets).
PARAMS_JSON: {"name", "seed", "nm": "none"|"abs-max", "dac_bits": 0|b, "out_bound": 0|B, "out_bits": 0|b,
  "read_sigma", "read_ref": "range"|"target", "out_noise", "prog_sigma",
  "drift": {"nu","nu_std","t0","t","g_min_rel","compensation": "none"|"global"},
  "lowfreq": {"sigma", "ref": "range"|"target"} (a per-device offset drawn once per sample),
  "pair": "difference"|"each-side",
  "pcm": {"g_min_us", "g_max_us", "t0", "t", "compensation"} (the PCM statistical model; replaces prog_sigma and drift)}
Writes {"name", "reads", "exact": bool, "max_abs_diff" | "ks", "p"}.
Noise-free configurations are compared element by element; noisy ones by the two-sample
Kolmogorov-Smirnov test on the per-read error (read - noiseless product) distributions.
"""
import json
import math
import sys

import numpy as np


def quantise(v, bits, lo, hi):
    """fre's converters (docs/chip-description.md): 2^bits codes spanning [lo, hi] inclusive, clip then
    round by the rule of docs/netlist.md ("Rounding at a code boundary"): floor(x + 0.5) in float64, not
    np.round (half to even)."""
    if not bits:
        return v
    step = (hi - lo) / (2 ** bits - 1)
    return lo + np.floor((np.clip(v, lo, hi) - lo) / step + 0.5) * step


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


def pcm_program(u, c, rng):
    """PCM programming noise (aihwkit docs): g_prog = g_T + N(0, sigma_prog), sigma_prog =
    max(-1.1731 g_T^2 + 1.9650 g_T + 0.2635, 0) in uS for g_max = 25 uS (scaled by g_max/25),
    g_T = target conductance / g_max; conductances stay >= 0."""
    span = c["g_max_us"] - c["g_min_us"]
    g = c["g_min_us"] + u * span
    gt = g / c["g_max_us"]
    sig = np.maximum(-1.1731 * gt ** 2 + 1.9650 * gt + 0.2635, 0.0) * c["g_max_us"] / 25.0
    return np.maximum(g + sig * rng.standard_normal(u.shape), 0.0), gt


def pcm_at(g_prog, gt, c, rng):
    """Drift then accumulated 1/f noise at t = t0 + t_inference (aihwkit docs): nu ~ N(mu, sigma),
    mu = min(max(-0.0155 ln g_T + 0.0244, 0.049), 0.1), sigma = min(max(-0.0125 ln g_T - 0.0059, 0.008), 0.045);
    g_drift = g_prog (t/t0)^-nu; g = g_drift + N(0, g_drift Q_s sqrt(ln((t + t_read)/(2 t_read)))),
    Q_s = min(0.0088 / g_T^0.65, 0.2), t_read = 250 ns; conductances stay >= 0."""
    lg = np.log(np.maximum(gt, 1e-7))
    mu = np.clip(-0.0155 * lg + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * lg - 0.0059, 0.008, 0.045)
    nu = mu + sd * rng.standard_normal(gt.shape)
    t0 = c["t0"]
    t = t0 + c["t"]
    g_drift = g_prog * (t / t0) ** (-nu)
    with np.errstate(divide="ignore"):
        qs = np.minimum(0.0088 / np.power(gt, 0.65), 0.2)
    t_read = 250e-9
    sig = np.abs(g_drift) * qs * math.sqrt(math.log((t + t_read) / (2 * t_read)))
    return np.maximum(g_drift + sig * rng.standard_normal(gt.shape), 0.0)


def drift_compensation(w0, wt):
    """Global drift compensation: summed |output| of an all-ones read at t0 over that at t."""
    b = np.abs(wt.sum(axis=1)).sum()
    return np.abs(w0.sum(axis=1)).sum() / b if b > 0 else 1.0


def analog_read(up, um, x, p, rng, held=None):
    """One forward read of every sample: noise management, DAC, the array with per-device read
    noise (a fresh draw per device and read) and the sample's held low-frequency offsets (held[k] =
    (offset of G+, offset of G-)), output noise, ADC bound and resolution — of the difference, or of
    each side before a digital subtraction ("pair": "each-side") — and rescale."""
    n = x.shape[0]
    if p.get("nm") == "abs-max":
        alpha = np.abs(x).max(axis=1, keepdims=True)
        alpha[alpha == 0] = 1.0
    else:
        alpha = np.ones((n, 1))
    xs = quantise(x / alpha, p.get("dac_bits", 0), -1.0, 1.0)
    yp = np.empty((n, up.shape[0]))
    ym = np.empty((n, up.shape[0]))
    s = p.get("read_sigma", 0.0)
    for k in range(n):
        gp, gm = up, um
        if held is not None:
            gp = gp + held[k][0]
            gm = gm + held[k][1]
        if s > 0:
            ref_p = up if p.get("read_ref") == "target" else 1.0
            ref_m = um if p.get("read_ref") == "target" else 1.0
            gp = gp + s * ref_p * rng.standard_normal(up.shape)
            gm = gm + s * ref_m * rng.standard_normal(um.shape)
        yp[k] = gp @ xs[k]
        ym[k] = gm @ xs[k]
    b = p.get("out_bound", 0)

    def convert(y):
        if p.get("out_noise", 0) > 0:
            y = y + p["out_noise"] * rng.standard_normal(y.shape)
        if b:
            y = quantise(y, p.get("out_bits", 0), -b, b) if p.get("out_bits") else np.clip(y, -b, b)
        return y

    # One converter per side (two conversions, each with its own noise and clipping), or one of the difference.
    y = convert(yp) - convert(ym) if p.get("pair") == "each-side" else convert(yp - ym)
    return y * alpha


def held_offsets(up, um, n, lf, rng):
    """Per sample, per device: the low-frequency conductance offsets of G+ and G-, N(0, sigma) relative
    to the range (1) or to the device's conductance ("target")."""
    out = []
    for _ in range(n):
        rp = up if lf["ref"] == "target" else 1.0
        rm = um if lf["ref"] == "target" else 1.0
        out.append((lf["sigma"] * rp * rng.standard_normal(up.shape), lf["sigma"] * rm * rng.standard_normal(um.shape)))
    return out


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
    noisy = (
        any(p.get(k, 0) > 0 for k in ("read_sigma", "out_noise", "prog_sigma"))
        or bool(p.get("drift") and p["drift"]["nu_std"] > 0)
        or bool(p.get("lowfreq") or p.get("pcm"))
    )
    if p.get("pcm"):
        c = p["pcm"]
        span = c["g_max_us"] - c["g_min_us"]
        (g_prog_p, gt_p), (g_prog_m, gt_m) = pcm_program(up, c, rng), pcm_program(um, c, rng)
        gp = (pcm_at(g_prog_p, gt_p, c, rng) - c["g_min_us"]) / span
        gm = (pcm_at(g_prog_m, gt_m, c, rng) - c["g_min_us"]) / span
        # Global drift compensation reads once after programming (aihwkit docs) and once at t.
        w_programmed = (g_prog_p - g_prog_m) / span
    else:
        gp, gm = program(up, p, rng), program(um, p, rng)
    held = held_offsets(gp, gm, x.shape[0], p["lowfreq"], rng) if p.get("lowfreq") else None
    ref = analog_read(gp, gm, x, p, rng, held)
    if p.get("drift") and p["drift"].get("compensation") == "global":
        ref = ref * drift_compensation(up - um, gp - gm)
    if p.get("pcm") and p["pcm"].get("compensation") == "global":
        ref = ref * drift_compensation(w_programmed, gp - gm)
    out = {"name": p["name"], "reads": int(ref.size)}
    if not noisy:
        diff = np.abs(ref - ours)
        # Converter codes: float32 (fre) and float64 (here) may round a value on a code boundary
        # differently; count the reads that differ by more than float32 rounding.
        out.update(exact=True, max_abs_diff=float(diff.max()), mismatches=int((diff > 1e-4).sum()))
    else:
        ideal = dict(p, read_sigma=0, out_noise=0, prog_sigma=0, drift=None, out_bound=0, dac_bits=p.get("dac_bits", 0), pair="difference")
        exact = analog_read(up, um, x, ideal, rng)
        ks, pv = ks_two_sample((ref - exact).ravel(), (ours - exact).ravel())
        if p.get("lowfreq"):
            # The second read of the same samples with other inputs and the SAME held offsets: the
            # change of the error between the two reads tells a shared offset from a redrawn one.
            x2, ours2 = data["x2"].astype(np.float64), data["ours2"].astype(np.float64)
            # "redrawn": true makes the reference draw new offsets for the second read (a negative control).
            held2 = held_offsets(gp, gm, x.shape[0], p["lowfreq"], rng) if p["lowfreq"].get("redrawn") else held
            ref2 = analog_read(gp, gm, x2, p, rng, held2)
            exact2 = analog_read(up, um, x2, ideal, rng)
            ks2, pv2 = ks_two_sample(((ref2 - exact2) - (ref - exact)).ravel(), ((ours2 - exact2) - (ours - exact)).ravel())
            out.update(reads=int(ref.size + ref2.size), ks_change=ks2, p_change=pv2)
            ks, pv = max(ks, ks2), min(pv, pv2)
        out.update(exact=False, ks=ks, p=pv)
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
