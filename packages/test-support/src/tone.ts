// Tones in audio samples, found without our code: the dominant frequency of a band (Welch's
// averaged, Hann-windowed FFT spectrum, peak refined between bins), the level of given
// frequencies (Goertzel), the RMS level, and sine tones to send.
import { MediaCheckError } from "./media-check-error.js";

/** AudioSamples are mono samples: Int16 (full scale 32768) or Float32 (full scale 1.0). */
export type AudioSamples = Int16Array | Float32Array;

/** FrequencyBand bounds the search of `dominantFrequency` (Hz, inclusive). */
export interface FrequencyBand {
  /** minHz defaults to 20. */
  readonly minHz?: number;
  /** maxHz defaults to half the sample rate. */
  readonly maxHz?: number;
}

function fullScale(samples: AudioSamples): number {
  return samples instanceof Int16Array ? 32768 : 1;
}

function checkRate(sampleRate: number): void {
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw new MediaCheckError("BAD_OPTION", `sampleRate must be > 0, got ${sampleRate}`);
  }
}

/** fftInPlace is an iterative radix-2 complex FFT of `re`/`im` (length a power of two). */
function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/** hann is the periodic Hann window of length `n`. */
function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/**
 * welchPower is the power spectrum (bins 0..n/2) averaged over Hann-windowed segments of `n`
 * samples with half overlap; a signal shorter than `n` is one zero-padded segment.
 */
function welchPower(samples: AudioSamples, n: number): Float64Array {
  const w = hann(n);
  const power = new Float64Array(n / 2 + 1);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const hop = n / 2;
  let segments = 0;
  for (let start = 0; segments === 0 || start + n <= samples.length; start += hop) {
    re.fill(0);
    im.fill(0);
    const end = Math.min(samples.length, start + n);
    for (let i = start; i < end; i++) re[i - start] = samples[i]! * w[i - start]!;
    fftInPlace(re, im);
    for (let k = 0; k <= n / 2; k++) power[k]! += re[k]! * re[k]! + im[k]! * im[k]!;
    segments++;
  }
  return power;
}

/**
 * dominantFrequency is the frequency (Hz) of the strongest spectral peak of `samples` within
 * `[minHz, maxHz]`: Welch's spectrum with segments of the smallest power of two that gives bins
 * of at most 1 Hz (fewer when the signal is shorter: it is zero-padded), the peak bin refined by
 * Gaussian interpolation (a pure tone comes out within about 0.1 Hz). NaN when the band holds no
 * energy (silence).
 */
export function dominantFrequency(
  samples: AudioSamples,
  sampleRate: number,
  band: FrequencyBand = {},
): number {
  checkRate(sampleRate);
  const minHz = band.minHz ?? 20;
  const maxHz = band.maxHz ?? sampleRate / 2;
  if (!(minHz >= 0 && maxHz > minHz && maxHz <= sampleRate / 2)) {
    throw new MediaCheckError(
      "BAD_OPTION",
      `the band must lie in 0..${sampleRate / 2} Hz with minHz < maxHz, got ${minHz}..${maxHz}`,
    );
  }
  if (samples.length === 0) return Number.NaN;
  let n = 2;
  while (n < sampleRate && n < 1 << 20) n <<= 1;
  const power = welchPower(samples, n);
  const binHz = sampleRate / n;
  const lo = Math.max(0, Math.ceil(minHz / binHz));
  const hi = Math.min(n / 2, Math.floor(maxHz / binHz));
  let peak = -1;
  for (let k = lo; k <= hi; k++) if (peak < 0 || power[k]! > power[peak]!) peak = k;
  if (peak < 0 || power[peak]! === 0) return Number.NaN;
  let delta = 0;
  const left = power[peak - 1];
  const right = power[peak + 1];
  if (left !== undefined && right !== undefined && left > 0 && right > 0) {
    const [a, b, c] = [Math.log(left), Math.log(power[peak]!), Math.log(right)];
    const den = a - 2 * b + c;
    if (den < 0) delta = Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / den));
  }
  return (peak + delta) * binHz;
}

/**
 * toneLevels is the level, in dBFS, of a sine at each of `freqs` (Hz) in `samples`: Goertzel's
 * DFT at exactly that frequency over the whole Hann-windowed signal, as an amplitude relative to
 * full scale (a full-scale sine gives 0 dBFS, one at half scale -6; -Infinity for none). Tones a
 * few Hz apart or more are told apart; e.g. both callers' 440 and 880 Hz in a mix.
 */
export function toneLevels(
  samples: AudioSamples,
  sampleRate: number,
  freqs: readonly number[],
): number[] {
  checkRate(sampleRate);
  const n = samples.length;
  const scale = fullScale(samples);
  const w = hann(n);
  let windowSum = 0;
  for (let i = 0; i < n; i++) windowSum += w[i]!;
  return freqs.map((hz) => {
    if (!Number.isFinite(hz) || hz < 0 || hz > sampleRate / 2) {
      throw new MediaCheckError("BAD_OPTION", `a tone lies in 0..${sampleRate / 2} Hz, got ${hz}`);
    }
    if (n === 0) return Number.NEGATIVE_INFINITY;
    const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const s = (samples[i]! / scale) * w[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const magnitude = Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2));
    // a sine of amplitude A gives |X| = A·Σw/2 (DC counts once: A·Σw)
    const amplitude = ((hz === 0 ? 1 : 2) * magnitude) / windowSum;
    return amplitude === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(amplitude);
  });
}

/** rmsDbfs is the RMS level of `samples` in dBFS (a full-scale sine is -3.01; silence -Infinity). */
export function rmsDbfs(samples: AudioSamples): number {
  if (samples.length === 0) return Number.NEGATIVE_INFINITY;
  const scale = fullScale(samples);
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i]! / scale) ** 2;
  return sum === 0 ? Number.NEGATIVE_INFINITY : 10 * Math.log10(sum / samples.length);
}

/**
 * sineTone is `count` Int16 samples at `sampleRate` of the sum of sines at `hz` (one or several),
 * each of amplitude `amplitude` (a fraction of full scale, default 0.25), starting at phase 0.
 */
export function sineTone(
  hz: number | readonly number[],
  sampleRate: number,
  count: number,
  amplitude = 0.25,
): Int16Array {
  checkRate(sampleRate);
  const freqs = typeof hz === "number" ? [hz] : hz;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new MediaCheckError("BAD_OPTION", `count must be an integer >= 0, got ${count}`);
  }
  if (!(amplitude >= 0) || amplitude * freqs.length > 1) {
    throw new MediaCheckError(
      "BAD_OPTION",
      `the tones' amplitudes must add up to at most 1, got ${freqs.length} x ${amplitude}`,
    );
  }
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (const f of freqs) v += amplitude * Math.sin((2 * Math.PI * f * i) / sampleRate);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  return out;
}
