#!/usr/bin/env python3
"""
An independent executor of fre's compiled crossbar netlist (`fre.NetlistProto`, ir_version 2, op set
`ai.fre.crossbar` version 2), written in NumPy from the published format documents only — as a chip
team that receives a netlist and the docs would write it: docs/netlist.md ("The netlist is the
program", "Conventions" with "Conv edges", "The schedule", the op table, "ADC ranges"),
docs/conv-layout.md (im2row, the unrolled kernel, pooling), docs/chip-description.md
(conductance mapping, DAC/ADC quantisation, neuron unit, state register), docs/chip-simulator.md,
docs/graph-format.md (FRE-RNN dynamics, activations, optimisers) and proto/*.proto. No code of fre's
simulator was read to write it; where it and `fre simulate` disagreed, the document was fixed
(docs/netlist.md, "An independent executor").

It walks the schedule — phases in order, each `repeat` times, each iteration's ops in list order (a
valid order: deps name earlier ops) — batched over the samples, in float64.

Usage: netlist_exec.py NET.pb INPUTS.npz OUT.npz [--train] [--proto-dir DIR] [--bindings DIR]
                       [--tie-rel R] [--tie-abs A]
  NET.pb      a netlist (inline tensors; external data is not read).
  INPUTS.npz  x [m × input size] (float); with --train also y [m × classes] (one-hot targets).
  OUT.npz     always: logits [m × classes] (the LOGITS drive after the READOUT phase), pred [m] (the
              first largest logit), near [m] (bool: some quantiser of that sample — DAC, ADC, state
              register, LUT — was given a value within its float32 uncertainty of a rounding
              boundary, a max-pool window's two largest sums were that close (and not the same
              codes), or its two largest logits lie within 1e-9: there float32 and float64 executors
              may round apart and their runs part ways), ties_dac, ties_adc, ties_state, ties_lut,
              ties_pool (counts of such values), clipped_reads (sample reads whose first conversion clipped a line), rereads (bound
              management's re-reads).
              With --train: the sample batch runs all six phases, then the optimiser of
              training_info steps every trained edge once; adds W_<edge> [rows × cols] (weights after
              the batch), W0_<edge> (before), b_<edge> (biases after, edges with a bias), loss (mean
              cross-entropy of the free phase).
  --proto-dir DIR   where netlist.proto and chip.proto are (default: ../../proto from this file).
  --bindings DIR    where to write (or find) the protoc-generated netlist_pb2.py (default: a
                    temporary directory); protoc must be on PATH.
  --tie-rel R       relative float32 uncertainty of a drive or DAC input (default 1e-6, 16 unit
                    roundoffs; an ADC sum of n products uses (n + 2)·2^-24 instead); see `near`.
  --tie-abs A       absolute uncertainty of a nonzero state (default 4e-7: fre's tanh kernel is a
                    rational approximation within 3e-7, plus float32 rounding).

A value halfway between two codes rounds by the one rule of docs/netlist.md, "Rounding at a code
boundary" (both of fre's backends): k = floor((v − lo)/step + 0.5) in float64.

Covered: dense edges (W tiles, symmetric feedback by transposed reads, random feedback B tiles),
conv edges (im2row patches streamed through the tiles, max or average pooling, feedback unpooled
through the latest forward read's winners and summed back by row2im, the update over the patches of
the first nudged iteration's read; docs/conv-layout.md for the layout), biases, differential and offset-column cells, level-index and float conductances, DAC (clip,
quantise), abs-max noise management, ADC per read kind (clip, quantise, each-side pair conversion,
iterative bound management), gains, held-drive accumulation (graph mode's scale_by_step), exact /
PWL / LUT activations, the state register, the ERROR / NUDGED / UPDATE phases with state-registers
learning signal, SGD / Adam / AdamW with L2 or decoupled decay and gradient-norm clipping, and an
exact-update commit (nearest level, clipped at ±w_max). Not covered (refused with a message): any
noise or drift (σ > 0 draws from fre's own random stream, which no document fixes), stuck devices,
pulsed updates, the difference-register learning signal.
"""
import argparse
import importlib
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_bindings(proto_dir, out_dir):
    """protoc --python_out: the netlist's own schema, compiled here rather than committed."""
    out_dir = out_dir or tempfile.mkdtemp(prefix="netlist-pb2-")
    os.makedirs(out_dir, exist_ok=True)
    if not os.path.exists(os.path.join(out_dir, "netlist_pb2.py")):
        subprocess.run(
            ["protoc", f"--python_out={out_dir}", "-I", proto_dir, "netlist.proto", "chip.proto"],
            check=True,
        )
    sys.path.insert(0, out_dir)
    net_pb2 = importlib.import_module("netlist_pb2")
    chip_pb2 = importlib.import_module("chip_pb2")
    # One namespace for the enum values of both files (proto3 enums are module-level constants).
    for name in dir(chip_pb2):
        if name.isupper() and not hasattr(net_pb2, name):
            setattr(net_pb2, name, getattr(chip_pb2, name))
    return net_pb2


