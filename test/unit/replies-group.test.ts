import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import { parseGroupCreateReply } from "../../src/lib/group/ensure";
import { parseGroupStart } from "../../src/lib/stats/group-stats";

describe("parseGroupCreateReply", () => {
  it("reads a created group, the id it started after and its start id", () => {
    expect(parseGroupCreateReply([1, "1795709122566-0", "$"])).toEqual({
      kind: "created",
      startedAfter: "1795709122566-0",
      startId: "$",
    });
  });

  it("reads a recreated group and the resume point it started at", () => {
    expect(parseGroupCreateReply([2, "1795709122560-0", "1795709122560-0"])).toEqual({
      kind: "recreated",
      startedAfter: "1795709122560-0",
      startId: "1795709122560-0",
    });
  });

  it("reads a group that already existed", () => {
    expect(parseGroupCreateReply([0, "", ""])).toEqual({ kind: "existed" });
  });

  it("refuses a reply that is not [flag, id, startId], or an unknown flag", () => {
    expect(() => parseGroupCreateReply([1, "5-0"])).toThrow(ReplyShapeError);
    expect(() => parseGroupCreateReply("OK")).toThrow(ReplyShapeError);
    expect(() => parseGroupCreateReply([3, "5-0", "$"])).toThrow(ReplyShapeError);
  });
});

describe("parseGroupStart", () => {
  it("reads where the group started", () => {
    const raw = ["start_id", "$", "started_after", "5-0", "created_at", "1795709122600"];
    expect(parseGroupStart(raw)).toEqual({
      startId: "$",
      startedAfter: "5-0",
      createdAt: 1795709122600,
    });
  });

  it("reads a missing record as null", () => {
    expect(parseGroupStart([])).toBeNull();
    expect(parseGroupStart(null)).toBeNull();
  });

  it("reads an incomplete record as null", () => {
    expect(parseGroupStart(["start_id", "$"])).toBeNull();
  });

  it("refuses a created_at that is not a number", () => {
    const raw = ["start_id", "$", "started_after", "5-0", "created_at", "soon"];
    expect(() => parseGroupStart(raw)).toThrow(ReplyShapeError);
  });
});
