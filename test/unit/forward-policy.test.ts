import { describe, expect, it } from "vitest";
import { classifyStatus, describeTarget, targetRequest } from "../../src/lib/webhook/policy";

describe("classifyStatus", () => {
  it.each([200, 201, 202, 204, 299])("treats %i as success", (status) => {
    expect(classifyStatus(status)).toBe("success");
  });

  it.each([408, 429, 500, 502, 503, 504, 599])("treats %i as transient", (status) => {
    expect(classifyStatus(status)).toBe("transient");
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 422, 499])(
    "treats %i as permanent",
    (status) => {
      expect(classifyStatus(status)).toBe("permanent");
    },
  );

  it.each([301, 302, 303, 307, 308])("treats the redirect %i as permanent", (status) => {
    expect(classifyStatus(status)).toBe("permanent");
  });

  it("treats an informational status as permanent", () => {
    expect(classifyStatus(101)).toBe("permanent");
  });
});

describe("describeTarget", () => {
  it("keeps origin and path", () => {
    expect(describeTarget("https://hooks.example.com:8443/in/orders")).toBe(
      "https://hooks.example.com:8443/in/orders",
    );
  });

  it("drops userinfo, query and fragment", () => {
    expect(describeTarget("https://user:pw@hooks.example.com/in?token=s3cret#x")).toBe(
      "https://hooks.example.com/in",
    );
  });

  it("says invalid for something that is not a URL", () => {
    expect(describeTarget("not a url")).toBe("<invalid url>");
  });
});

describe("targetRequest", () => {
  it("leaves a URL without credentials alone", () => {
    expect(targetRequest("https://h.example/in?x=1")).toEqual({ url: "https://h.example/in?x=1" });
  });

  it("turns userinfo into a Basic authorization header", () => {
    expect(targetRequest("https://user:p%40ss@h.example/in")).toEqual({
      url: "https://h.example/in",
      authorization: `Basic ${btoa("user:p@ss")}`,
    });
  });
});
