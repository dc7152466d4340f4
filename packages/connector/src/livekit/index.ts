export { AudioFrame, combineAudioFrames } from "./audio-frame.js";
export { AudioSource, type AudioSourceOptions } from "./audio-source.js";
