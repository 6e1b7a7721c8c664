import { describe, expect, it } from "vitest";
import { ThoughtSplitter } from "../../src/providers/gemini/thought-splitter.js";

function run(chunks: string[]) {
  const splitter = new ThoughtSplitter();
  const pieces = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
  return {
    thought: pieces
      .filter((p) => p.thought)
      .map((p) => p.text)
      .join(""),
    text: pieces
      .filter((p) => !p.thought)
      .map((p) => p.text)
      .join(""),
  };
}

describe("ThoughtSplitter", () => {
  it("separates a <thought> block from the answer", () => {
    expect(run(["<thought>Consider [1].</thought>The answer [1]."])).toEqual({
      thought: "Consider [1].",
      text: "The answer [1].",
    });
  });

  it("handles tags cut anywhere by chunk boundaries", () => {
    const whole = "<thought>plan it</thought>Final answer.";
    for (let cut = 1; cut < whole.length; cut++) {
      expect(run([whole.slice(0, cut), whole.slice(cut)])).toEqual({ thought: "plan it", text: "Final answer." });
    }
  });

  it("passes text without tags through, including a lone '<'", () => {
    expect(run(["a < b", " and c"])).toEqual({ thought: "", text: "a < b and c" });
  });
});
