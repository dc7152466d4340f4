// report: a test's measured figures, printed as one line.

/** report prints one `[e2e] name: k=v ...` line (the figures of a run; objects as JSON). */
export function report(name: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => {
      if (typeof v === "number" && !Number.isInteger(v)) return `${k}=${v.toFixed(2)}`;
      if (typeof v === "object" && v !== null) return `${k}=${JSON.stringify(v)}`;
      return `${k}=${String(v)}`;
    })
    .join(" ");
  console.info(`[e2e] ${name}: ${text}`);
}
