// What the H.264 depacketizer counts when it discards a payload or a NAL unit.

/** H264DropReason names why the H.264 depacketizer discarded a payload or a NAL unit. */
export type H264DropReason =
  | "empty-payload"
  | "reserved-nal-type"
  | "stap-b"
  | "mtap16"
  | "mtap24"
  | "fu-b"
  | "stap-a-malformed"
  | "fu-a-truncated"
  | "fu-a-without-start"
  | "fu-a-missing-fragment"
  | "fu-a-missing-end"
  | "fu-a-type-mismatch"
  | "fu-a-bad-type"
  | "nal-malformed"
  | "bad-sps"
  | "frame-too-large";

/** emptyDropCounts is a counter at 0 for every H264DropReason. */
export function emptyDropCounts(): Record<H264DropReason, number> {
  return {
    "empty-payload": 0,
    "reserved-nal-type": 0,
    "stap-b": 0,
    mtap16: 0,
    mtap24: 0,
    "fu-b": 0,
    "stap-a-malformed": 0,
    "fu-a-truncated": 0,
    "fu-a-without-start": 0,
    "fu-a-missing-fragment": 0,
    "fu-a-missing-end": 0,
    "fu-a-type-mismatch": 0,
    "fu-a-bad-type": 0,
    "nal-malformed": 0,
    "bad-sps": 0,
    "frame-too-large": 0,
  };
}
