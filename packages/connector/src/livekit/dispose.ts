import { releaseConverter } from "./video-frame.js";

/**
 * dispose is LiveKit's end-of-program call: here it frees what the facade shares across rooms
 * (the swscale contexts of `VideoFrame.convert`). Rooms, streams and sources are released by
 * `room.disconnect()`, `cancel()` and `close()`; calling it twice is fine.
 */
export async function dispose(): Promise<void> {
  releaseConverter();
}
