import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { sendWebhook, webhookConfig, webhookConfigured } from "../../src/workspace/webhook";

const SECRET = "whsec_cXVvdGEtY2hlY2tlciB3ZWJob29rIHRlc3Qga2V5ISE=";
const envWith = (vars: Partial<Env>) => vars as Env;

describe("webhook configuration", () => {
  it("is off without WEBHOOK_URL", () => {
    expect(webhookConfig(envWith({}))).toEqual({ kind: "off" });
    expect(webhookConfig(envWith({ WEBHOOK_URL: "  ", WEBHOOK_SECRET: SECRET }))).toEqual({
      kind: "off",
    });
    expect(webhookConfigured(envWith({ WEBHOOK_URL: "" }))).toBe(false);
    expect(webhookConfigured(envWith({ WEBHOOK_URL: "https://hooks.example" }))).toBe(true);
  });

  it("is on with an http(s) URL and a whsec_ secret", () => {
    const config = webhookConfig(
      envWith({ WEBHOOK_URL: "https://hooks.example/quota", WEBHOOK_SECRET: SECRET }),
    );
    expect(config.kind).toBe("on");
    expect(config.kind === "on" && config.url).toBe("https://hooks.example/quota");
  });

  it.each([
    [{ WEBHOOK_URL: "not a url", WEBHOOK_SECRET: SECRET }, "WEBHOOK_URL is not a URL"],
    [
      { WEBHOOK_URL: "ftp://hooks.example", WEBHOOK_SECRET: SECRET },
      "WEBHOOK_URL must be an http(s) URL",
    ],
    [{ WEBHOOK_URL: "https://hooks.example" }, "WEBHOOK_SECRET must be set to a whsec_ secret"],
    [
      { WEBHOOK_URL: "https://hooks.example", WEBHOOK_SECRET: "plain-secret" },
      "WEBHOOK_SECRET must be set to a whsec_ secret",
    ],
    [
      { WEBHOOK_URL: "https://hooks.example", WEBHOOK_SECRET: "whsec_" },
      "WEBHOOK_SECRET is not a valid whsec_ secret (base64)",
    ],
    [
      { WEBHOOK_URL: "https://hooks.example", WEBHOOK_SECRET: "whsec_!!!" },
      "WEBHOOK_SECRET is not a valid whsec_ secret (base64)",
    ],
  ])("is broken with %j: %s", async (vars, reason) => {
    const config = webhookConfig(envWith(vars));
    expect(config).toEqual({ kind: "broken", reason });
    // A broken configuration never sends anything (and never unsigned): the attempt fails.
    expect(await sendWebhook(config, "evt_x", "{}")).toEqual({ ok: false, error: reason });
  });
});
