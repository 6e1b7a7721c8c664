import { describe, expect, it } from "vitest";
import { measureFunctions } from "../../scripts/check-function-length.js";

describe("the function length check", () => {
  it("counts a function's own lines: nested functions of every kind count for themselves", () => {
    const text = [
      "/** Doc comments are not counted. */",
      "export function outer(items: number[]) {",
      "  const double = (n: number) => {",
      "    return n * 2;",
      "  };",
      "  class Box {",
      "    constructor(readonly value: number) {}",
      "    get twice() {",
      "      return this.value * 2;",
      "    }",
      "  }",
      "  return items.map(double).map((n) => new Box(n).twice);",
      "}",
    ].join("\n");
    expect(measureFunctions("outer.ts", text)).toEqual([
      // 12 lines; the arrow (3), the constructor (1), the getter (3) and the inline arrow (1) are their own.
      { name: "outer", line: 2, lines: 12, ownLines: 4 },
      { name: "double", line: 3, lines: 3, ownLines: 3 },
      { name: "Box.constructor", line: 7, lines: 1, ownLines: 1 },
      { name: "Box.twice", line: 8, lines: 3, ownLines: 3 },
      { name: "function at line 12 in outer", line: 12, lines: 1, ownLines: 1 },
    ]);
  });
});
