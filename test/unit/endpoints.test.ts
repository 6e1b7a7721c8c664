import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { deriveEndpoints } from "../../src/providers/gemini/endpoints.js";

describe("deriveEndpoints", () => {
  it("derives native, upload and download URLs from the real compat base exactly as the service lays them out", () => {
    const endpoints = deriveEndpoints("https://generativelanguage.googleapis.com/v1beta/openai/");
    expect(endpoints.compat).toBe("https://generativelanguage.googleapis.com/v1beta/openai/");
    expect(endpoints.native).toBe("https://generativelanguage.googleapis.com/v1beta/");
    expect(endpoints.upload).toBe("https://generativelanguage.googleapis.com/upload/v1beta/files");
    expect(endpoints.download!("files/batch-abc")).toBe(
      "https://generativelanguage.googleapis.com/download/v1beta/files/batch-abc:download?alt=media",
    );
  });

  it("keeps a path prefix (a proxy) and accepts a base without the trailing slash", () => {
    const endpoints = deriveEndpoints("http://127.0.0.1:8080/proxy/v1beta/openai");
    expect(endpoints.compat).toBe("http://127.0.0.1:8080/proxy/v1beta/openai/");
    expect(endpoints.native).toBe("http://127.0.0.1:8080/proxy/v1beta/");
    expect(endpoints.upload).toBe("http://127.0.0.1:8080/proxy/upload/v1beta/files");
  });

  it("offers compat only for another OpenAI-compatible server", () => {
    const endpoints = deriveEndpoints("http://localhost:11434/v1/");
    expect(endpoints.native).toBeUndefined();
    expect(endpoints.upload).toBeUndefined();
  });

  it("rejects a malformed URL with a ConfigError naming the variable", () => {
    expect(() => deriveEndpoints("not a url")).toThrow(ConfigError);
    expect(() => deriveEndpoints("not a url")).toThrow(/GEMINI_BASE_URL/);
  });
});
