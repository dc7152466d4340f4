/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, while the demo
 * runs with its two built-in callers. The page must show 2 participants whose frame counters
 * rise and whose thumbnails are real pictures (decoded keyframes, not blank), and a screenshot
 * is saved (test-output/dashboard.png).
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { itWithPeers, onCleanup, runCleanups, sleep } from "@framewire/test-support/peers";
import { chromium } from "playwright-core";
import { afterEach, describe, expect } from "vitest";
import { startDemo } from "./demo-run.js";

const CHROMIUM = "/usr/bin/chromium";

// The few DOM shapes the page functions use (the package is typed for Node, without lib DOM).
interface PageImage {
  readonly hidden: boolean;
  readonly complete: boolean;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: "2d"): {
    drawImage(image: PageImage, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray };
  } | null;
}
interface PageDocument {
  querySelectorAll(selector: string): ArrayLike<PageImage>;
  createElement(tag: "canvas"): PageCanvas;
}

const withChromium = itWithPeers([CHROMIUM]);
const outDir = fileURLToPath(new URL("../test-output/", import.meta.url));

afterEach(runCleanups);

describe("dashboard (chromium + playwright-core)", () => {
  withChromium(
    "shows 2 participants with rising frame counters and non-blank thumbnails",
    async () => {
      expect(existsSync(CHROMIUM)).toBe(true);
      const demo = startDemo(["--duration", "40", "--port", "0", "--web-port", "0"], 90_000);
      onCleanup(() => demo.child.kill());
      const [, web] = await demo.line(/dashboard on (http:\/\/127\.0\.0\.1:\d+)/);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        timeout: 30_000,
      });
      onCleanup(() => browser.close());
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      const response = await page.goto(web!, { timeout: 15_000 });
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe("Framewire demo");

      const cards = page.locator(".card");
      await cards.nth(1).waitFor({ timeout: 20_000 });
      // wait for both thumbnails (one per participant, from its keyframes)
      await page.waitForFunction(
        () =>
          Array.from(
            (globalThis as unknown as { document: PageDocument }).document.querySelectorAll(
              ".card img",
            ),
          ).filter((i) => !i.hidden && i.complete && i.naturalWidth > 0).length === 2,
        undefined,
        { timeout: 20_000 },
      );
      expect(await cards.count()).toBe(2);
      const frames = () =>
        page.$$eval('[data-stat="framesIn"]', (els) => els.map((e) => Number(e.textContent)));
      const before = await frames();
      await sleep(2500);
      const after = await frames();
      expect(before).toHaveLength(2);
      for (let i = 0; i < 2; i++)
        expect(after[i]!, `participant ${i}: ${before[i]} → ${after[i]}`).toBeGreaterThan(
          before[i]! + 30,
        );

      // a thumbnail is a picture: its pixels vary (a blank or single-colour image would not)
      const spread = await page.$$eval(".card img", (imgs) =>
        imgs.map((img) => {
          const i = img as unknown as PageImage;
          const c = (globalThis as unknown as { document: PageDocument }).document.createElement(
            "canvas",
          );
          c.width = i.naturalWidth;
          c.height = i.naturalHeight;
          const g = c.getContext("2d")!;
          g.drawImage(i, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let sum = 0;
          let sq = 0;
          const n = d.length / 4;
          for (let p = 0; p < d.length; p += 4) {
            const y = 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
            sum += y;
            sq += y * y;
          }
          const mean = sum / n;
          return { w: c.width, h: c.height, std: Math.sqrt(sq / n - mean * mean) };
        }),
      );
      for (const s of spread) {
        expect([s.w, s.h]).toEqual([320, 180]);
        expect(s.std, "thumbnail luma spread").toBeGreaterThan(20);
      }
      const text = await page.locator("#rooms").textContent();
      expect(text).toContain("room demo · 2 participant(s)");
      await sleep(1500); // one more chart point
      mkdirSync(outDir, { recursive: true });
      await page.screenshot({ path: `${outDir}dashboard.png`, fullPage: true });
      expect(existsSync(`${outDir}dashboard.png`)).toBe(true);
      await browser.close();
      demo.child.kill("SIGINT");
      const { exit } = await demo.finished();
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    },
    120_000,
  );
});
