// The probes of given-up active-set walks (controller.ts `isProbe`): where the walks fail for good
// they cost little (powers of two, then every PROBE_MAX-th attempt), and a regime where they settle
// again is still tried within PROBE_MAX attempts.

import { describe, expect, it } from "vitest";
import { isProbe, PROBE_MAX } from "../controller.js";

describe("isProbe (the back-off of given-up active-set walks)", () => {
  it("probes at the 4th, 8th, 16th, 32nd, 64th consecutive failure, then every 64th", () => {
    const probes: number[] = [];
    for (let f = 3; f <= 320; f++) if (isProbe(f)) probes.push(f);
    expect(probes).toEqual([4, 8, 16, 32, 64, 128, 192, 256, 320]);
  });

  it("never leaves more than PROBE_MAX attempts between two probes, and probes a few % of 10000 attempts", () => {
    let last = 3;
    let count = 0;
    for (let f = 4; f <= 10000; f++) {
      if (!isProbe(f)) continue;
      expect(f - last).toBeLessThanOrEqual(PROBE_MAX);
      last = f;
      count++;
    }
    expect(10000 - last).toBeLessThan(PROBE_MAX);
    expect(count).toBe(4 + Math.floor(10000 / PROBE_MAX));
  });
});
