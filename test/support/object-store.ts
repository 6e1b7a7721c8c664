import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import S3rver from "s3rver";
import account from "s3rver/lib/models/account.js";
import { checkSignature } from "./sigv4.js";

/**
 * An S3-compatible object store for tests: s3rver (a fake S3 in Node) behind a small HTTP gate
 * that gives it the S3 behaviour LanceDB relies on and s3rver lacks.
 *
 * - Signatures: s3rver accepts any SigV4 signature of a known key. The gate checks each request's
 *   signature (and payload hash) against the secret like S3 does: a wrong secret is refused with
 *   403 SignatureDoesNotMatch, an unknown key with 403 InvalidAccessKeyId, an unsigned request
 *   with 403 AccessDenied.
 * - Conditional creates: LanceDB commits a table version with `PUT … If-None-Match: *`, which
 *   S3 refuses with 412 PreconditionFailed when the key exists. s3rver ignores the header, so
 *   two concurrent commits silently overwrite each other. The gate serialises writes per key and
 *   answers 412 itself for a conditional create of an existing key, and for a replace whose
 *   `If-Match` ETag is no longer the object's (404 when there is no object). Other conditions on
 *   writes are refused with 501, so a client relying on them fails loudly instead of passing on a
 *   lenient server. `conditionalPuts = false` turns the gate off (s3rver's own behaviour).
 * - Atomic puts: s3rver streams an object into place and records its size before the bytes are
 *   all on disk, so a reader can find a new object empty or cut short; S3 shows an object only
 *   once it is whole. Objects are written to a scratch file and renamed into place here.
 * - Listing with a delimiter: s3rver reports a common prefix only when an object sits directly
 *   under it (`x/t.lance/` holding only `x/t.lance/data/…` is missed); fixed in its store.
 * - Suffix ranges (`Range: bytes=-N`): s3rver returns the first N bytes; the gate asks it for
 *   the last N (after checking the signature, which covers the header).
 * - Read-only credentials: requests signed with {@link readerCredentials} may read, and every
 *   write is refused with 403 AccessDenied, like an IAM policy without s3:PutObject.
 * - `latencyMs` delays every request (a distant region).
 */
