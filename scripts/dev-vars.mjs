// Gives a fresh clone a working local secret: copies .dev.vars.example to .dev.vars once.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (local development secret).");
}
