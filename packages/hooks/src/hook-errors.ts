import { FramewireError } from "@framewire/errors";

/** HookErrorCode names the failures `@framewire/hooks` reports. */
export type HookErrorCode = "HOOK_TIMEOUT" | "HOOK_INVALID_RESULT" | "BAD_OPTION";

/** HookError is the typed error of `@framewire/hooks`; switch on `code`, not on the message. */
export class HookError extends FramewireError<HookErrorCode> {}
