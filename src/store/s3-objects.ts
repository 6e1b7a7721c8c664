import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { objectStoreFailure } from "./object-store-errors.js";

type Sdk = typeof import("@aws-sdk/client-s3");
let sdk: Promise<Sdk> | undefined;
/** The AWS SDK, loaded on first use: only indexes on S3 need it, and loading it costs every run ~0.1 s of CPU. */
const loadSdk = (): Promise<Sdk> => (sdk ??= import("@aws-sdk/client-s3"));

/**
 * Small JSON objects next to an index on S3, written with S3's conditional writes
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): a create that
 * fails when the key exists (`If-None-Match: *`) and a replace that fails unless the object is
 * still the version read (`If-Match: <ETag>`). What a lease needs, and what LanceDB's own
 * commits rely on.
 */
export class ConditionalObjects {
  readonly #client: Promise<S3Client>;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #uri: string;

  /** `uri`: the index (`s3://bucket/prefix`); keys are relative to `<prefix>/<folder>/`. */
  constructor(uri: string, folder: string, storageOptions: Record<string, string> = {}) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(uri);
    if (!match) throw new Error(`Not an s3:// URI: ${uri}`);
    this.#uri = uri;
    this.#bucket = match[1]!;
    const prefix = match[2]!.replace(/\/+$/, "");
    this.#prefix = prefix ? `${prefix}/${folder}/` : `${folder}/`;
    // The pinned SDK works on Node 20; its notice that later SDK releases will need Node 22 is not
    // for gemindex's users (who get the version gemindex ships), so it is turned off unless set.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.#client = loadSdk().then(({ S3Client }) => new S3Client(clientConfig(storageOptions)));
    // A failed load is reported by the first call that awaits it.
    this.#client.catch(() => {});
  }

  /** The object and its ETag, or undefined when there is none. */
  async get(key: string): Promise<{ body: string; etag: string } | undefined> {
    const { GetObjectCommand, S3ServiceException } = await loadSdk();
    try {
      const client = await this.#client;
      const answer = await client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
      return { body: (await answer.Body?.transformToString()) ?? "", etag: answer.ETag ?? "" };
    } catch (error) {
      if (status(error, S3ServiceException) === 404 && nameOf(error) !== "NoSuchBucket") return undefined;
      throw this.#failure(error, false);
    }
  }

  /** Creates `key` unless it exists; its ETag, or undefined when it existed. */
  async create(key: string, body: string): Promise<string | undefined> {
    return this.#put(key, body, { IfNoneMatch: "*" });
  }

  /** Replaces `key` if it is still the version `etag`; the new ETag, or undefined when it changed. */
  async replace(key: string, body: string, etag: string): Promise<string | undefined> {
    return this.#put(key, body, { IfMatch: etag });
  }

  async #put(
    key: string,
    body: string,
    condition: { IfNoneMatch?: string; IfMatch?: string },
  ): Promise<string | undefined> {
    const { PutObjectCommand, S3ServiceException } = await loadSdk();
    try {
      const answer = await (await this.#client).send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          Body: body,
          ContentType: "application/json",
          ...condition,
        }),
      );
      return answer.ETag ?? "";
    } catch (error) {
      // 412: the condition did not hold; 409: a concurrent conditional write to the key won.
      const code = status(error, S3ServiceException);
      if (code === 412 || code === 409) return undefined;
      throw this.#failure(error, true);
    }
  }

  /** Keys (relative) under the folder. */
  async list(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    const { ListObjectsV2Command } = await loadSdk();
    try {
      const client = await this.#client;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(this.#prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.#failure(error, false);
    }
    return keys;
  }

  close(): void {
    this.#client.then(
      (client) => client.destroy(),
      () => {},
    );
  }

  #failure(error: unknown, writing: boolean): Error {
    const text = `${nameOf(error)}: ${error instanceof Error ? error.message : String(error)}`;
    return objectStoreFailure(new Error(text, { cause: error }), this.#uri, writing) ?? (error as Error);
  }
}

/** The SDK's configuration from LanceDB storage options (the same variables, lower-cased). */
function clientConfig(options: Record<string, string>): S3ClientConfig {
  const endpoint = options.aws_endpoint_url ?? options.aws_endpoint;
  const accessKeyId = options.aws_access_key_id;
  const secretAccessKey = options.aws_secret_access_key;
  return {
    region: options.aws_region ?? options.aws_default_region ?? (endpoint ? "us-east-1" : undefined),
    ...(endpoint
      ? { endpoint, forcePathStyle: !/^(1|true|yes)$/i.test(options.aws_virtual_hosted_style_request ?? "") }
      : {}),
    // Without explicit keys the SDK's default chain applies (web identity in Kubernetes, instance roles).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, sessionToken: options.aws_session_token } }
      : {}),
    followRegionRedirects: true,
    maxAttempts: 3,
  };
}

function status(error: unknown, exception: Sdk["S3ServiceException"]): number | undefined {
  return error instanceof exception ? error.$metadata.httpStatusCode : undefined;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}
