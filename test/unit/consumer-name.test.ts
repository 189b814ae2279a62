import { describe, expect, it } from "vitest";
import {
  cronConsumerName,
  httpConsumerName,
  isValidConsumerName,
  randomSuffix,
} from "../../src/lib/group/consumer-name";

const fixed = () => "a1b2c3";

describe("consumer names", () => {
  it("names a cron invocation after its scheduled time", () => {
    expect(cronConsumerName(1795709122000, fixed)).toBe("cron-1795709122000-a1b2c3");
  });

  it("names an HTTP invocation after its cf-ray", () => {
    expect(httpConsumerName("8f1a2b3c4d5e6f70-FRA", 0, fixed)).toBe(
      "http-8f1a2b3c4d5e6f70-FRA-a1b2c3",
    );
  });

  it.each([undefined, null, ""])("falls back to the time when cf-ray is %j", (ray) => {
    expect(httpConsumerName(ray, 1795709122566, fixed)).toBe("http-1795709122566-a1b2c3");
  });

  it("replaces characters outside [A-Za-z0-9._:-] with underscores", () => {
    expect(httpConsumerName("ray/with spaces#é", 0, fixed)).toBe("http-ray_with_spaces__-a1b2c3");
  });

  it("cuts a very long cf-ray to 64 characters and keeps the random part", () => {
    const name = httpConsumerName("x".repeat(500), 0, fixed);
    expect(name).toHaveLength(64);
    expect(name.endsWith("-a1b2c3")).toBe(true);
    expect(name.startsWith("http-xxx")).toBe(true);
  });

  it("uses six hex characters of a random UUID by default", () => {
    expect(randomSuffix()).toMatch(/^[0-9a-f]{6}$/);
    expect(cronConsumerName(1)).toMatch(/^cron-1-[0-9a-f]{6}$/);
  });

  it("gives two names of the same tick different random parts", () => {
    expect(cronConsumerName(1)).not.toBe(cronConsumerName(1));
  });

  it("accepts the names it builds", () => {
    expect(isValidConsumerName(httpConsumerName("x".repeat(500), 0))).toBe(true);
  });

  it.each(["", "a b", "é", "x".repeat(65)])("rejects %j as a consumer name", (name) => {
    expect(isValidConsumerName(name)).toBe(false);
  });
});
