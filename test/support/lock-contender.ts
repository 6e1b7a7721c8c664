/**
 * A child process that contends for an index's write lock when its parent says so (see
 * write-lock-race.test.ts). Messages in: `{ trial }` (try to take the lock once, and hold it),
 * `"drop"` (forget the lock without releasing it, as a killed process would). Out:
 * `{ trial, won, code? }`.
 */
import { acquireWriteLock, type WriteLock } from "../../src/store/write-lock.js";

const uri = process.argv[2]!;
const held: WriteLock[] = [];

process.on("message", async (message: { trial: number }) => {
  held.length = 0;
  try {
    held.push(await acquireWriteLock(uri, `contender ${process.pid}`));
    process.send!({ trial: message.trial, won: true });
  } catch (error) {
    process.send!({ trial: message.trial, won: false, code: (error as { code?: string }).code });
  }
});
process.send!("ready");
