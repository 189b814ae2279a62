import { describe, expect, it } from "vitest";
import {
  csrfToken,
  isCsrfToken,
  isSession,
  newSession,
  SESSION_TTL_MS,
} from "../../src/handlers/dashboard/session";

const TOKEN = "an-admin-token";

describe("the session cookie", () => {
  it("is accepted while it lasts", async () => {
    const now = 1_800_000_000_000;
    const session = await newSession(TOKEN, now);
    expect(await isSession(TOKEN, session, now + SESSION_TTL_MS - 1)).toBe(true);
  });

  it("is refused once expired", async () => {
    const now = 1_800_000_000_000;
    const session = await newSession(TOKEN, now);
    expect(await isSession(TOKEN, session, now + SESSION_TTL_MS)).toBe(false);
  });

  it("is refused under another admin token: rotating the token logs everyone out", async () => {
    const session = await newSession(TOKEN);
    expect(await isSession("another-token", session)).toBe(false);
  });

  it("is refused when its expiry was pushed forward by hand", async () => {
    const session = await newSession(TOKEN);
    const [, mac] = session.split(".");
    expect(await isSession(TOKEN, `${Date.now() + 10 * SESSION_TTL_MS}.${mac}`)).toBe(false);
  });

  it("is refused when missing or malformed", async () => {
    expect(await isSession(TOKEN, undefined)).toBe(false);
    expect(await isSession(TOKEN, "not-a-session")).toBe(false);
  });
});

describe("the CSRF token", () => {
  it("matches the session it was made for", async () => {
    const session = await newSession(TOKEN);
    expect(await isCsrfToken(TOKEN, session, await csrfToken(TOKEN, session))).toBe(true);
  });

  it("does not match another session", async () => {
    const one = await newSession(TOKEN, 1_800_000_000_000);
    const other = await newSession(TOKEN, 1_800_000_000_001);
    expect(await isCsrfToken(TOKEN, other, await csrfToken(TOKEN, one))).toBe(false);
  });

  it("is refused when absent or empty", async () => {
    const session = await newSession(TOKEN);
    expect(await isCsrfToken(TOKEN, session, undefined)).toBe(false);
    expect(await isCsrfToken(TOKEN, session, "")).toBe(false);
  });
});
