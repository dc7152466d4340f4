/** Logging of the SIP layer: sip.js's logger factory and our own lines, one level filter. */
import { Core } from "sip.js";
import type { SipLogLevel, SipUserAgentOptions } from "./sip-user-agent-types.js";

/** SipLogOptions are the user agent's logging options. */
type SipLogOptions = Pick<SipUserAgentOptions, "log" | "logLevel">;

const LEVELS: Readonly<Record<SipLogLevel, Core.Levels>> = {
  error: Core.Levels.error,
  warn: Core.Levels.warn,
  log: Core.Levels.log,
  debug: Core.Levels.debug,
};

/** sipLoggerFactory is sip.js's logger factory sending its lines to `options.log`. */
export function sipLoggerFactory(options: SipLogOptions): Core.LoggerFactory {
  const factory = new Core.LoggerFactory();
  factory.builtinEnabled = false;
  factory.level = LEVELS[options.logLevel ?? "warn"];
  const log = options.log;
  if (log !== undefined) {
    factory.connector = (level, category, label, content) => {
      const text = typeof content === "string" ? content : String(content);
      log(level as SipLogLevel, label === undefined ? category : `${category}|${label}`, text);
    };
  }
  return factory;
}

/** layerLog returns the log function of this layer's own lines (category "framewire.sip"). */
export function layerLog(options: SipLogOptions): (level: SipLogLevel, message: string) => void {
  const wanted = LEVELS[options.logLevel ?? "warn"];
  return (level, message) => {
    if (LEVELS[level] <= wanted) options.log?.(level, "framewire.sip", message);
  };
}
