import path from "node:path";

/** Index locations: a local folder, or a LanceDB URI (object stores, LanceDB Cloud). */

/** True for a URI with a scheme (`s3://`, `gs://`, `db://`): not a local folder. */
export function isRemoteUri(uri: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri);
}

/** A local folder URI resolved against `cwd`; object-store and remote URIs unchanged. */
export function resolveUri(uri: string, cwd: string): string {
  return isRemoteUri(uri) ? uri : path.resolve(cwd, uri);
}
