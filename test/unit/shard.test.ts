import { describe, expect, it } from "vitest";
import { parseShard, resolveSettings, settingsFromEnv, shardOf, storageOptionsFromEnv } from "../../src/index.js";

describe("shards", () => {
  it("reads i/n (0-based) and refuses anything else with the option's words", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard(" 0 / 1 ")).toEqual({ index: 0, count: 1 });
    for (const bad of ["4/4", "-1/4", "1/0", "1", "a/b", "1/4/2"])
      expect(() => parseShard(bad)).toThrow(/shard must be i\/n with 0 ≤ i < n/);
  });

  it("puts every path in one shard, the same on every machine, and spreads paths evenly", () => {
    // A fixed value: workers on other machines (and other versions) must agree.
    expect(shardOf("/data/docs/guide.md", 4)).toBe(shardOf("/data/docs/guide.md", 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`/data/docs/folder-${i % 17}/note-${i}.md`, 4)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });
});

describe("object-store settings", () => {
  it("passes the standard variables to LanceDB as storage options, and only those", () => {
    expect(
      storageOptionsFromEnv({
        AWS_ACCESS_KEY_ID: "AKIA",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_ENDPOINT_URL: "http://minio:9000",
        AWS_ALLOW_HTTP: "true",
        AWS_PROFILE: "dev",
        AWS_ROLE_ARN: "arn:aws:iam::1:role/x",
        AZURE_STORAGE_ACCOUNT_NAME: "acct",
        GEMINI_API_KEY: "key",
        AWS_REGION: " ",
      }),
    ).toEqual({
      aws_access_key_id: "AKIA",
      aws_secret_access_key: "secret",
      aws_endpoint_url: "http://minio:9000",
      aws_allow_http: "true",
      azure_storage_account_name: "acct",
    });
  });

  it("merges storage options key by key, later layers winning", () => {
    const settings = resolveSettings(
      { storageOptions: { aws_region: "eu-west-1", timeout: "60s" } },
      settingsFromEnv({ AWS_REGION: "us-east-2", GEMINDEX_READ_CONSISTENCY: "0" }),
    );
    expect(settings.storageOptions).toEqual({ aws_region: "us-east-2", timeout: "60s" });
    expect(settings.readConsistencyInterval).toBe(0);
    expect(() => settingsFromEnv({ GEMINDEX_READ_CONSISTENCY: "soon" })).toThrow(/GEMINDEX_READ_CONSISTENCY/);
  });
});