export interface ObjectStore {
  /** The gate's URL (what AWS_ENDPOINT_URL points to). */
  readonly endpoint: string;
  readonly bucket: string;
  /** `s3://<bucket>/<prefix>`. */
  uri(prefix: string): string;
  /** The AWS_* variables a process needs to use the store (`reader`: the read-only key). */
  env(role?: "writer" | "reader"): Record<string, string>;
  /** True (default): conditional creates are honoured; false: s3rver's lenient behaviour. */
  conditionalPuts: boolean;
  /** Added before each request is handled. */
  latencyMs: number;
  /** Every request the gate saw, in arrival order. */
  readonly requests: GateRequest[];
  /**
   * Holds the first request `match` accepts (before it reaches s3rver) until `release()`:
   * freezes a writer at a chosen step. `reached` resolves when it arrives.
   */
  hold(match: (request: GateRequest) => boolean): { reached: Promise<void>; release(): void };
  /** Keys (without the bucket) under `prefix`. */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/** One request as the gate saw it. */
export interface GateRequest {
  method: string;
  /** The object key, or "" for a bucket request. */
  key: string;
  query: string;
  accessKey?: string;
  conditional: boolean;
  /** The Range header of a read. */
  range?: string;
  status: number;
}

export const writerCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const readerCredentials = { accessKeyId: "GEMINDEX-READER", secretAccessKey: "reader-secret" };
const secrets = new Map([
  [writerCredentials.accessKeyId, writerCredentials.secretAccessKey],
  [readerCredentials.accessKeyId, readerCredentials.secretAccessKey],
]);

/** Starts s3rver on 127.0.0.1 (a free port, a temporary folder) with the gate in front. */
export async function startObjectStore(
  options: { bucket?: string; conditionalPuts?: boolean; latencyMs?: number } = {},
): Promise<ObjectStore> {
  const bucket = options.bucket ?? "gemindex";
  const directory = await mkdtemp(path.join(tmpdir(), "gemindex-s3-"));
  account.DUMMY_ACCOUNT.createKeyPair(readerCredentials.accessKeyId, readerCredentials.secretAccessKey);
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  fixDelimiterListing(s3);
  writeAtomically(s3);
  const upstream = await s3.run();
  const gate = new Gate(s3, upstream.port);
  gate.conditionalPuts = options.conditionalPuts ?? true;
  gate.latencyMs = options.latencyMs ?? 0;
  const server = http.createServer((request, response) => {
    gate.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    uri: (prefix) => `s3://${bucket}/${prefix}`,
    env: (role = "writer") => {
      const credentials = role === "reader" ? readerCredentials : writerCredentials;
      return {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL: endpoint,
        AWS_ALLOW_HTTP: "true",
      };
    },
    get conditionalPuts() {
      return gate.conditionalPuts;
    },
    set conditionalPuts(value: boolean) {
      gate.conditionalPuts = value;
    },
    get latencyMs() {
      return gate.latencyMs;
    },
    set latencyMs(value: number) {
      gate.latencyMs = value;
    },
    requests: gate.requests,
    hold: (match) => gate.hold(match),
    keys: async (prefix) =>
      (await s3.store.listObjects(bucket, { prefix, maxKeys: Number.POSITIVE_INFINITY })).objects.map(
        (object) => object.key,
      ),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await s3.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

class Gate {
  conditionalPuts = true;
  latencyMs = 0;
  readonly requests: GateRequest[] = [];
  readonly #s3: S3rver;
  readonly #port: number;
  /** The tail of each key's queue of writes. */
  readonly #writing = new Map<string, Promise<void>>();
  readonly #holds: Array<{ match: (request: GateRequest) => boolean; arrived: () => void; released: Promise<void> }> =
    [];

  hold(match: (request: GateRequest) => boolean): { reached: Promise<void>; release(): void } {
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.push({ match, arrived, released });
    return { reached, release };
  }

  constructor(s3: S3rver, port: number) {
    this.#s3 = s3;
    this.#port = port;
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://gate");
    const [bucket = "", ...rest] = url.pathname.slice(1).split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const method = request.method ?? "GET";
    const write = method === "PUT" || method === "POST" || method === "DELETE";
    const ifNoneMatch = request.headers["if-none-match"];
    const entry: GateRequest = {
      method,
      key,
      query: url.search,
      accessKey: accessKeyOf(request.headers.authorization),
      conditional: ifNoneMatch !== undefined || request.headers["if-match"] !== undefined,
      range: request.headers.range,
      status: 0,
    };
    this.requests.push(entry);
    if (this.latencyMs > 0) await delay(this.latencyMs);
    const held = this.#holds.findIndex((hold) => hold.match(entry));
    if (held !== -1) {
      const [hold] = this.#holds.splice(held, 1);
      hold!.arrived();
      await hold!.released;
    }
    const reply = (status: number, code: string, message: string) => {
      entry.status = status;
      response.writeHead(status, { "content-type": "application/xml" });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
          `<Resource>/${bucket}/${key}</Resource><RequestId>gate</RequestId></Error>`,
      );
    };
    const problem = checkSignature({ method, url: request.url ?? "/", headers: request.headers, body }, secrets);
    if (problem) return reply(problem.code === "NotImplemented" ? 501 : 403, problem.code, problem.message);
    if (write && entry.accessKey === readerCredentials.accessKeyId) return reply(403, "AccessDenied", "Access Denied");
    const headers = { ...request.headers };
    const suffix = method === "GET" && headers.range ? /^bytes=-(\d+)$/.exec(headers.range) : null;
    if (suffix) {
      // s3rver reads "bytes=-N" as the first N bytes; S3 serves the last N.
      const metadata = await this.#s3.store.getMetadata(bucket, key).catch(() => undefined);
      const size = Number(metadata?.["content-length"] ?? 0);
      headers.range = `bytes=${Math.max(0, size - Number(suffix[1]))}-`;
    }
    if (!write || key === "" || !this.conditionalPuts) {
      entry.status = await this.#forward(request, headers, body, response);
      return;
    }
    if (ifNoneMatch !== undefined && ifNoneMatch !== "*")
      return reply(501, "NotImplemented", "The test gate honours If-None-Match only as *.");
    const ifMatch = request.headers["if-match"];
    const create = ifNoneMatch === "*" && (method === "PUT" || url.searchParams.has("uploadId"));
    await this.#serialised(`${bucket}/${key}`, async () => {
      if (create && (await this.#s3.store.existsObject(bucket, key)))
        return reply(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      if (ifMatch !== undefined) {
        const metadata = await this.#s3.store.getMetadata(bucket, key).catch(() => undefined);
        if (!metadata) return reply(404, "NoSuchKey", "The specified key does not exist.");
        if (unquote(metadata.etag) !== unquote(ifMatch))
          return reply(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
      entry.status = await this.#forward(request, headers, body, response);
    });
  }

  /** Runs `work` after every earlier write of `key` has finished. */
  async #serialised(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#writing.get(key) ?? Promise.resolve();
    const mine = previous.then(work, work);
    const tail = mine.catch(() => {});
    this.#writing.set(key, tail);
    try {
      await mine;
    } finally {
      if (this.#writing.get(key) === tail) this.#writing.delete(key);
    }
  }

  /** Sends the request on to s3rver and relays the answer. */
  async #forward(
    request: http.IncomingMessage,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
    response: http.ServerResponse,
  ): Promise<number> {
    const upstream = http.request({
      host: "127.0.0.1",
      port: this.#port,
      method: request.method,
      path: request.url,
      headers,
    });
    upstream.end(body);
    const [answer] = (await once(upstream, "response")) as [http.IncomingMessage];
    const content = await readBody(answer);
    const status = answer.statusCode ?? 502;
    response.writeHead(status, answer.headers);
    response.end(content);
    return status;
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? "").replace(/^W\//, "").replace(/"/g, "");
}

function accessKeyOf(authorization: string | undefined): string | undefined {
  return authorization ? /Credential=([^/]+)\//.exec(authorization)?.[1] : undefined;
}

async function readBody(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * s3rver's listing skips "folders" that hold only other folders when a delimiter is given; S3
 * reports every prefix up to the next delimiter. Lists without the delimiter and groups instead.
 */
function fixDelimiterListing(s3: S3rver): void {
  const store = s3.store;
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const { delimiter, prefix = "", maxKeys = Number.POSITIVE_INFINITY } = options;
    if (!delimiter) return list(bucket, options);
    const all = await list(bucket, { ...options, delimiter: "", maxKeys: Number.POSITIVE_INFINITY });
    const commonPrefixes = new Set<string>();
    const objects = all.objects.filter((object) => {
      const cut = object.key.slice(prefix.length).indexOf(delimiter);
      if (cut === -1) return true;
      commonPrefixes.add(object.key.slice(0, prefix.length + cut + delimiter.length));
      return false;
    });
    return {
      objects: objects.slice(0, maxKeys),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated: objects.length > maxKeys,
    };
  };
}

/** Replaces s3rver's putObject by one that renames a complete file into place before recording it. */
function writeAtomically(s3: S3rver): void {
  const store = s3.store;
  store.putObject = async (object) => {
    const file = store.getResourcePath(object.bucket, object.key, "object");
    await mkdir(path.dirname(file), { recursive: true });
    const content = Buffer.isBuffer(object.content) ? object.content : await readBody(object.content);
    const scratch = `${file}.${randomUUID()}.partial`;
    await writeFile(scratch, content);
    await rename(scratch, file);
    const md5 = createHash("md5").update(content).digest("hex");
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  };
}