class Ties:
    """Values a quantiser received so near a rounding boundary that a float32 executor may pick the
    other code: |distance to the boundary| < err, err the value's float32 uncertainty (below). Counts
    them per quantiser and marks their samples, whose runs may part ways from then on
    (docs/netlist.md, "An independent executor")."""

    def __init__(self, m, rel, absolute):
        self.rel = rel
        self.abs = absolute
        self.near = np.zeros(m, dtype=bool)
        self.only = None  # samples whose values count (bound management's re-reads); None: all
        self.counts = {"dac": 0, "adc": 0, "state": 0, "lut": 0, "pool": 0}

    def err(self, v, mag):
        """float32 uncertainty of v: rel × the magnitude of what was summed or scaled to form it, and
        abs for a nonzero value (fre's activation kernels approximate tanh within 3e-7; an exact 0 —
        a zero input, a clamp, a sum of zeros — is exact in both executors)."""
        return self.rel * mag + np.where(v != 0, self.abs, 0.0)

    def note(self, kind, v, lo, hi, step, err):
        """v: values after clipping, positions (v − lo)/step; a boundary lies at every k + ½."""
        pos = (v - lo) / step
        dist = np.abs(pos - np.floor(pos) - 0.5) * step
        hit = (dist < err) & (v > lo) & (v < hi)
        if self.only is not None:
            hit &= self.only.reshape((-1,) + (1,) * (hit.ndim - 1))
        self.counts[kind] += int(hit.sum())
        self.near |= hit.reshape(self.near.shape[0], -1).any(axis=1)  # conv rows are sample-major

    def note_gap(self, kind, gap, err):
        """A choice between values (a max-pool window's winner): apart by less than err = a tie."""
        hit = gap < err
        self.counts[kind] += int(hit.sum())
        self.near |= hit.reshape(self.near.shape[0], -1).any(axis=1)


def quantise(v, lo, hi, step, ties, kind, err):
    """A converter or register of 2^bits codes evenly spaced over [lo, hi], ends included
    (docs/chip-description.md: dac.inputRange, stateBits/stateRange; the ADC over ±full scale):
    clip, then the code lo + k·step. step 0 = float: the value passes unchanged, not clipped either
    (docs/chip-simulator.md).
    err: v's float32 uncertainty (Ties).

    A value exactly halfway between two codes is common (with 2^bits codes over a symmetric range 0
    is one: a zero input, a clamped state, a sum of zeros); docs/netlist.md ("Rounding at a code
    boundary") fixes one rule for every converter: k = ⌊(v − lo)/step + ½⌋ in float64, a division,
    lo, hi and step float64 numbers. A value this executor forms in float64 may still lie within
    float32 reach of a boundary where fre's float32 value does not (Ties marks those)."""
    if not step:
        return v  # float: neither clipped nor rounded
    v = np.clip(v, lo, hi)
    ties.note(kind, v, lo, hi, step, err)
    k = np.floor((v - lo) / step + 0.5)
    return lo + k * step


def adc_quantise(v, fs, step, ties, err):
    """An ADC conversion: clipped at ±fs (0 = unbounded), then coded by the one rule with the netlist's
    float32 full scale and step as float64 numbers (step 0 = a float ADC: clipping only)."""
    if not fs:
        return v
    return quantise(np.clip(v, -fs, fs), -fs, fs, step, ties, "adc", err)


def slope(kind, h, pb):
    """|ρ'(h)| of the exact function: how far an uncertainty in h moves s."""
    if kind == pb.ACTIVATION_TANH:
        return 1.0 - np.tanh(h) ** 2
    if kind == pb.ACTIVATION_HARD_SIGMOID:
        return ((h > 0) & (h < 1)).astype(np.float64)
    if kind == pb.ACTIVATION_SIGMOID:
        s = activation_exact(kind, h, pb)
        return 4.0 * s * (1.0 - s)
    return np.ones_like(h)


def activation_exact(kind, h, pb):
    """proto Activation: tanh, clamp(x, 0, 1), prototype EP's sigmoid 1/(1 + e^−4(x − ½)), identity."""
    if kind == pb.ACTIVATION_TANH:
        return np.tanh(h)
    if kind == pb.ACTIVATION_HARD_SIGMOID:
        return np.clip(h, 0.0, 1.0)
    if kind == pb.ACTIVATION_SIGMOID:
        return 1.0 / (1.0 + np.exp(-4.0 * (h - 0.5)))
    if kind == pb.ACTIVATION_IDENTITY:
        return h
    raise SystemExit(f"netlist_exec: activation {kind} of a hidden group is not one of tanh, hard-sigmoid, sigmoid")


def activation(kind, h, impl, pb, ties, mag):
    """chip.neuron.activation: exact; piecewise-linear between segments + 1 evenly spaced breakpoints
    over [input_min, input_max], flat outside; LUT: the nearest of lut_entries evenly spaced samples
    (ends included), clamped outside."""
    if impl.kind in (pb.ACTIVATION_IMPL_KIND_EXACT, pb.ACTIVATION_IMPL_KIND_UNSPECIFIED):
        return activation_exact(kind, h, pb)
    lo, hi = impl.input_min, impl.input_max
    if impl.kind == pb.ACTIVATION_IMPL_KIND_PIECEWISE_LINEAR:
        xs = np.linspace(lo, hi, impl.segments + 1)
        return np.interp(h, xs, activation_exact(kind, xs, pb))
    if impl.kind == pb.ACTIVATION_IMPL_KIND_LUT:
        n = impl.lut_entries
        xs = np.linspace(lo, hi, n)
        step = (hi - lo) / (n - 1)
        hc = np.clip(h, lo, hi)
        ties.note("lut", hc, lo, hi, step, ties.err(h, mag))
        # The index by the rule of docs/netlist.md ("Rounding at a code boundary"): ⌊(h − lo)·scale + ½⌋
        # in float64, scale = (n − 1)/(hi − lo), clamped to the table.
        scale = (n - 1) / (hi - lo)
        return activation_exact(kind, xs, pb)[np.clip(np.floor((hc - lo) * scale + 0.5).astype(int), 0, n - 1)]
    raise SystemExit(f"netlist_exec: activation implementation {impl.kind} unknown")


