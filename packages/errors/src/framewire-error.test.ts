import { describe, expect, expectTypeOf, it } from "vitest";
import { FramewireError, isFramewireError } from "./framewire-error.js";
import { SHARED_ERROR_CODES, type SharedErrorCode } from "./shared-error-code.js";

type ExampleCode = "BAD_OPTION" | "EXAMPLE_BROKEN";

class ExampleError extends FramewireError<ExampleCode> {}
class FieldError extends ExampleError {
  constructor(readonly field: string) {
    super("BAD_OPTION", `${field} is wrong`);
  }
}

describe("FramewireError", () => {
  it("carries the code, prefixes the message with it and is an Error", () => {
    const e = new ExampleError("EXAMPLE_BROKEN", "the example broke");
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(FramewireError);
    expect(e.code).toBe("EXAMPLE_BROKEN");
    expect(e.message).toBe("EXAMPLE_BROKEN: the example broke");
    expect(e.name).toBe("ExampleError");
    expect(String(e)).toBe("ExampleError: EXAMPLE_BROKEN: the example broke");
    expect(e.stack).toContain("EXAMPLE_BROKEN: the example broke");
    expect(new FramewireError("X", "y").name).toBe("FramewireError");
    const f = new FieldError("mtu");
    expect([f.name, f.code, f.field, f.message]).toEqual([
      "FieldError",
      "BAD_OPTION",
      "mtu",
      "BAD_OPTION: mtu is wrong",
    ]);
  });

  it("keeps a cause when given one and has none otherwise", () => {
    const cause = new Error("EADDRINUSE");
    expect(new ExampleError("BAD_OPTION", "x", { cause }).cause).toBe(cause);
    expect("cause" in new ExampleError("BAD_OPTION", "x")).toBe(false);
  });

  it("types code as the subclass's union", () => {
    const e = new ExampleError("BAD_OPTION", "x");
    expectTypeOf(e.code).toEqualTypeOf<ExampleCode>();
    // @ts-expect-error a code outside the union does not compile
    new ExampleError("NOT_A_CODE", "x");
  });
});

describe("isFramewireError", () => {
  it("says yes for every subclass and no for anything else", () => {
    expect(isFramewireError(new ExampleError("BAD_OPTION", "x"))).toBe(true);
    expect(isFramewireError(new FramewireError("ANY", "x"))).toBe(true);
    for (const v of [new Error("BAD_OPTION: x"), { code: "BAD_OPTION" }, null, undefined, 1, "e"]) {
      expect(isFramewireError(v)).toBe(false);
    }
  });

  it("narrows on a code", () => {
    const e: unknown = new ExampleError("EXAMPLE_BROKEN", "x");
    expect(isFramewireError(e, "EXAMPLE_BROKEN")).toBe(true);
    expect(isFramewireError(e, "BAD_OPTION")).toBe(false);
    if (isFramewireError(e, "EXAMPLE_BROKEN"))
      expectTypeOf(e.code).toEqualTypeOf<"EXAMPLE_BROKEN">();
  });

  it("recognises an error made by another copy of the package (the mark is a registered symbol)", () => {
    // a second copy has its own class but the same Symbol.for key: emulate it
    const foreign = Object.create(Error.prototype) as Error & { code: string };
    foreign.code = "BAD_OPTION";
    Object.defineProperty(foreign, Symbol.for("@framewire/errors.FramewireError"), { value: true });
    expect(foreign instanceof FramewireError).toBe(false);
    expect(isFramewireError(foreign, "BAD_OPTION")).toBe(true);
  });
});

describe("SharedErrorCode", () => {
  it("lists each shared code once, and the type and the list agree", () => {
    expect(new Set(SHARED_ERROR_CODES).size).toBe(SHARED_ERROR_CODES.length);
    expectTypeOf<(typeof SHARED_ERROR_CODES)[number]>().toEqualTypeOf<SharedErrorCode>();
    expect(Object.isFrozen(SHARED_ERROR_CODES)).toBe(true);
  });
});
