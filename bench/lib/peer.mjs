// What `npm run bench` measures the service against: the floors (bench/floor-worker.mjs, in
// the same workerd) and the Redis peer (redis-server and bench/peer-server.mjs).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./paths.mjs";
import { pinned, SERVER_CPU, sleep } from "./proc.mjs";
import { COMPAT_DATE, directSocket } from "./workerd.mjs";

/** The floors' Worker: a no-op, a no-op object method, an object writing one row. */
export function floorWorker() {
  return {
    name: "floor",
    modules: true,
    scriptPath: join(ROOT, "bench", "floor-worker.mjs"),
    compatibilityDate: COMPAT_DATE,
    durableObjects: {
      NOOP: { className: "NoopObject", useSQLite: true },
      WRITE: { className: "WriteObject", useSQLite: true },
    },
    unsafeDirectSockets: directSocket,
  };
}

export async function startPeer(dir, secret) {
  const redisPort = 20_000 + Math.floor(Math.random() * 10_000);
  const httpPort = redisPort + 1;
  const [rcmd, rargs] = pinned(
    "redis-server",
    [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--dir",
      dir,
    ],
    SERVER_CPU,
  );
  const redis = spawn(rcmd, rargs, { stdio: "ignore" });
  await sleep(500);
  const [pcmd, pargs] = pinned(
    process.execPath,
    [join(ROOT, "bench", "peer-server.mjs"), String(httpPort), String(redisPort), secret],
    SERVER_CPU,
  );
  const peer = spawn(pcmd, pargs, { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("peer did not start")), 20_000);
    peer.stdout.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const { default: Redis } = await import("ioredis");
  const client = new Redis({ port: redisPort, host: "127.0.0.1" });
  await client.mset(
    "peer:balance",
    1e15,
    "peer:used",
    0,
    "peer:cap:ai_rewriter",
    1e15,
    "peer:used:ai_rewriter",
    0,
  );
  await client.quit();
  return {
    url: `http://127.0.0.1:${httpPort}/consume`,
    stop: () => {
      peer.kill("SIGTERM");
      redis.kill("SIGTERM");
    },
  };
}
