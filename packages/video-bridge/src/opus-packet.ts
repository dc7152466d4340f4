/**
 * opusPacketSamples is an Opus packet's duration in 48 kHz samples, from its TOC byte
 * (RFC 6716 §3.1: configuration → frame size, code → frame count); 0 for a malformed packet.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const config = toc >> 3;
  // Frame size in 1/10 ms: SILK-only 10/20/40/60, hybrid 10/20, CELT-only 2.5/5/10/20.
  const tenths =
    config < 12
      ? ([100, 200, 400, 600] as const)[config & 3]
      : config < 16
        ? ([100, 200] as const)[config & 1]
        : ([25, 50, 100, 200] as const)[config & 3];
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    const count = packet[1];
    if (count === undefined) return 0;
    frames = count & 0x3f;
  } else frames = 2;
  return ((tenths as number) * 48 * frames) / 10;
}
