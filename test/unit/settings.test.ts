import { describe, expect, it } from "vitest";
import { resolveSettings, settingsFromEnv } from "../../src/config/settings.js";
import { ConfigError } from "../../src/errors.js";

describe("settings", () => {
  it("layers defaults < env < flags, and an unset flag does not erase the env", () => {
    const env = settingsFromEnv({ GEMINI_API_KEY: "k", GEMINDEX_DB: "env-db", GEMINDEX_DIMENSIONS: "1536" });
    const settings = resolveSettings(env, { uri: "flag-db", dimensions: undefined, cwd: "/tmp" });
    expect(settings.uri).toBe("flag-db");
    expect(settings.dimensions).toBe(1536);
    expect(settings.apiKey).toBe("k");
    expect(resolveSettings({ cwd: "/tmp" }).uri).toBe("data/index");
  });

  it("treats an empty GEMINI_API_KEY as unset", () => {
    expect(settingsFromEnv({ GEMINI_API_KEY: "  " }).apiKey).toBeUndefined();
  });

  it("rejects a non-integer GEMINDEX_DIMENSIONS with the variable's name", () => {
    expect(() => settingsFromEnv({ GEMINDEX_DIMENSIONS: "big" })).toThrow(ConfigError);
    expect(() => settingsFromEnv({ GEMINDEX_DIMENSIONS: "big" })).toThrow(/GEMINDEX_DIMENSIONS/);
  });
});
