/**
 * The object-store variables gemindex passes to LanceDB as storage options (lower-cased: LanceDB
 * takes `aws_access_key_id` for AWS_ACCESS_KEY_ID, and so on), from the environment the caller
 * gave. Only these: anything else of the provider's default credential chain (AWS_PROFILE, web
 * identity tokens in Kubernetes, instance metadata, GOOGLE_APPLICATION_CREDENTIALS' ambient
 * login) is left to LanceDB, which reads the process environment itself.
 */
export const storageVariables = {
  AWS_ACCESS_KEY_ID: "S3 access key (with AWS_SECRET_ACCESS_KEY)",
  AWS_SECRET_ACCESS_KEY: "S3 secret key",
  AWS_SESSION_TOKEN: "S3 session token, for temporary credentials",
  AWS_REGION: "S3 region (e.g. eu-west-1)",
  AWS_DEFAULT_REGION: "S3 region, when AWS_REGION is not set",
  AWS_ENDPOINT_URL: "S3-compatible server (MinIO, R2, Ceph…), e.g. http://minio:9000",
  AWS_ENDPOINT: "same as AWS_ENDPOINT_URL",
  AWS_ALLOW_HTTP: "true to allow an http:// endpoint",
  AWS_VIRTUAL_HOSTED_STYLE_REQUEST: "true for bucket.host addressing (default: path style)",
  GOOGLE_SERVICE_ACCOUNT: "GCS: path of a service account JSON key",
  GOOGLE_SERVICE_ACCOUNT_KEY: "GCS: the service account JSON key itself",
  GOOGLE_APPLICATION_CREDENTIALS: "GCS: path of application default credentials",
  AZURE_STORAGE_ACCOUNT_NAME: "Azure Blob: storage account",
  AZURE_STORAGE_ACCOUNT_KEY: "Azure Blob: account key",
  AZURE_STORAGE_SAS_KEY: "Azure Blob: shared access signature",
  AZURE_STORAGE_CLIENT_ID: "Azure Blob: service principal client id",
  AZURE_STORAGE_CLIENT_SECRET: "Azure Blob: service principal secret",
  AZURE_STORAGE_TENANT_ID: "Azure Blob: service principal tenant",
} as const;

/** LanceDB storage options for the object-store variables set (non-empty) in `env`. */
export function storageOptionsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const name of Object.keys(storageVariables)) {
    const value = env[name]?.trim();
    if (value) options[name.toLowerCase()] = value;
  }
  return options;
}
