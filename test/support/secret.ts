/** The AUTH_SECRET the test Worker runs with (bound in vitest.config.ts). */
export const TEST_AUTH_SECRET = "test-secret-0123456789abcdef";