def decode_plane(t, levels, pb):
    """TensorProto → normalised conductances u [rows × cols]: level indices q give u = q/(levels − 1),
    FLOAT32 holds u itself (docs/netlist.md, Conventions: Conductances)."""
    if t.HasField("external_data") and not t.raw_data:
        raise SystemExit("netlist_exec: external tensor data is not supported (compile without --external-data)")
    dt = {pb.DATA_TYPE_UINT8: "<u1", pb.DATA_TYPE_UINT16: "<u2", pb.DATA_TYPE_FLOAT32: "<f4"}[t.data_type]
    a = np.frombuffer(t.raw_data, dtype=dt).astype(np.float64).reshape(tuple(t.dims))
    return a if t.data_type == pb.DATA_TYPE_FLOAT32 else a / (levels - 1)


class Conv:
    """A conv edge's geometry (ConvGeometryProto) and its layout (docs/conv-layout.md): im2row patches
    [m·P × C·k·k] with column r = (c·k + ky)·k + kx and row b·P + oy·OW + ox; maps [m × C × H × W]."""

    def __init__(self, g, pb):
        self.k, self.s, self.p = g.kernel, g.stride, g.padding
        self.C, self.H, self.W = g.in_channels, g.in_height, g.in_width
        self.O, self.OH, self.OW = g.out_channels, g.out_height, g.out_width
        self.P = g.positions
        self.pool = {pb.POOL_KIND_MAX: "max", pb.POOL_KIND_AVG: "avg"}.get(g.pool)
        self.ps, self.pst = g.pool_size, g.pool_stride
        if self.pool:
            self.PH = (self.OH - self.ps) // self.pst + 1
            self.PW = (self.OW - self.ps) // self.pst + 1

    def _taps(self):
        """Per (ky, kx): the rows and columns of the padded map each output position reads."""
        oy = np.arange(self.OH)[:, None] * self.s
        ox = np.arange(self.OW)[None, :] * self.s
        for ky in range(self.k):
            for kx in range(self.k):
                yield ky, kx, oy + ky, ox + kx

    def im2row(self, x):
        m = x.shape[0]
        xp = np.pad(x.reshape(m, self.C, self.H, self.W), ((0, 0), (0, 0), (self.p,) * 2, (self.p,) * 2))
        out = np.zeros((m, self.OH, self.OW, self.C, self.k, self.k))
        for ky, kx, iy, ix in self._taps():
            out[..., ky, kx] = xp[:, :, iy, ix].transpose(0, 2, 3, 1)
        return out.reshape(m * self.P, self.C * self.k * self.k)

    def row2im(self, rows):
        """The adjoint of im2row: every patch entry added into the map unit it was read from."""
        m = rows.shape[0] // self.P
        r = rows.reshape(m, self.OH, self.OW, self.C, self.k, self.k)
        xp = np.zeros((m, self.C, self.H + 2 * self.p, self.W + 2 * self.p))
        for ky, kx, iy, ix in self._taps():
            np.add.at(xp, (slice(None), slice(None), iy, ix), r[..., ky, kx].transpose(0, 3, 1, 2))
        return xp[:, :, self.p : self.p + self.H, self.p : self.p + self.W].reshape(m, -1)

    def _windows(self):
        py = np.arange(self.PH)[:, None] * self.pst
        px = np.arange(self.PW)[None, :] * self.pst
        for dy in range(self.ps):
            for dx in range(self.ps):
                yield dy * self.ps + dx, py + dy, px + dx

    def pool_rows(self, rows, win=None):
        """Position-major rows [m·P × O] → the to group's values [m × O·PH·PW] and, for max pooling,
        each window's winner (first largest in row-major window order; given: taken as is), and the
        gap between each window's two largest values (for Ties)."""
        m = rows.shape[0] // self.P
        z = rows.reshape(m, self.OH, self.OW, self.O).transpose(0, 3, 1, 2)
        if not self.pool:
            return z.reshape(m, -1), None, None
        cand = np.stack([z[:, :, iy, ix] for _, iy, ix in self._windows()], axis=-1)
        if self.pool == "avg":
            return cand.mean(axis=-1).reshape(m, -1), None, None
        if win is None:
            win = cand.argmax(axis=-1)  # numpy's argmax: the first maximum
        order = np.argsort(-cand, axis=-1, kind="stable")
        first, second = order[..., 0], order[..., min(1, self.ps**2 - 1)]
        gap = np.take_along_axis(cand, first[..., None], -1) - np.take_along_axis(cand, second[..., None], -1)
        gap = gap[..., 0] if self.ps > 1 else np.full(win.shape, np.inf)
        return np.take_along_axis(cand, win[..., None], -1)[..., 0].reshape(m, -1), win, (gap, first, second)

    def window_rows(self, w):
        """Window entry w of every pooled unit [m × O × PH × PW] → its patch row (b·P + oy·OW + ox)."""
        m = w.shape[0]
        py = np.arange(self.PH)[None, None, :, None] * self.pst + w // self.ps
        px = np.arange(self.PW)[None, None, None, :] * self.pst + w % self.ps
        return np.arange(m)[:, None, None, None] * self.P + py * self.OW + px

    def unpool_rows(self, v, win):
        """The to group's values [m × O·PH·PW] (or [m × O·OH·OW] unpooled) → position-major rows
        [m·P × O]: through the winners (max) or spread evenly over each window (avg)."""
        m = v.shape[0]
        if not self.pool:
            z = v.reshape(m, self.O, self.OH, self.OW)
        else:
            v = v.reshape(m, self.O, self.PH, self.PW)
            z = np.zeros((m, self.O, self.OH, self.OW))
            for w, iy, ix in self._windows():
                share = (win == w) * v if self.pool == "max" else v / self.ps**2
                np.add.at(z, (slice(None), slice(None), iy, ix), share)
        return z.transpose(0, 2, 3, 1).reshape(m * self.P, self.O)


