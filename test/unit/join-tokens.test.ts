import { describe, expect, it } from "vitest";

import { joinedTokens } from "../../src/chunking/join-tokens.js";
import { countTokens } from "../../src/chunking/tokens.js";

const counted = (text: string, separator = "") => ({ text, separator, tokens: countTokens(text) });
const joined = (texts: ReturnType<typeof counted>[]) =>
  texts.map((part, index) => (index === 0 ? "" : part.separator) + part.text).join("");

describe("joinedTokens (a chunk's count from its pieces' counts)", () => {
  it("equals counting the joined text at the joins it derives and at those it must count", () => {
    const cases = [
      ["Install the tool", "\n\n", "Then run it"], // after a word: line breaks are their own piece
      ["Section 12", "\n", "2024 was a year"], // after a digit
      ["It ends here.", "\n\n", "Next paragraph"], // "." takes the line breaks along
      ["a list:", "\n", "- item"],
      ["spaced )", "\n\n\n", "x"], // the space before the run joins it
      ["tab\t)", "\n", "x"],
      [".", "\n\n", "/path"], // a "/" would join the run: counted
      ["x.\n/", "\n", "Z"], // a run starting with "/" may be a tail: counted
      ["word", " ", "merges"], // a space merges into the next word: counted
      ["indent", "\n", "  code()"], // right text starts with white space: counted
      ["e\u0301", "\n", "x"], // combining mark: counted
      ["<|endoftext|>", "\n\n", "plain"],
      ["😀", "\n", "é"],
      [`${"ab1!".repeat(70)}`, "\n", "long run before"], // a run that may be counted by bytes: counted
      ["ok", "\r\n", "crlf"],
    ] as const;
    for (const [left, separator, right] of cases) {
      const texts = [counted(left), counted(right, separator)];
      expect(joinedTokens(texts), JSON.stringify([left, separator, right])).toBe(countTokens(joined(texts)));
    }
  });

  it("equals counting the joined text for many generated texts and separators", () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return Math.floor((seed / 0x80000000) * n);
    };
    const alphabet = ["a", "Zed", "é", "e\u0301", "7", "123", ".", ",)", "/", "'s", " ", "\t", "\n", "\n\n", "€", "😀"];
    const separators = ["\n", "\n\n", "\n\n\n", " ", "", "\n ", "\t"];
    const text = () => {
      let out = "";
      for (let count = 1 + random(6); count > 0; count--) out += alphabet[random(alphabet.length)];
      return out.trim() || "q";
    };
    for (let round = 0; round < 3000; round++) {
      const texts = Array.from({ length: 1 + random(5) }, (_, index) =>
        counted(text(), index === 0 ? "" : separators[random(separators.length)]),
      );
      expect(joinedTokens(texts), JSON.stringify(texts)).toBe(countTokens(joined(texts)));
    }
  });
});
