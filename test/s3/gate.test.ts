import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ObjectStore, readerCredentials, startObjectStore, writerCredentials } from "../support/object-store.js";
import { signRequest } from "../support/sigv4.js";

/**
 * The object store the other s3:// tests run against must say no where S3 says no; otherwise a
 * concurrency test would pass on a lenient server and prove nothing. These tests prove the gate
 * in front of s3rver does.
 */
let store: ObjectStore;

beforeAll(async () => {
  store = await startObjectStore();
});

afterAll(async () => {
  await store?.close();
});

async function put(
  key: string,
  body: string,
  options: { headers?: Record<string, string>; credentials?: typeof writerCredentials } = {},
): Promise<{ status: number; text: string }> {
  const url = `/${store.bucket}/${key}`;
  const bytes = Buffer.from(body);
  const headers = signRequest(
    { method: "PUT", url, host: new URL(store.endpoint).host, headers: options.headers, body: bytes },
    options.credentials ?? writerCredentials,
  );
  const response = await fetch(`${store.endpoint}${url}`, { method: "PUT", headers, body: bytes });
  return { status: response.status, text: await response.text() };
}

async function get(key: string): Promise<string> {
  const url = `/${store.bucket}/${key}`;
  const headers = signRequest({ method: "GET", url, host: new URL(store.endpoint).host }, writerCredentials);
  return (await fetch(`${store.endpoint}${url}`, { headers })).text();
}

function lanceOptions(): Record<string, string> {
  const env = store.env();
  return {
    aws_access_key_id: env.AWS_ACCESS_KEY_ID!,
    aws_secret_access_key: env.AWS_SECRET_ACCESS_KEY!,
    aws_region: env.AWS_REGION!,
    aws_endpoint: env.AWS_ENDPOINT_URL!,
    aws_allow_http: "true",
  };
}

/** `writers` separate connections append one row each to one table at the same moment. */
async function concurrentAppends(prefix: string, writers: number): Promise<{ rows: number; failed: number }> {
  const storageOptions = lanceOptions();
  const connect = () => lancedb.connect(store.uri(prefix), { storageOptions });
  const first = await connect();
  await (await first.createTable("t", [{ writer: -1 }])).countRows();
  const tables = await Promise.all(Array.from({ length: writers }, async () => (await connect()).openTable("t")));
  const results = await Promise.allSettled(tables.map((table, writer) => table.add([{ writer }])));
  const check = await (await connect()).openTable("t");
  return {
    rows: (await check.countRows()) - 1,
    failed: results.filter((result) => result.status === "rejected").length,
  };
}

describe("the conditional-put gate in front of s3rver", () => {
  it("answers one of eight simultaneous conditional creates of a key with 200, the others with 412", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put("race/one-key", `writer ${i}`, { headers: { "If-None-Match": "*" } })),
    );
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    expect(results.find((result) => result.status === 412)?.text).toContain("<Code>PreconditionFailed</Code>");
    // The winner's bytes are what is stored: no later create overwrote them.
    const winner = results.findIndex((result) => result.status === 200);
    expect(await get("race/one-key")).toBe(`writer ${winner}`);
  });

  it("lets an unconditional put overwrite, as S3 does", async () => {
    expect((await put("plain/key", "first")).status).toBe(200);
    expect((await put("plain/key", "second")).status).toBe(200);
    expect(await get("plain/key")).toBe("second");
  });

  it("keeps every row when eight LanceDB connections append to one table at once", async () => {
    const { rows, failed } = await concurrentAppends("appends-gated", 8);
    expect(failed).toBe(0);
    expect(rows).toBe(8);
    // LanceDB met the 412s and committed again on top of the winner's version.
    expect(store.requests.some((request) => request.status === 412 && request.key.startsWith("appends-gated/"))).toBe(
      true,
    );
  });

  it("loses appends without the gate (s3rver alone ignores If-None-Match): what the gate prevents", async () => {
    store.conditionalPuts = false;
    try {
      const { rows } = await concurrentAppends("appends-ungated", 8);
      // Appends that read the same latest version wrote the next one over each other.
      expect(rows).toBeLessThan(8);
    } finally {
      store.conditionalPuts = true;
    }
  });

  it("refuses a wrong secret, an unknown key and writes signed by the read-only key, like S3", async () => {
    const wrongSecret = await put("auth/x", "x", {
      credentials: { accessKeyId: writerCredentials.accessKeyId, secretAccessKey: "wrong" },
    });
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.text).toContain("SignatureDoesNotMatch");
    const unknownKey = await put("auth/x", "x", { credentials: { accessKeyId: "NOBODY", secretAccessKey: "x" } });
    expect(unknownKey.text).toContain("InvalidAccessKeyId");
    const reader = await put("auth/x", "x", { credentials: readerCredentials });
    expect(reader.status).toBe(403);
    expect(reader.text).toContain("AccessDenied");
    expect((await put("auth/x", "x")).status).toBe(200);
  });
});
