import { ConfigError } from "../errors.js";

/** What an object store refused, as far as the user can fix it. */
export type StorageProblem = "credentials" | "bucket" | "region" | "endpoint" | "read-only";

/** The variables that fix each problem, per scheme. */
const variables: Record<string, Record<StorageProblem, string[]>> = {
  s3: {
    credentials: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
    bucket: [],
    region: ["AWS_REGION", "AWS_ENDPOINT_URL"],
    endpoint: ["AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"],
    "read-only": ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  },
  gs: {
    credentials: ["GOOGLE_SERVICE_ACCOUNT", "GOOGLE_APPLICATION_CREDENTIALS"],
    bucket: [],
    region: [],
    endpoint: [],
    "read-only": ["GOOGLE_SERVICE_ACCOUNT", "GOOGLE_APPLICATION_CREDENTIALS"],
  },
  az: {
    credentials: ["AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY"],
    bucket: ["AZURE_STORAGE_ACCOUNT_NAME"],
    region: [],
    endpoint: [],
    "read-only": ["AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY"],
  },
};

/** Rules from LanceDB's (object_store's) error text to a problem. The text carries the service's XML code. */
const rules: Array<[StorageProblem, RegExp]> = [
  [
    "credentials",
    new RegExp(
      "InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|TokenRefreshRequired|" +
        "Failed to get AWS credentials|CredentialsProviderError|Could not load credentials|AuthenticationFailed|" +
        "NoCredentialProviders|invalid_grant|Unauthenticated|status: 401",
      "i",
    ),
  ],
  ["bucket", /NoSuchBucket|ContainerNotFound|bucket does not exist/i],
  ["region", /Failed to resolve region|Region is missing|PermanentRedirect|AuthorizationHeaderMalformed/i],
  [
    "endpoint",
    new RegExp(
      "tcp connect error|Connection refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|dns error|failed to lookup address|" +
        "error sending request|HTTP is not allowed|builder error",
      "i",
    ),
  ],
  ["read-only", /AccessDenied|PermissionDenied|AuthorizationPermissionMismatch|status: 403/i],
];

/**
 * An object store's refusal as a configuration error that names what to set (exit 2 in the
 * CLI), or undefined when the failure is something else. Never quotes the variables' values.
 */
export function objectStoreFailure(error: unknown, uri: string, writing: boolean): ConfigError | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const problem = rules.find(([, pattern]) => pattern.test(text))?.[0];
  if (!problem) return undefined;
  // A 403 on a read is a credential without read access; on a write, a read-only credential.
  const kind: StorageProblem = problem === "read-only" && !writing ? "credentials" : problem;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase() ?? "";
  const names = (variables[scheme === "gcs" ? "gs" : scheme === "azure" || scheme === "abfs" ? "az" : scheme] ??
    variables.s3!)[kind];
  const bucket = /^[a-z0-9+.-]+:\/\/([^/]+)/i.exec(uri)?.[1] ?? uri;
  const set = names.length > 0 ? ` Set ${names.join(", ")}.` : "";
  const messages: Record<StorageProblem, string> = {
    credentials: `The object store refused the credentials for ${uri}.${set}`,
    bucket: `The bucket ${bucket} of ${uri} does not exist: create it, or correct the index location.${set}`,
    region: `The region of ${uri} could not be found or is wrong.${set}`,
    endpoint: `The object store for ${uri} could not be reached.${set}`,
    "read-only":
      `The credentials for ${uri} may read the index but not write it: indexing needs write and delete ` +
      `access.${set}`,
  };
  return new ConfigError(messages[kind], {
    code: "STORAGE_ACCESS",
    data: { uri, problem: kind, variables: names },
    cause: error,
  });
}
