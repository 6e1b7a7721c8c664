import { execFileSync } from "node:child_process";

/**
 * How to run a command as an unprivileged user when the tests run as root (where file modes
 * stop nothing): the argv prefix (`setpriv` to uid/gid 65534), or undefined when the tests
 * already run unprivileged or setpriv is not there.
 */
export function unprivilegedPrefix(): string[] | undefined {
  if (process.getuid?.() !== 0) return [];
  try {
    execFileSync("setpriv", ["--version"], { stdio: "ignore" });
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  } catch {
    return undefined;
  }
}
