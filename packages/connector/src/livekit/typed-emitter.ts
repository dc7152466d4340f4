import { EventEmitter } from "node:events";

/** EventMap is an event emitter's listeners by event name. */
export type EventMap = { [event: string]: (...args: never[]) => void };

/** TypedEmitter is Node's EventEmitter with listeners typed by event name (as `@livekit/typed-emitter`). */
export interface TypedEmitter<Events extends EventMap> {
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  prependOnceListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeAllListeners<E extends keyof Events>(event?: E): this;
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean;
  eventNames(): (keyof Events | string | symbol)[];
  rawListeners<E extends keyof Events>(event: E): Events[E][];
  listeners<E extends keyof Events>(event: E): Events[E][];
  listenerCount<E extends keyof Events>(event: E): number;
  getMaxListeners(): number;
  setMaxListeners(maxListeners: number): this;
}

/** typedEmitter is EventEmitter as the base class of a TypedEmitter. */
export function typedEmitter<Events extends EventMap>(): new () => TypedEmitter<Events> {
  return EventEmitter as unknown as new () => TypedEmitter<Events>;
}

/**
 * safeEmit calls each listener of `event` in turn; one that throws does not stop the others or
 * the caller (the media path): its error is rethrown on a later turn, as an uncaught error.
 */
export function safeEmit<Events extends EventMap, E extends keyof Events>(
  emitter: TypedEmitter<Events>,
  event: E,
  ...args: Parameters<Events[E]>
): void {
  for (const listener of emitter.rawListeners(event)) {
    try {
      (listener as unknown as (...a: unknown[]) => void).apply(emitter, args);
    } catch (e) {
      setImmediate(() => {
        throw e;
      });
    }
  }
}