class Array:
    """One programmed array: its tile's normalised weights (u+ − u−, or 2(u − ½)) and its gains."""

    def __init__(self, a, chip, pb):
        levels = chip.crossbar.levels
        self.proto = a
        self.id = a.id
        self.edge = a.edge
        self.role = a.role
        self.rows = a.row_end - a.row_begin
        self.cols = a.col_end - a.col_begin
        up = decode_plane(a.g_plus, levels, pb)
        if chip.crossbar.cell == pb.CELL_KIND_OFFSET_COLUMN:
            # The reference column (u = ½) sits after the weight columns; it cancels the offset.
            up = up[:, : self.cols]
            self.u_plus = np.maximum(2 * (up - 0.5), 0.0)
            self.u_minus = np.maximum(-2 * (up - 0.5), 0.0)
        else:
            self.u_plus = up
            self.u_minus = decode_plane(a.g_minus, levels, pb)
        assert self.u_plus.shape == (self.rows, self.cols), (a.id, self.u_plus.shape)
        self.g = a.gains
        self.part = None  # the latest read's sensed lines
        self.part_sides = None  # each-side conversion: (u+ sum, u− sum)
        self.scale = None  # abs-max / bound-management factor per sample
        self.kind = None  # "forward" | "transposed" | "nudge"
        self.transposed = False
        self.rereading = False
        self.converted = None

    @property
    def w(self):
        return self.u_plus - self.u_minus


