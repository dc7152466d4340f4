import { ConnectorError } from "../errors.js";

/** MediaModule is `@framewire/media` (node-av), loaded on demand. */
export type MediaModule = typeof import("@framewire/media");

let loading: Promise<MediaModule> | undefined;
let loaded: MediaModule | undefined;

/**
 * loadMedia loads `@framewire/media` (and with it node-av's native FFmpeg) once, when a raw
 * format is first asked for: a participant that takes and sends encoded frames never calls it.
 * Rejects with MEDIA_UNAVAILABLE when the optional peer dependency is not installed.
 */
export function loadMedia(): Promise<MediaModule> {
  loading ??= import("@framewire/media").then(
    (m: MediaModule) => {
      loaded = m;
      return m;
    },
    (cause: unknown) => {
      loading = undefined;
      throw new ConnectorError(
        "MEDIA_UNAVAILABLE",
        "raw video and audio need the optional peer dependency @framewire/media (npm install @framewire/media)",
        { cause },
      );
    },
  );
  return loading;
}

/** loadedMedia is `@framewire/media` when `loadMedia` has resolved, else undefined. */
export function loadedMedia(): MediaModule | undefined {
  return loaded;
}

/** requireLoadedMedia is the loaded media module, or an INVALID_STATE error saying what to call. */
export function requireLoadedMedia(what: string): MediaModule {
  if (loaded !== undefined) return loaded;
  throw new ConnectorError(
    "INVALID_STATE",
    `${what} needs raw media: await loadMedia() (or connect) first`,
  );
}
