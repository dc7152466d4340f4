/** Test signals and measurements for the audio tests (sines, Goertzel power, SNR). */

/** sine returns `n` Int16 samples of a sine of `hz` at `rate` with peak `amplitude`. */
export function sine(
  hz: number,
  rate: number,
  n: number,
  amplitude = 10_000,
  phase = 0,
  start = 0,
): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (i + start)) / rate + phase));
    out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
  }
  return out;
}

/** rms of samples [from, to). */
export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) {
    const v = x[i] as number;
    s += v * v;
  }
  return to > from ? Math.sqrt(s / (to - from)) : 0;
}

/** db converts an amplitude ratio to decibels. */
export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/** goertzelPower is the power of `hz` in samples [from, to), normalised to amplitude²/2 for a sine. */
export function goertzelPower(
  x: ArrayLike<number>,
  hz: number,
  rate: number,
  from = 0,
  to = x.length,
): number {
  const n = to - from;
  const w = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = (x[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const p = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * p) / (n * n);
}

/** zeroCrossings counts sign changes (negative ↔ non-negative) in [from, to). */
export function zeroCrossings(x: ArrayLike<number>, from = 0, to = x.length): number {
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if ((x[i - 1] as number) < 0 !== (x[i] as number) < 0) count++;
  }
  return count;
}

/** snrDb is the ratio of the reference's power to the power of (test − reference), in dB. */
export function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const e = (test[i] as number) - r;
    sig += r * r;
    noise += e * e;
  }
  return 10 * Math.log10(sig / noise);
}

/** concat joins Int16 chunks. */
export function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
