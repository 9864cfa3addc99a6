/** The WEBHOOK_SECRET of the webhook test project (bound in vitest.config.ts). */
export const TEST_WEBHOOK_SECRET = "whsec_cXVvdGEtY2hlY2tlciB3ZWJob29rIHRlc3Qga2V5ISE=";
