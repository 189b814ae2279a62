import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlsIn } from "../../src/lib/config/redact";

describe("redactUrl", () => {
  it.each([
    ["https://x.example/hook?token=secret", "https://x.example/hook?<redacted>"],
    ["https://user:pass@host/", "https://<redacted>@host/"],
    [
      "https://u:p@x.example/hook?token=s#f",
      "https://<redacted>@x.example/hook?<redacted>#<redacted>",
    ],
    ["https://a@b:c@host:8080/p", "https://<redacted>@host:8080/p"],
    ["https://host/p#frag", "https://host/p#<redacted>"],
    ["https://host/p?", "https://host/p?<redacted>"],
  ])("shows %s as %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it.each([
    ["user:pass@host/x", "<redacted>@host/x"],
    ["http:user:pass@host", "<redacted>@host"],
    ["https:\\\\user:pass@host/", "https:\\\\<redacted>@host/"],
    ["htps//user:pass@host?k=v", "<redacted>@host?<redacted>"],
  ])("redacts the userinfo of %j, which does not parse as a URL", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("takes everything before the last @ for userinfo, an @ in the path too: the safe side", () => {
    expect(redactUrl("https://host/users/@me")).toBe("https://<redacted>@me");
  });

  it("leaves a URL without secrets as it is", () => {
    expect(redactUrl("https://eu1-example.upstash.io")).toBe("https://eu1-example.upstash.io");
  });
});

describe("redactUrlsIn", () => {
  it("redacts every URL in a text and nothing else", () => {
    expect(redactUrlsIn("fetch https://u:p@a.example/x?t=1 then http://b.example/#y failed")).toBe(
      "fetch https://<redacted>@a.example/x?<redacted> then http://b.example/#<redacted> failed",
    );
  });
});
