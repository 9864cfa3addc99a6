// Where `npm run bench` reads and writes: the repository's root and the ignored bench/.out/.
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const OUT = join(ROOT, "bench", ".out");
