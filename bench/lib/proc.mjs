// Child processes of the benches: running a command, finding a tool, pinning to a core, and a
// process's CPU time and memory from /proc.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to its end; answers its stdout (throws with stderr on failure). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`)),
    );
  });
}

export const have = async (cmd) =>
  run("sh", ["-c", `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );

export const CPUS = os.cpus().length;
export const PIN = CPUS >= 2 && (await have("taskset"));
export const SERVER_CPU = "0";
export const CLIENT_CPU = "1";
export const pinned = (cmd, args, cpu) =>
  PIN ? ["taskset", ["-c", cpu, cmd, ...args]] : [cmd, args];

const procStatus = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
export const statusKb = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(procStatus(pid))?.[1]);
/** User + system CPU time of a process, in ms (and the system part alone). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const [user, system] = [Number(fields[11]) * 10, Number(fields[12]) * 10];
  return { total: user + system, system };
}
