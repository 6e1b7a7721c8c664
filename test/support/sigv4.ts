import { createHash, createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

const authorizationPattern = new RegExp(
  "^AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?" +
    "SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$",
);

/** Why a request's AWS Signature Version 4 does not hold, or undefined when it does. */
export type SignatureProblem =
  | { code: "AccessDenied"; message: string }
  | { code: "InvalidAccessKeyId"; message: string }
  | { code: "SignatureDoesNotMatch"; message: string }
  | { code: "XAmzContentSHA256Mismatch"; message: string }
  | { code: "NotImplemented"; message: string };

/**
 * Checks a request signed with `AWS4-HMAC-SHA256` in its Authorization header the way S3 does
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html): the canonical
 * request is rebuilt from the method, the path as sent, the sorted query, the signed headers and
 * the payload hash, and the signature recomputed from the secret of the request's access key.
 */
export function checkSignature(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  secrets: ReadonlyMap<string, string>,
): SignatureProblem | undefined {
  const authorization = request.headers.authorization;
  if (!authorization) return { code: "AccessDenied", message: "Access Denied" };
  const match = authorizationPattern.exec(authorization);
  if (!match)
    return { code: "NotImplemented", message: "The test gate checks only AWS4-HMAC-SHA256 header signatures." };
  const [, accessKey = "", date = "", region = "", service = "", signedHeaders = "", signature = ""] = match;
  const secret = secrets.get(accessKey);
  if (secret === undefined)
    return { code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
  const payloadHash = String(request.headers["x-amz-content-sha256"] ?? "");
  if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256(request.body))
    return {
      code: "XAmzContentSHA256Mismatch",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  const expected = computeSignature(request, { secret, date, region, service, signedHeaders, payloadHash });
  if (expected !== signature)
    return {
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. " +
        "Check your key and signing method.",
    };
  return undefined;
}

/** The SigV4 signature of `request` (its x-amz-date header set) by `secret`. */
function computeSignature(
  request: { method: string; url: string; headers: IncomingHttpHeaders },
  scope: { secret: string; date: string; region: string; service: string; signedHeaders: string; payloadHash: string },
): string {
  const [rawPath = "/", rawQuery = ""] = request.url.split("?", 2);
  const canonical = [
    request.method,
    rawPath,
    canonicalQuery(rawQuery),
    ...scope.signedHeaders.split(";").map((name) => `${name}:${headerValue(request.headers[name])}`),
    "",
    scope.signedHeaders,
    scope.payloadHash,
  ].join("\n");
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    String(request.headers["x-amz-date"]),
    credentialScope,
    sha256(canonical),
  ].join("\n");
  let key: Buffer = hmac(`AWS4${scope.secret}`, scope.date);
  for (const part of [scope.region, scope.service, "aws4_request"]) key = hmac(key, part);
  return hmac(key, stringToSign).toString("hex");
}

/**
 * Signs a request to the test object store (path-style URL, region us-east-1): returns the headers
 * to send, Authorization included. For tests that talk S3 without an SDK.
 */
export function signRequest(
  request: { method: string; url: string; host: string; headers?: Record<string, string>; body?: Buffer },
  credentials: { accessKeyId: string; secretAccessKey: string },
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256(request.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    host: request.host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": payloadHash,
  };
  const signedHeaders = Object.keys(headers).sort().join(";");
  const signature = computeSignature(
    { method: request.method, url: request.url, headers },
    { secret: credentials.secretAccessKey, date, region: "us-east-1", service: "s3", signedHeaders, payloadHash },
  );
  return {
    ...headers,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${date}/us-east-1/s3/aws4_request, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

function canonicalQuery(query: string): string {
  if (!query) return "";
  return query
    .split("&")
    .map((pair) => {
      const [name = "", value = ""] = pair.split("=", 2);
      return [encode(decodeURIComponent(name)), encode(decodeURIComponent(value.replace(/\+/g, "%20")))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** RFC 3986 encoding, as SigV4 wants it. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function headerValue(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return text.trim().replace(/\s+/g, " ");
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}
