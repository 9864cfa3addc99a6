import { describe, expect, it } from "vitest";
import { LIVE_PUSH_INTERVAL_MS } from "../../src/policy/live";
import type { Store } from "../../src/storage";
import { Coalescer, Live } from "../../src/workspace/live";

/**
 * The live balance's pushes on a test clock and a hand-run scheduler (src/workspace/live.ts):
 * coalescing, and no cost at all while no socket is open.
 */

/** A clock and a timer queue the test runs by hand. */
function manualTime() {
  let now = 0;
  const queue: { at: number; run: () => void }[] = [];
  return {
    clock: () => now,
    later: (run: () => void, ms: number) => {
      queue.push({ at: now + ms, run });
    },
    scheduled: () => queue.length,
    /** Moves the clock without running any timer (a backlog holds them back). */
    set(to: number) {
      now = to;
    },
    /** Moves the clock to `to`, running every timer due on the way, in order. */
    advance(to: number) {
      for (;;) {
        queue.sort((a, b) => a.at - b.at);
        const next = queue[0];
        if (next === undefined || next.at > to) break;
        queue.shift();
        now = next.at;
        next.run();
      }
      now = to;
    },
  };
}

describe("Coalescer", () => {
  it.each([
    { spendsPerSecond: 500, seconds: 3 },
    { spendsPerSecond: 4, seconds: 2 },
    { spendsPerSecond: 1, seconds: 3 },
  ])(
    "at $spendsPerSecond changes a second: pushes ≥ 250 ms apart, each change pushed within 250 ms",
    ({ spendsPerSecond, seconds }) => {
      const time = manualTime();
      const flushes: number[] = [];
      const c = new Coalescer(LIVE_PUSH_INTERVAL_MS, time.clock, time.later, () =>
        flushes.push(time.clock()),
      );
      const marks: number[] = [];
      const step = 1000 / spendsPerSecond;
      for (let t = 0; t < seconds * 1000; t += step) {
        time.advance(t);
        marks.push(t);
        c.mark();
      }
      time.advance(seconds * 1000 + 1000);
      for (let i = 1; i < flushes.length; i++) {
        expect((flushes[i] as number) - (flushes[i - 1] as number)).toBeGreaterThanOrEqual(250);
      }
      // At most 4 pushes in any second.
      for (const start of flushes) {
        expect(flushes.filter((f) => f >= start && f < start + 1000).length).toBeLessThanOrEqual(4);
      }
      for (const m of marks) {
        const pushed = flushes.find((f) => f >= m);
        expect(pushed, `the change at ${m} ms`).toBeDefined();
        expect((pushed as number) - m).toBeLessThanOrEqual(LIVE_PUSH_INTERVAL_MS);
      }
      if (spendsPerSecond <= 4) expect(flushes).toEqual(marks); // nothing to coalesce: at once
    },
  );
});

describe("Coalescer under a backlog", () => {
  it("pushes from the calls themselves when the timer is held back, still ≥ 250 ms apart", () => {
    const time = manualTime();
    const flushes: number[] = [];
    const c = new Coalescer(LIVE_PUSH_INTERVAL_MS, time.clock, time.later, () =>
      flushes.push(time.clock()),
    );
    // A burst of calls queued ahead of the timer: the clock moves, the timer never gets to run.
    let now = 0;
    const marks: number[] = [];
    for (let i = 0; i < 1500; i++) {
      now += 2;
      time.set(now);
      marks.push(now);
      c.mark();
    }
    for (let i = 1; i < flushes.length; i++) {
      expect((flushes[i] as number) - (flushes[i - 1] as number)).toBeGreaterThanOrEqual(250);
    }
    // The first change waits for its timer; from then on no change waits more than 2 intervals.
    expect(flushes.length).toBeGreaterThanOrEqual(Math.floor(3000 / 500));
    for (const m of marks.filter((m) => m > 500 && m < 2500)) {
      const pushed = flushes.find((f) => f >= m) as number;
      expect(pushed - m, `the change at ${m} ms`).toBeLessThanOrEqual(2 * LIVE_PUSH_INTERVAL_MS);
    }
    // Once the backlog is through, a timer armed before an inline flush pushes nothing extra.
    const before = flushes.length;
    time.advance(now + 1000);
    expect(flushes.length - before).toBeLessThanOrEqual(1);
  });
});

/** A Durable Object state with `sockets` open, as much of it as Live touches. */
function fakeState(sockets: WebSocket[]) {
  return {
    getWebSockets: () => sockets,
    setWebSocketAutoResponse: () => undefined,
  } as unknown as DurableObjectState;
}

describe("Live", () => {
  it("costs nothing after a change while no socket is open: no timer, no figures read", () => {
    const time = manualTime();
    let reads = 0;
    const live = new Live(
      {
        state: fakeState([]),
        store: {} as Store,
        now: () => 0,
        figures: () => {
          reads++;
          return "{}";
        },
      },
      time.clock,
      time.later,
    );
    for (let i = 0; i < 100; i++) live.changed();
    expect(time.scheduled()).toBe(0);
    time.advance(10_000);
    expect(reads).toBe(0);
  });

  it("with a socket open at wake-up (hibernated), pushes once for a burst, reading once", () => {
    const time = manualTime();
    const sent: string[] = [];
    const socket = { send: (m: string) => sent.push(m) } as unknown as WebSocket;
    let reads = 0;
    const live = new Live(
      {
        state: fakeState([socket]),
        store: {} as Store,
        now: () => 0,
        figures: () => `{"n":${++reads}}`,
      },
      time.clock,
      time.later,
    );
    for (let i = 0; i < 100; i++) live.changed();
    expect(time.scheduled()).toBe(1);
    time.advance(1000);
    expect(sent).toEqual(['{"n":1}']);
  });
});
