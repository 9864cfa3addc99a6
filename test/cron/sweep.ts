import {
  createExecutionContext,
  createScheduledController,
  env,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { dueShardFor } from "../../src/dueIndex";
import worker from "../../src/index";

/** Runs the Worker's `scheduled` export the way the every-minute trigger does. */
export async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** The deadline the due index holds for a workspace (null: not in the index). */
export const indexed = (ws: string) => dueShardFor(env, ws).dueAt(ws);

export const alarmOf = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) => state.storage.getAlarm());

/** As if the workspace's alarm had been lost: only the cron can apply its due work now. */
export const deleteAlarm = (ws: string) =>
  runInDurableObject(env.WORKSPACE.getByName(ws), (_instance, state) =>
    state.storage.deleteAlarm(),
  );