class Executor:
    """The netlist's schedule over a batch of m samples: every buffer [m × units], float64."""

    def __init__(self, net, pb, m, tie):
        self.net = net
        self.pb = pb
        self.chip = net.chip
        self.m = m
        self.ties = Ties(m, *tie)  # (rel, abs): see --tie-rel, --tie-abs
        self.refuse_unsupported()
        self.groups = list(net.groups)
        self.edges = list(net.edges)
        self.arrays = [Array(a, self.chip, pb) for a in net.arrays]
        self.reductions = list(net.reductions)
        dac = self.chip.periphery.dac
        self.dac_range = (dac.input_min, dac.input_max)
        neu = self.chip.neuron
        # state_min = state_max = 0 (netlists written before the fields): the DAC input range.
        self.state_range = (neu.state_min, neu.state_max) if neu.state_min != neu.state_max else self.dac_range
        self.output = next(g.id for g in self.groups if g.role == pb.GROUP_ROLE_OUTPUT)
        self.bias = [np.array(e.bias, dtype=np.float64) if len(e.bias) else None for e in self.edges]
        self.conv = [Conv(e.conv, pb) if e.HasField("conv") else None for e in self.edges]
        self.logits = None
        self.clipped_reads = 0  # sample reads whose conversion clipped a line
        self.rereads = 0  # bound management's re-reads of a sample
        self.abs_max = self.chip.periphery.adc.noise_management == pb.NOISE_MANAGEMENT_ABS_MAX

    def refuse_unsupported(self):
        pb, c = self.pb, self.chip
        cb, adc = c.crossbar, c.periphery.adc
        noisy = [
            ("crossbar.programming_noise", cb.programming_noise.sigma),
            ("crossbar.read_noise", cb.read_noise.sigma),
            ("crossbar.low_frequency_read_noise", cb.low_frequency_read_noise.sigma),
            ("crossbar.drift.nu", cb.drift.nu),
            ("crossbar.drift.nu_std", cb.drift.nu_std),
            ("crossbar.stuck_at.on_probability", cb.stuck_at.on_probability),
            ("crossbar.stuck_at.off_probability", cb.stuck_at.off_probability),
            ("periphery.adc.output_noise", adc.output_noise),
            ("neuron.state_noise", c.neuron.state_noise),
        ]
        bad = [k for k, v in noisy if v != 0]
        if cb.noise_model == pb.NOISE_MODEL_PCM_AIHWKIT:
            bad.append("crossbar.noise_model pcm-aihwkit")
        if cb.wire_resistance_ohm:
            bad.append("crossbar.wire_resistance_ohm")
        if bad:
            raise SystemExit("netlist_exec: random draws come from fre's own noise stream; set to 0: " + ", ".join(bad))
        ls = c.neuron.learning_signal.kind
        if ls not in (pb.LEARNING_SIGNAL_KIND_UNSPECIFIED, pb.LEARNING_SIGNAL_KIND_STATE_REGISTERS):
            raise SystemExit("netlist_exec: only the state-registers learning signal is covered")

    # ---- buffers ---------------------------------------------------------------------------------

    def begin(self, x, y):
        """At the start of a sample every state and drive buffer is zero (docs/netlist.md)."""
        pb = self.pb
        m = self.m
        z = lambda g: np.zeros((m, g.size))  # noqa: E731
        self.x = x
        self.y = y
        self.s = [z(g) for g in self.groups]
        self.s_next = {}
        self.s0 = [z(g) for g in self.groups]
        self.delta = [z(g) for g in self.groups]
        buffers = (pb.DRIVE_BUFFER_STEP, pb.DRIVE_BUFFER_INPUT, pb.DRIVE_BUFFER_NUDGE, pb.DRIVE_BUFFER_LOGITS)
        self.drive = {b: [z(g) for g in self.groups] for b in buffers}  # per DriveBuffer, per group
        self.dmag = {b: [z(g) for g in self.groups] for b in buffers}  # Σ|terms| of each drive (Ties)
        self.e = np.zeros((m, self.groups[self.output].size))
        self.e0 = self.e.copy()
        self.p0 = None
        self.grads = [None] * len(self.edges)
        self.bias_grads = [None] * len(self.edges)
        n = len(self.edges)
        self.combined = {}  # (edge, "fwd" | "fb") → a conv edge's combined partial sums of the iteration
        self.winners = [None] * n  # a max-pooled conv edge's latest forward winners
        # The update's operands of a conv edge: its forward read's patches and winners, as the first
        # nudged iteration's read left them (docs/netlist.md, OuterProductUpdate).
        self.latched = [None] * n
        self.latch_open = True

    def operand(self, src, g):
        pb = self.pb
        if src == pb.OPERAND_INPUT or (src == pb.OPERAND_STATE and g == 0):
            return self.x
        if src == pb.OPERAND_STATE:
            return self.s[g]
        if src == pb.OPERAND_FREE_STATE:
            return self.x if g == 0 else self.s0[g]
        if src == pb.OPERAND_DELTA:
            return self.delta[g]
        if src == pb.OPERAND_ERROR:
            return self.e
        if src == pb.OPERAND_FREE_ERROR:
            return self.e0
        if src == pb.OPERAND_TARGET:
            return self.y
        raise SystemExit(f"netlist_exec: operand {src} cannot drive a read")

    # ---- the array read and its conversion ---------------------------------------------------------

    def read_kind(self, arr, op, transposed):
        """Which ADC range converts a read (docs/netlist.md, ADC ranges): forward reads of W; reads
        carrying the output error (the nudge); other feedback reads (W transposed, B) carry a state."""
        pb = self.pb
        if op.source in (pb.OPERAND_ERROR, pb.OPERAND_FREE_ERROR):
            return "nudge"
        if transposed or arr.role == pb.ARRAY_ROLE_RANDOM_FEEDBACK:
            return "transposed"
        return "forward"

    def adc_range(self, arr):
        g = arr.g
        fs, step = {
            "forward": (g.adc_full_scale_forward, g.adc_step),
            "transposed": (g.adc_full_scale_transposed, g.adc_step_transposed),
            "nudge": (g.adc_full_scale_nudge, g.adc_step_nudge),
        }[arr.kind]
        return fs, step

    def array_read(self, op, transposed):
        pb = self.pb
        arr = self.arrays[op.array]
        x = self.operand(op.source, op.group)
        cv = self.conv[arr.edge]
        if cv is not None:
            if transposed or arr.role == pb.ARRAY_ROLE_RANDOM_FEEDBACK:
                # The to group's values unpooled through the latest forward read's winners, one row per position.
                x = cv.unpool_rows(x, self.winners[arr.edge])
            else:
                x = cv.im2row(x)
                if self.latch_open:
                    self.latched[arr.edge] = (x, None)
        x = x[:, op.begin : op.end]
        want = arr.rows if transposed else arr.cols
        assert x.shape[1] == want, f"op {op.label}: {x.shape[1]} driven lines, array has {want}"
        arr.kind = self.read_kind(arr, op, transposed)
        arr.transposed = transposed
        scale = np.ones((x.shape[0], 1))
        if self.abs_max:
            # Each sample's (conv: each patch's) input lines of this read divided by their largest magnitude.
            amax = np.abs(x).max(axis=1, keepdims=True)
            scale = np.where(amax > 0, amax, 1.0)
        arr.x_scaled = x * (1.0 / scale)
        arr.scale = scale
        self.sense(arr)

    def sense(self, arr):
        """p = Ŵ_tile·DAC(x) / w_max in normalised units (u+ − u−), per side for each-side conversion."""
        lo, hi = self.dac_range
        x = arr.x_scaled
        dac = self.chip.periphery.dac
        err = self.ties.err(x, np.abs(x))
        # The one rule (docs/netlist.md, "Rounding at a code boundary") with the step (hi − lo)/(2^bits − 1)
        # in float64 from the chip's DAC; a scaled input (or a conv edge's patch) is a float32 value first.
        step = (hi - lo) / (2**dac.bits - 1) if arr.g.dac_step else 0.0
        if self.abs_max or arr.rereading or self.conv[arr.edge] is not None:
            x = x.astype(np.float32).astype(np.float64)
        xq = quantise(x, lo, hi, step, self.ties, "dac", err)
        up, um = (arr.u_plus, arr.u_minus) if arr.transposed else (arr.u_plus.T, arr.u_minus.T)
        arr.part_sides = (xq @ up, xq @ um)
        arr.part = arr.part_sides[0] - arr.part_sides[1]
        # Σ|terms| of each sensed line, per side (u ≥ 0): the scale of a float32 sum's rounding.
        arr.mag_sides = (np.abs(xq) @ up, np.abs(xq) @ um)

    def convert_once(self, arr):
        """Clip to ± the array's full scale for the read kind, quantise to its step; returns the
        codes and which samples clipped."""
        pb = self.pb
        fs, step = self.adc_range(arr)
        lo, hi = (-fs, fs) if fs else (None, None)
        each = self.chip.periphery.adc.pair_conversion == pb.PAIR_CONVERSION_EACH_SIDE
        parts = arr.part_sides if each else (arr.part,)
        mags = arr.mag_sides if each else (arr.mag_sides[0] + arr.mag_sides[1],)
        clipped = np.zeros(arr.part.shape[0], dtype=bool)
        out = []
        for p, mag in zip(parts, mags):
            if fs:
                clipped |= (np.abs(p) > fs).any(axis=1)
            # A float32 sum of n products is within (n + 2)·2^−24·Σ|terms| of the exact one (the
            # products' own rounding and u's float32 copy included): no other uncertainty reaches it
            # while the DAC codes agree (a DAC tie marks its sample already).
            n = arr.x_scaled.shape[1]
            out.append(adc_quantise(p, fs, step, self.ties, (n + 2) * 2.0**-24 * mag))
        return (out[0] - out[1] if each else out[0]), clipped

    def adc_convert(self, op):
        pb = self.pb
        arr = self.arrays[op.array]
        adc = self.chip.periphery.adc
        y, clipped = self.convert_once(arr)
        self.clipped_reads += int(clipped.sum())
        factor = np.ones((y.shape[0], 1))
        if adc.bound_management == pb.BOUND_MANAGEMENT_ITERATIVE and clipped.any():
            # A sample whose read clipped is read again with its input halved, up to max_rereads
            # times, keeping the first re-read that fits (or the last), its output × 2^k.
            x0 = arr.x_scaled.copy()
            todo = clipped.copy()
            for k in range(1, adc.max_rereads + 1):
                if not todo.any():
                    break
                arr.x_scaled = x0 / 2**k
                self.rereads += int(todo.sum())
                self.ties.only = todo
                arr.rereading = True
                self.sense(arr)
                yk, ck = self.convert_once(arr)
                arr.rereading = False
                self.ties.only = None
                y[todo] = yk[todo]
                factor[todo] = 2.0**k
                todo &= ck
            arr.x_scaled = x0
        arr.converted = y * factor * arr.scale

    # ---- accumulation, neuron unit ------------------------------------------------------------------

    def accumulate(self, op, it, bias_after):
        pb = self.pb
        tgt = self.drive[op.target][op.group]
        mag = self.dmag[op.target][op.group]
        if op.source == pb.OPERAND_HELD_DRIVE:
            k = it + 1 if op.scale_by_step else 1
            tgt[:, op.begin : op.end] += k * self.drive[op.held][op.group][:, op.begin : op.end]
            mag[:, op.begin : op.end] += k * self.dmag[op.held][op.group][:, op.begin : op.end]
            return
        arr = self.arrays[op.array]
        # The array's gain register (the op repeats it; fre validate checks they agree).
        gain = arr.g.transposed if arr.transposed else arr.g.forward
        if self.conv[arr.edge] is not None:
            self.accumulate_conv(op, arr, gain, bias_after)
            return
        tgt[:, op.begin : op.end] += gain * arr.converted
        mag[:, op.begin : op.end] += np.abs(gain * arr.converted)
        if bias_after and self.bias[arr.edge] is not None:
            e = self.edges[arr.edge]
            tgt += e.alpha * self.bias[arr.edge]
            mag += np.abs(e.alpha * self.bias[arr.edge])

    def accumulate_conv(self, op, arr, gain, last):
        """A conv edge's partial sums: combined per patch over the tiles (forward: the array's rows
        are output channels; feedback: its sensed lines are patch columns), then, after the last
        Accumulate of the edge's reads of that kind in the iteration, pooled with α·bias added
        (forward) or summed back into the map (row2im, feedback), into the drive."""
        pb = self.pb
        cv = self.conv[arr.edge]
        a = arr.proto
        fwd = arr.role == pb.ARRAY_ROLE_WEIGHT and not arr.transposed
        key = (arr.edge, "fwd" if fwd else "fb")
        if key not in self.combined:
            self.combined[key] = np.zeros((self.m * cv.P, cv.O if fwd else cv.C * cv.k * cv.k))
        c = self.combined[key]
        lo, hi = (a.col_begin, a.col_end) if arr.transposed else (a.row_begin, a.row_end)
        c[:, lo:hi] += gain * arr.converted
        mag_c = self.combined.setdefault(key + ("mag",), np.zeros_like(c))
        mag_c[:, lo:hi] += np.abs(gain * arr.converted)
        if fwd:
            # Each channel's converted values per tile column: two window entries with the same ones
            # tie exactly in any arithmetic (the same sum of the same numbers), a harmless tie.
            grid = self.edges[arr.edge].tile_grid_cols
            sig = self.combined.setdefault(key + ("sig",), np.zeros((c.shape[0], c.shape[1], grid)))
            sig[:, lo:hi, a.tile_col] = arr.converted
        if not last:
            return
        tgt = self.drive[op.target][op.group]
        mag = self.dmag[op.target][op.group]
        if fwd:
            v, win, top = cv.pool_rows(c)
            vmag = cv.pool_rows(mag_c, win)[0]
            if top is not None:
                gap, first, second = top
                sig = self.combined.pop(key + ("sig",))
                o = np.arange(cv.O)[None, :, None, None]
                same = (sig[cv.window_rows(first), o] == sig[cv.window_rows(second), o]).all(axis=-1)
                gap = np.where(same, np.inf, gap)
                self.ties.note_gap("pool", gap.reshape(self.m, -1), self.ties.rel * vmag)
            self.winners[arr.edge] = win
            if self.latch_open:
                self.latched[arr.edge] = (self.latched[arr.edge][0], win)
            if self.bias[arr.edge] is not None:
                per_unit = np.repeat(self.bias[arr.edge], v.shape[1] // cv.O)
                v = v + self.edges[arr.edge].alpha * per_unit
            tgt += v
            mag += vmag
        else:
            tgt += cv.row2im(c)
            mag += cv.row2im(mag_c)
        for k in [k for k in self.combined if k[:2] == key]:
            del self.combined[k]

    def neuron_update(self, op):
        pb = self.pb
        g = self.groups[op.group]
        h = self.drive[pb.DRIVE_BUFFER_STEP][op.group]
        mag = self.dmag[pb.DRIVE_BUFFER_STEP][op.group]
        s = activation(g.activation, h, self.chip.neuron.activation, pb, self.ties, mag)
        lo, hi = self.state_range
        # s's uncertainty: h's through the slope (0 where hard-sigmoid clamps), and the kernels' own.
        err = self.ties.rel * mag * slope(g.activation, h, pb) + np.where(s != 0, self.ties.abs, 0.0)
        # The one rule with the step (hi − lo)/(2^bits − 1) in float64 from the chip's state register.
        step = (hi - lo) / (2**self.chip.neuron.state_bits - 1) if g.state_step else 0.0
        self.s_next[op.group] = quantise(s, lo, hi, step, self.ties, "state", err)
        self.drive[pb.DRIVE_BUFFER_STEP][op.group] = np.zeros_like(h)
        self.dmag[pb.DRIVE_BUFFER_STEP][op.group] = np.zeros_like(h)

    def readout_error(self, op, phase_kind):
        pb = self.pb
        z = self.drive[pb.DRIVE_BUFFER_LOGITS][op.group]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        self.e = self.y - p
        if phase_kind == pb.PHASE_KIND_ERROR:
            self.e0 = self.e.copy()
            self.p0 = p
        self.drive[pb.DRIVE_BUFFER_LOGITS][op.group] = np.zeros_like(z)
        self.dmag[pb.DRIVE_BUFFER_LOGITS][op.group] = np.zeros_like(z)

    def outer_product(self, op):
        """g_tile = scale·post[rows]ᵀ·pre[cols] summed over the batch; scale = −1/m, ÷ β_f on
        hidden edges when training_info.divide_by_beta_f (TrainingInfoProto); the bias gradient
        (scale·Σ post over the edge's rows) once per edge."""
        pb = self.pb
        arr = self.arrays[op.array]
        e = self.edges[arr.edge]
        post = self.operand(op.post, op.post_group)
        pre = self.operand(op.pre, op.pre_group)
        cv = self.conv[arr.edge]
        if cv is not None:
            # Summed over the patches: pre the latched read's patches, post unpooled through its winners.
            pre, win = self.latched[arr.edge]
            post = cv.unpool_rows(post, win)
        a = arr.proto
        scale = -1.0 / self.m
        if self.net.training_info.divide_by_beta_f and e.to_group != self.output:
            scale /= self.net.dynamics.beta_f
        if self.grads[arr.edge] is None:
            self.grads[arr.edge] = np.zeros((e.rows, e.cols))
            self.bias_grads[arr.edge] = scale * post.sum(axis=0)  # conv: summed over positions too
        self.grads[arr.edge][a.row_begin : a.row_end, a.col_begin : a.col_end] += scale * (
            post[:, a.row_begin : a.row_end].T @ pre[:, a.col_begin : a.col_end]
        )

    # ---- the schedule -------------------------------------------------------------------------------

    def last_accumulates(self, phase):
        """Per edge and kind of read (forward reads of W; feedback reads), the index of the last
        Accumulate in an iteration: the bias add (forward), pooling and row2im happen after it
        (docs/netlist.md, Accumulate). A dense edge's feedback has nothing to do there."""
        pb = self.pb
        last = {}
        for i, op in enumerate(phase.ops):
            if op.op_type == "Accumulate" and op.source == pb.OPERAND_PARTIAL_SUM:
                r = self.reductions[op.reduction]
                fwd = r.role == pb.ARRAY_ROLE_WEIGHT and r.read == pb.READ_KIND_FORWARD
                if fwd or self.conv[r.edge] is not None:
                    last[(r.edge, fwd)] = i
        return set(last.values())

    def run_phase(self, phase):
        pb = self.pb
        bias_at = self.last_accumulates(phase)
        for it in range(phase.repeat):
            for i, op in enumerate(phase.ops):
                t = op.op_type
                if t in ("LoadInput", "LoadTarget", "Send", "Receive"):
                    continue  # data movement: numerically the identity
                if t == "ArrayRead":
                    self.array_read(op, transposed=False)
                elif t == "ArrayReadTransposed":
                    self.array_read(op, transposed=True)
                elif t == "AdcConvert":
                    self.adc_convert(op)
                elif t == "Accumulate":
                    self.accumulate(op, it, i in bias_at)
                elif t == "NeuronUpdate":
                    self.neuron_update(op)
                elif t == "ReadoutError":
                    self.readout_error(op, phase.kind)
                elif t == "SaveState":
                    self.s0[op.group] = self.s[op.group].copy()
                elif t == "StateDelta":
                    self.delta[op.group] = self.s[op.group] - self.s0[op.group]
                elif t == "OuterProductUpdate":
                    self.outer_product(op)
                else:
                    raise SystemExit(f"netlist_exec: op {t} is not in op set ai.fre.crossbar 2")
            # The iteration is a barrier: the next states become current.
            for g, s in self.s_next.items():
                self.s[g] = s
            self.s_next = {}
            if phase.kind == pb.PHASE_KIND_NUDGED:
                self.latch_open = False
        if phase.kind == pb.PHASE_KIND_READOUT:
            self.logits = self.drive[pb.DRIVE_BUFFER_LOGITS][self.output].copy()

    def run(self, x, y=None, train=False):
        self.begin(x, y)
        for phase in self.net.schedule.phases:
            if phase.training_only and not train:
                continue
            self.run_phase(phase)
        return self.logits

    # ---- weights and the optimiser (training) --------------------------------------------------------

    def edge_weights(self, e):
        """W of an edge from its arrays: (u+ − u−)·w_max (docs/chip-description.md, the convention)."""
        w = np.zeros((e.rows, e.cols))
        for a in e.arrays:
            arr = self.arrays[a]
            w[arr.proto.row_begin : arr.proto.row_end, arr.proto.col_begin : arr.proto.col_end] = arr.w
        return w * e.weights.w_max

    def optimiser_step(self):
        """One step of training_info's optimiser (graph-format.md, PyTorch semantics) on every edge
        the update phase gave a gradient, at epoch 0 of the schedule (the rate itself)."""
        pb = self.pb
        ti = self.net.training_info
        if ti.optimizer not in (pb.OPTIMIZER_KIND_SGD, pb.OPTIMIZER_KIND_ADAM, pb.OPTIMIZER_KIND_ADAMW):
            raise SystemExit(f"netlist_exec: optimiser {ti.optimizer} unknown")
        trained = [i for i, g in enumerate(self.grads) if g is not None]
        params = []
        for i in trained:
            params.append((i, "W", self.edge_weights(self.edges[i]), self.grads[i]))
            if self.bias[i] is not None:
                params.append((i, "b", self.bias[i], self.bias_grads[i]))
        if ti.clip_grad_norm > 0:
            norm = np.sqrt(sum(float((g * g).sum()) for _, _, _, g in params))
            c = ti.clip_grad_norm / (norm + 1e-6)
            if c < 1:
                params = [(i, k, w, g * c) for i, k, w, g in params]
        new = {}
        for i, k, w, g in params:
            lr = ti.edge_lr[i]
            lam = ti.weight_decay
            if ti.optimizer == pb.OPTIMIZER_KIND_SGD:
                g = g + lam * w
                v = g  # momentum buffer starts as g (PyTorch): one step
                w = w - lr * v
            else:
                if ti.optimizer == pb.OPTIMIZER_KIND_ADAMW:
                    w = w * (1 - lr * lam)
                elif lam:
                    g = g + lam * w
                m1 = (1 - ti.beta1) * g
                m2 = (1 - ti.beta2) * g * g
                mhat = m1 / (1 - ti.beta1)
                vhat = m2 / (1 - ti.beta2)
                w = w - lr * mhat / (np.sqrt(vhat) + ti.eps)
            new[(i, k)] = w
        return new

    def commit(self, new):
        """The devices realise the step: exact update to the nearest level (continuous: exactly),
        requests clipped at ±w_max on a level chip (docs/chip-simulator.md, learning in situ)."""
        pb = self.pb
        cb = self.chip.crossbar
        if cb.WhichOneof("update") != "exact_update":
            raise SystemExit("netlist_exec: only the exact update model is covered")
        out = {}
        for (i, k), w in new.items():
            if k == "b":
                self.bias[i] = w
                continue
            e = self.edges[i]
            if cb.levels:
                u = np.clip(w / e.weights.w_max, -1.0, 1.0)
                step = 2.0 if cb.cell == pb.CELL_KIND_OFFSET_COLUMN else 1.0
                q = np.sign(u) * np.floor(np.abs(u) * (cb.levels - 1) / step + 0.5)
                w = q * step / (cb.levels - 1) * e.weights.w_max
            out[i] = w
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("netlist")
    ap.add_argument("inputs")
    ap.add_argument("out")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--proto-dir", default=os.path.join(HERE, "..", "..", "proto"))
    ap.add_argument("--bindings", default=None)
    ap.add_argument("--tie-rel", type=float, default=1e-6)
    ap.add_argument("--tie-abs", type=float, default=4e-7)
    a = ap.parse_args()

    pb = load_bindings(a.proto_dir, a.bindings)
    net = pb.NetlistProto()
    with open(a.netlist, "rb") as f:
        net.ParseFromString(f.read())
    if net.ir_version != 2:
        raise SystemExit(f"netlist_exec: ir_version {net.ir_version}, this executor knows 2")
    ops = [(o.domain, o.version) for o in net.opset_import]
    if ops != [("ai.fre.crossbar", 2)]:
        raise SystemExit(f"netlist_exec: op sets {ops}, this executor knows ai.fre.crossbar 2")

    data = np.load(a.inputs)
    x = data["x"].astype(np.float64)
    y = data["y"].astype(np.float64) if a.train else None
    ex = Executor(net, pb, x.shape[0], (a.tie_rel, a.tie_abs))
    w_before = {}
    if a.train:
        w_before = {e.name: ex.edge_weights(e) for e in ex.edges}
    logits = ex.run(x, y, a.train)
    out = {
        "logits": logits,
        "pred": logits.argmax(axis=1),
    }
    top2 = np.sort(logits, axis=1)[:, -2:] if logits.shape[1] > 1 else None
    if top2 is not None:
        ex.ties.near |= (top2[:, 1] - top2[:, 0]) < 1e-9
    out["near"] = ex.ties.near
    out["clipped_reads"] = np.array(ex.clipped_reads)
    out["rereads"] = np.array(ex.rereads)
    for k, v in ex.ties.counts.items():
        out[f"ties_{k}"] = np.array(v)
    if a.train:
        new = ex.commit(ex.optimiser_step())
        for e in ex.edges:
            out[f"W0_{e.name}"] = w_before[e.name]
            out[f"W_{e.name}"] = new.get(e.id, w_before[e.name])
            if ex.bias[e.id] is not None:
                out[f"b_{e.name}"] = ex.bias[e.id]
        p0 = np.clip(ex.p0, 1e-300, None)
        out["loss"] = np.array(-(y * np.log(p0)).sum(axis=1).mean())
    np.savez(a.out, **out)


if __name__ == "__main__":
    main()
