#!/bin/sh
# What explains the in-situ numbers: device physics alone (ideal periphery: float DAC/ADC, no read
# noise, reram's update physics), device noise removed, BL, and mixed precision on pcm.
# mnist-demo (adam) / mnist-demo-sgd (coincidence), 1 epoch, 10k train / 2k test. From the repo root.
set -e
D=bench/results/updates
OUT=$D/sweep.jsonl
: > $OUT
L="--epochs 1 --train-limit 10000 --test-limit 2000 --json"
line() { tail -n 1 | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); r['label']='$1'; print(json.dumps(r))" >> $OUT; }
for s in row-programmed mixed-precision; do
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/ideal-periphery-$s.json --train $L 2>/dev/null | line "ideal periphery + reram update physics, $s, adam"
done
node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/ideal-periphery-stochastic-coincidence.json --train $L 2>/dev/null | line "ideal periphery + reram update physics, stochastic-coincidence, sgd"
for c in reram-coincidence-no-spread reram-coincidence-no-device-noise reram-coincidence-bl8 reram-coincidence-bl128; do
  node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/$c.json --train $L 2>/dev/null | line "$c, sgd"
done
for w in max x4; do
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/pcm-mixed-precision.json --w-max $w --train $L 2>/dev/null | line "pcm mixed-precision, adam, w-max $w"
done
# Which device property costs coincidence its accuracy: hard bounds on reram; ideal periphery with
# ideal devices (dw_min 0.001, no noise, no spread, hard bounds), and with soft bounds only.
node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/reram-coincidence-hard-bounds.json --train $L 2>/dev/null | line "reram-coincidence-hard-bounds, sgd"
node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/ideal-periphery-coincidence-ideal-devices.json --train $L 2>/dev/null | line "ideal periphery, coincidence, ideal devices (hard bounds, no noise), sgd"
node dist/cli/main.js run $D/mnist-demo-sgd.json --chip $D/ideal-periphery-coincidence-soft-bounds-only.json --train $L 2>/dev/null | line "ideal periphery, coincidence, soft bounds only, sgd"
# pcm's update physics (dw_min 0.002, asymmetry 0.3, c2c 0.3, soft bounds, aihwkit spreads) with an ideal periphery.
for w in max x4; do
  node dist/cli/main.js run examples/mnist-demo.json --chip $D/ideal-periphery-pcm-mixed-precision.json --w-max $w --train $L 2>/dev/null | line "ideal periphery + pcm update physics, mixed-precision, adam, w-max $w"
done
