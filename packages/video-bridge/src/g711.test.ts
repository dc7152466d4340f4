import { describe, expect, it } from "vitest";
import { pcmuTone } from "../test/audio-fakes.js";
import { goertzelPower, sine, snrDb } from "../test/audio-signals.js";
import {
  ALAW_SILENCE,
  alawDecodeSample,
  alawEncodeSample,
  alawStepSize,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  MULAW_SILENCE,
  mulawDecodeSample,
  mulawEncodeSample,
  mulawStepSize,
} from "./g711.js";

const ALL_SAMPLES = (() => {
  const x = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) x[i] = i - 32768;
  return x;
})();
const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

const laws = [
  {
    name: "µ-law",
    encodeSample: mulawEncodeSample,
    decodeSample: mulawDecodeSample,
    encode: encodeMulaw,
    decode: decodeMulaw,
    step: mulawStepSize,
    // G.711 Table 2a: the largest reconstruction value is 8031 in 14-bit units (±8031 · 4).
    peak: 32124,
  },
  {
    name: "A-law",
    encodeSample: alawEncodeSample,
    decodeSample: alawDecodeSample,
    encode: encodeAlaw,
    decode: decodeAlaw,
    step: alawStepSize,
    // G.711 Table 1a: the largest reconstruction value is 4032 in 13-bit units (±4032 · 8).
    peak: 32256,
  },
] as const;

describe("G.711", () => {
  it("G.711 reference values: zero, full scale and the smallest steps", () => {
    expect(mulawEncodeSample(0)).toBe(0xff);
    expect(MULAW_SILENCE).toBe(0xff);
    expect(alawEncodeSample(0)).toBe(0xd5);
    expect(ALAW_SILENCE).toBe(0xd5);
    // µ-law: 0x80 is +max, 0x00 −max, 0xff +0 and 0x7f −0.
    expect(mulawDecodeSample(0x80)).toBe(32124);
    expect(mulawDecodeSample(0x00)).toBe(-32124);
    expect(mulawDecodeSample(0xff)).toBe(0);
    expect(mulawDecodeSample(0x7f)).toBe(0);
    expect(mulawEncodeSample(32767)).toBe(0x80);
    expect(mulawEncodeSample(-32768)).toBe(0x00);
    // µ-law segment 0 step 1 reconstructs 2 in 14-bit units; segment 7 starts at 4191 (Table 2a).
    expect(mulawDecodeSample(0xfe)).toBe(8);
    expect(mulawDecodeSample(0x8f)).toBe(4191 * 4);
    // A-law: 0xaa is +max, 0x2a −max, 0xd5 the smallest positive and 0x55 the smallest negative.
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawEncodeSample(-1)).toBe(0x55);
    expect(alawEncodeSample(32767)).toBe(0xaa);
    expect(alawEncodeSample(-32768)).toBe(0x2a);
    // A-law segment 7 starts at 2112 in 13-bit units (Table 1a).
    expect(alawDecodeSample(0x80 ^ 0x70 ^ 0x55)).toBe(2112 * 8);
  });

  for (const law of laws) {
    describe(law.name, () => {
      it("table encoder equals the computed encoder for all 65,536 samples", () => {
        const codes = law.encode(ALL_SAMPLES);
        for (let i = 0; i < 65536; i++) {
          if (codes[i] !== law.encodeSample(i - 32768)) {
            expect.fail(`sample ${i - 32768}: ${codes[i]} !== ${law.encodeSample(i - 32768)}`);
          }
        }
      });

      it("table decoder equals the computed decoder for all 256 codes", () => {
        const pcm = law.decode(ALL_CODES);
        for (let c = 0; c < 256; c++) expect(pcm[c]).toBe(law.decodeSample(c));
      });

      it("decode(encode(x)) is within half a quantisation step for all 16-bit x (a full step when clipped)", () => {
        const pcm = law.decode(law.encode(ALL_SAMPLES));
        let worstInRange = 0;
        let worstClipped = 0;
        for (let i = 0; i < 65536; i++) {
          const x = i - 32768;
          const c = law.encodeSample(x);
          const ratio = Math.abs((pcm[i] as number) - x) / law.step(c);
          // Beyond the top segment's decision range the code saturates at ±peak.
          if (Math.abs(x) > law.peak + law.step(c) / 2)
            worstClipped = Math.max(worstClipped, ratio);
          else worstInRange = Math.max(worstInRange, ratio);
        }
        expect(worstInRange).toBeLessThanOrEqual(0.5);
        expect(worstClipped).toBeLessThanOrEqual(1);
      });

      it("decoded value is monotonic in the input (no code is out of order)", () => {
        const pcm = law.decode(law.encode(ALL_SAMPLES));
        for (let i = 1; i < 65536; i++) {
          if ((pcm[i] as number) < (pcm[i - 1] as number)) expect.fail(`not monotonic at ${i}`);
        }
      });

      it("encode(decode(c)) === c for all 256 codes (µ-law: −0, 0x7f, encodes as +0, 0xff)", () => {
        const back = law.encode(law.decode(ALL_CODES));
        for (let c = 0; c < 256; c++) {
          if (law.name === "µ-law" && c === 0x7f) expect(back[c]).toBe(0xff);
          else expect(back[c]).toBe(c);
        }
      });

      it("SNR of a 1020 Hz sine round trip is ≥ 34 dB from −40 to −6 dBov (measured)", () => {
        const figures: string[] = [];
        for (const dbov of [-6, -10, -20, -30, -40]) {
          const amplitude = 32768 * Math.SQRT2 * 10 ** (dbov / 20);
          const x = sine(1020, 8000, 8000, amplitude, 0.1);
          const y = law.decode(law.encode(x));
          const snr = snrDb(x, y);
          figures.push(`${dbov} dBov: ${snr.toFixed(1)} dB`);
          expect(snr).toBeGreaterThan(34);
        }
        console.info(`${law.name} round-trip SNR: ${figures.join(", ")}`);
      });

      it("writes into a caller's buffer and rejects a short one", () => {
        const out = new Uint8Array(4);
        expect(law.encode(Int16Array.of(0, 0), out)).toBe(out);
        expect(() => law.encode(Int16Array.of(0, 0, 0, 0, 0), out)).toThrow(RangeError);
        const pcm = new Int16Array(2);
        expect(law.decode(Uint8Array.of(1, 2), pcm)).toBe(pcm);
        expect(() => law.decode(Uint8Array.of(1, 2, 3), pcm)).toThrow(RangeError);
      });
    });
  }

  it("pcmu-tone fixture: decodes to a 440 Hz tone and re-encodes to the same bytes", () => {
    const ulaw = pcmuTone();
    expect(ulaw.length).toBe(80_000);
    const pcm = decodeMulaw(ulaw);
    expect(encodeMulaw(pcm)).toEqual(ulaw);
    const at440 = goertzelPower(pcm, 440, 8000, 0, 8000);
    const at1000 = goertzelPower(pcm, 1000, 8000, 0, 8000);
    expect(10 * Math.log10(at440 / at1000)).toBeGreaterThan(40);
  });
});
