import { describe, expect, it } from "vitest";
import { cronProblem } from "../../src/lib/config/cron";

describe("cronProblem", () => {
  it.each([
    "* * * * *",
    "*/5 * * * *",
    "*/30 * * * *",
    "45 * * * *",
    "0 17 * * sun",
    "0 17 * * 1",
    "10 7 * * mon-fri",
    "10 7 * * 2-6",
    "0 15 1 * *",
    "0 18 * * 6L",
    "0 18 * * friL",
    "59 23 LW * *",
    "0 9 L * *",
    "0 0 L-3 * *",
    "0 0 L-3W * *",
    "0 0 15W * *",
    "0 10 * * MON#2",
    "*/10 9-17 * * MON-FRI",
    "0,15,30,45 0-23/2 1-31/3 JAN,jul-Dec/2 *",
    "59 23 31 12 7",
    "0 0  * *\t*",
  ])("accepts %j, as Cloudflare's Cron Triggers do", (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it("names the first bad field of five junk ones", () => {
    expect(cronProblem("a b c d e")).toBe('the minute field "a" is not valid');
  });

  it.each([
    ["60 * * * *", 'the minute field "60" is not valid'],
    ["* 24 * * *", 'the hour field "24" is not valid'],
    ["* * 0 * *", 'the day-of-month field "0" is not valid'],
    ["* * 32 * *", 'the day-of-month field "32" is not valid'],
    ["* * * 13 *", 'the month field "13" is not valid'],
    ["* * * JANUARY *", 'the month field "JANUARY" is not valid'],
    ["* * * * 0", 'the day-of-week field "0" is not valid'],
    ["* * * * 8", 'the day-of-week field "8" is not valid'],
    ["* * * * MONDAY", 'the day-of-week field "MONDAY" is not valid'],
  ])("refuses %j: a value out of the field's range", (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem);
  });

  it.each([
    ["*/0 * * * *", "minute"],
    ["*/60 * * * *", "minute"],
    ["1-2-3 * * * *", "minute"],
    ["1,,2 * * * *", "minute"],
    ["5/ * * * *", "minute"],
    ["? * * * *", "minute"],
    ["* MON * * *", "hour"],
    ["* * L-31 * *", "day-of-month"],
    ["* * 0W * *", "day-of-month"],
    ["* * lw * *", "day-of-month"],
    ["* * * * MON#6", "day-of-week"],
    ["* * * * 8L", "day-of-week"],
    ["* * * * L,1", "day-of-week"],
  ])("refuses %j, naming the %s field", (expression, field) => {
    expect(cronProblem(expression)).toMatch(new RegExp(`^the ${field} field ".*" is not valid$`));
  });

  it.each([
    ["* * * *", "it has 4 fields"],
    ["* * * * * *", "it has 6 fields"],
    ["every", "it has 1 field"],
  ])("refuses %j: not five fields", (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem);
  });
});
