/** Row-wise softmax, cross-entropy and argmax on batch-major [m × classes] buffers. */

/** p = softmax(z) per row, numerically stable (max subtracted). */
export function softmaxRows(z: Float32Array, p: Float32Array, m: number, c: number): void {
  for (let r = 0; r < m; r++) {
    const o = r * c;
    let max = -Infinity;
    for (let k = 0; k < c; k++) if (z[o + k] > max) max = z[o + k];
    let sum = 0;
    for (let k = 0; k < c; k++) {
      const e = Math.exp(z[o + k] - max);
      p[o + k] = e;
      sum += e;
    }
    for (let k = 0; k < c; k++) p[o + k] /= sum;
  }
}

/** Mean cross-entropy −log p[label] over the rows. */
export function crossEntropy(p: Float32Array, labels: Uint8Array, labelOffset: number, m: number, c: number, order?: Int32Array): number {
  let loss = 0;
  for (let r = 0; r < m; r++) {
    const y = labels[order ? order[labelOffset + r] : labelOffset + r];
    loss -= Math.log(Math.max(p[r * c + y], 1e-30));
  }
  return loss / m;
}

/** Number of rows whose argmax equals the label. */
export function countCorrect(z: Float32Array, labels: Uint8Array, labelOffset: number, m: number, c: number, order?: Int32Array): number {
  let correct = 0;
  for (let r = 0; r < m; r++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (z[r * c + k] > z[r * c + best]) best = k;
    if (best === labels[order ? order[labelOffset + r] : labelOffset + r]) correct++;
  }
  return correct;
}
